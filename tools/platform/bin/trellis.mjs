#!/usr/bin/env node
// The `trellis` command: runs the compiled CLI, or says how to build it.
import { existsSync } from 'node:fs';

const cli = new URL('../dist/cli.js', import.meta.url);
if (!existsSync(cli)) {
  console.error(
    'trellis: the CLI is not built yet; run `npm start` (or `npx nx build @trellis/platform`) first.',
  );
  process.exit(2);
}
await import(cli.href);
