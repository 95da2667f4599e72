// `npm test`: typecheck, lint and format check, then every project's tests, then one summary line.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('../..', import.meta.url).pathname;
const reports = join(root, 'test-output', 'vitest');
const env = { ...process.env, NX_TUI: 'false', NX_NO_CLOUD: 'true', NX_SKIP_NX_CACHE: 'true' };

function run(title, command, args) {
  console.log(`\n== ${title}: ${command} ${args.join(' ')}`);
  const result = spawnSync(command, args, { cwd: root, env, stdio: 'inherit' });
  if (result.error) console.error(`could not run ${command}: ${result.error.message}`);
  return result.status === 0;
}

const nx = join(root, 'node_modules', '.bin', 'nx');
const prettier = join(root, 'node_modules', '.bin', 'prettier');
const checks = [
  run('project references', nx, ['sync:check']),
  run('typecheck and lint', nx, ['run-many', '-t', 'typecheck', 'lint', '--outputStyle=static']),
  run('formatting', prettier, ['--check', '--log-level=warn', '.']),
];

rmSync(reports, { recursive: true, force: true });
// Tests run one project at a time: they start real servers and measure real latency on few cores.
const testsRan = run('tests', nx, [
  'run-many',
  '-t',
  'test',
  '--parallel=1',
  '--outputStyle=static',
]);

let passed = 0;
let failed = 0;
let skipped = 0;
const files = existsSync(reports)
  ? readdirSync(reports).filter((name) => name.endsWith('.json'))
  : [];
for (const file of files) {
  const report = JSON.parse(readFileSync(join(reports, file), 'utf8'));
  passed += report.numPassedTests;
  failed += report.numFailedTests;
  skipped += report.numPendingTests + (report.numTodoTests ?? 0);
}
// A project whose runner crashed before writing its report still fails the run.
if (!testsRan && failed === 0) failed += 1;
const failedChecks = checks.filter((ok) => !ok).length;
if (failedChecks > 0) console.error(`\n${failedChecks} check step(s) failed (see above)`);
console.log(
  `\n${passed} passed, ${failed + failedChecks} failed${skipped > 0 ? `, ${skipped} skipped` : ''}`,
);
process.exit(failed + failedChecks > 0 || !testsRan ? 1 : 0);
