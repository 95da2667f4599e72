// Calls the demo `echo` service through the mesh at a steady rate and prints, every second, how
// peak-EWMA balancing shares the traffic between replicas.
import { createMesh } from '@trellis/mesh';

const ratePerSecond = Number(process.env['CALLS_PER_SECOND'] ?? '100');
const mesh = createMesh();
const echo = mesh.client('echo');
const perReplica = new Map<string, number>();
let failures = 0;

const sender = setInterval(() => {
  echo
    .json<{ replica: string }>({ path: '/', timeoutMs: 2_000 })
    .then((answer) => perReplica.set(answer.replica, (perReplica.get(answer.replica) ?? 0) + 1))
    .catch(() => (failures += 1));
}, 1_000 / ratePerSecond);

const reporter = setInterval(() => {
  const total = [...perReplica.values()].reduce((sum, count) => sum + count, 0);
  const shares = [...perReplica.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([replica, count]) => `${replica} ${((100 * count) / Math.max(total, 1)).toFixed(0)}%`)
    .join('  ');
  console.log(`last second: ${total} ok, ${failures} failed | ${shares}`);
  perReplica.clear();
  failures = 0;
}, 1_000);

const stop = (): void => {
  clearInterval(sender);
  clearInterval(reporter);
  void mesh.close().then(() => process.exit(0));
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
