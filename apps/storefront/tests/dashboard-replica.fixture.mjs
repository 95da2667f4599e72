// A replica in a process of its own: a test SIGKILLs it to see it leave the dashboard.
// Arguments: <service> <replica> <registry dir>. Prints `ready <port>` once registered.
import { LocalRegistry, silentLogger } from '@trellis/mesh';
import { meshAdminRoutes, ServerState } from '@trellis/mesh-express';
import express from 'express';

const [service, replica, dir] = process.argv.slice(2);
const state = new ServerState({ service });
const app = express();
app.use(meshAdminRoutes({ state }));
app.use((_request, response) => {
  response.json({ replica });
});
const server = app.listen(0, '127.0.0.1', async () => {
  const { port } = server.address();
  const registry = new LocalRegistry({ dir, logger: silentLogger });
  const registration = await registry.register({
    service,
    address: '127.0.0.1',
    port,
    metadata: { replica },
  });
  state.markRegistered(registration.instanceId);
  process.stdout.write(`ready ${port}\n`);
});
