// `npm start`: builds what exists and runs it on this machine. The shop does not exist yet, so
// this runs the mesh demo: three replicas of an echo service (one 20x slower) and a caller.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('../..', import.meta.url).pathname;
const registryDir = join(root, '.trellis', 'registry');
const env = {
  ...process.env,
  NX_TUI: 'false',
  NX_NO_CLOUD: 'true',
  TRELLIS_REGISTRY_DIR: registryDir,
};

console.log('Trellis: the reference shop is not built yet; starting the mesh demo instead.\n');
console.log('Building...');
const build = spawnSync(
  join(root, 'node_modules', '.bin', 'nx'),
  ['run-many', '-t', 'build', '--outputStyle=static'],
  {
    cwd: root,
    env,
    stdio: ['ignore', 'ignore', 'inherit'],
  },
);
if (build.status !== 0) {
  console.error('The build failed; run `npx nx run-many -t build` to see why.');
  process.exit(1);
}

rmSync(registryDir, { recursive: true, force: true });
mkdirSync(registryDir, { recursive: true });
const demo = join(root, 'apps', 'demo', 'dist');
const children = [];
function start(label, script, extraEnv) {
  const child = spawn(process.execPath, [join(demo, script)], {
    env: { ...env, ...extraEnv },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  for (const stream of [child.stdout, child.stderr]) {
    stream.setEncoding('utf8');
    stream.on('data', (text) => {
      for (const line of text.split('\n').filter(Boolean)) console.log(`[${label}] ${line}`);
    });
  }
  children.push(child);
  return child;
}

start('echo-1', 'echo-replica.js', { REPLICA_NAME: 'echo-1', SERVICE_TIME_MS: '3' });
start('echo-2', 'echo-replica.js', { REPLICA_NAME: 'echo-2', SERVICE_TIME_MS: '3' });
start('echo-3', 'echo-replica.js', { REPLICA_NAME: 'echo-3', SERVICE_TIME_MS: '60' });
setTimeout(() => {
  console.log(
    '\nCalling echo through @trellis/mesh (peak-EWMA); echo-3 is 20x slower and should get little traffic.',
  );
  console.log(`Registry: ${registryDir}. Press Ctrl-C to stop.\n`);
  start('caller', 'echo-caller.js', { CALLS_PER_SECOND: '100' });
}, 1_000);

let stopping = false;
function stop() {
  if (stopping) return;
  stopping = true;
  console.log('\nStopping...');
  for (const child of children) child.kill('SIGTERM');
  const deadline = setTimeout(() => {
    for (const child of children) child.kill('SIGKILL');
  }, 5_000);
  Promise.all(
    children.map((child) =>
      child.exitCode !== null ? null : new Promise((resolve) => child.once('exit', resolve)),
    ),
  ).then(() => {
    clearTimeout(deadline);
    rmSync(registryDir, { recursive: true, force: true });
    console.log('Stopped.');
    process.exit(0);
  });
}
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
