// `npm start`: compiles the launcher, then hands over to it (tools/platform/src/start-command.ts),
// which builds the shop with nx, starts every replica, and stops them all on Ctrl-C.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const root = new URL('../..', import.meta.url).pathname;
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 19)) {
  console.error(
    `Node ${process.versions.node} is too old: run \`npm start\`, which uses the repository's Node 24.`,
  );
  process.exit(1);
}

const launcher = spawnSync(
  process.execPath,
  [join(root, 'node_modules', '.bin', 'tsc'), '--build', 'tools/platform/tsconfig.lib.json'],
  { cwd: root, encoding: 'utf8' },
);
if (launcher.status !== 0) {
  console.error('Could not compile the launcher (tools/platform):\n');
  console.error(`${launcher.stdout ?? ''}${launcher.stderr ?? ''}${launcher.error?.message ?? ''}`);
  process.exit(1);
}
await import(new URL('../platform/dist/start.js', import.meta.url).href);
