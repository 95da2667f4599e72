// One replica of the demo `echo` service: answers after its configured service time and
// registers itself in the local registry so callers find it with zero setup.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { LocalRegistry } from '@trellis/mesh';

const name = process.env['REPLICA_NAME'] ?? `echo-${process.pid}`;
const serviceTimeMs = Number(process.env['SERVICE_TIME_MS'] ?? '3');
if (!Number.isFinite(serviceTimeMs) || serviceTimeMs < 0) {
  console.error(`SERVICE_TIME_MS must be a number >= 0, got "${process.env['SERVICE_TIME_MS']}"`);
  process.exit(2);
}

const server = createServer((request, response) => {
  request.resume();
  setTimeout(() => {
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ replica: name, serviceTimeMs }));
  }, serviceTimeMs);
});

server.listen(0, '127.0.0.1', async () => {
  const { port } = server.address() as AddressInfo;
  const registry = new LocalRegistry();
  await registry.register({
    service: 'echo',
    address: '127.0.0.1',
    port,
    metadata: { replica: name },
  });
  console.log(`${name} listening on 127.0.0.1:${port} (service time ${serviceTimeMs} ms)`);
  const stop = (): void => {
    void registry.close().finally(() => server.close(() => process.exit(0)));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
});
