// The `trellis` command (bin/trellis.mjs runs this file).
import { runCli } from './cli-run.js';

process.exitCode = await runCli(process.argv.slice(2), {
  cwd: process.cwd(),
  env: process.env,
  stdout: process.stdout,
  stderr: process.stderr,
});
