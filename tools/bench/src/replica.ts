/**
 * One upstream replica: a tiny HTTP server answering `ok` after a configurable service time. It
 * runs in its own process, listens on a port the OS picks, and obeys the harness over IPC: change
 * the service time, hang (keep accepting, never answer), or drain (stop accepting after a short
 * delay, finish what is in flight, exit).
 */
import { createServer } from 'node:http';
import type { ReplicaConfig, ReplicaReply, ReplicaRequest } from './protocol.js';

const config = JSON.parse(process.env['BENCH_REPLICA'] ?? '{}') as Partial<ReplicaConfig>;
let serviceMs = config.serviceMs ?? 0;
let hung = false;
let draining = false;
let count = 0;
let lastAt = 0;

const send = (message: ReplicaReply) => process.send?.(message);

const server = createServer((request, response) => {
  count += 1;
  lastAt = Date.now();
  request.resume();
  if (hung) return; // the request is read and never answered
  const answer = () => {
    const headers: Record<string, string> = { 'content-type': 'text/plain', 'content-length': '2' };
    if (draining) headers['connection'] = 'close';
    response.writeHead(200, headers);
    response.end('ok');
  };
  if (serviceMs > 0) setTimeout(answer, serviceMs);
  else answer();
});
server.keepAliveTimeout = 60_000;
server.headersTimeout = 65_000;
server.requestTimeout = 0;

process.on('message', (message: ReplicaRequest) => {
  switch (message.type) {
    case 'service':
      serviceMs = message.serviceMs;
      break;
    case 'hang':
      hung = true;
      break;
    case 'drain':
      setTimeout(() => {
        draining = true;
        server.close(() => process.exit(0));
        server.closeIdleConnections();
        // Whatever is still open after this is not draining any more.
        setTimeout(() => process.exit(0), 5_000).unref();
      }, message.delayMs);
      break;
    case 'stats':
      send({ type: 'stats', id: message.id, count, lastAt });
      break;
  }
});
// The harness is gone: so is this replica.
process.on('disconnect', () => process.exit(0));

server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  if (address && typeof address === 'object') send({ type: 'ready', port: address.port });
});
