// `npm start` (through tools/scripts/start.mjs): builds the shop and runs it on this machine.
import { fileURLToPath } from 'node:url';
import { runStart } from './start-command.js';

const repoRoot = fileURLToPath(new URL('../../..', import.meta.url)).replace(/\/$/, '');
// Exit at once: idle keep-alive sockets to replicas that are gone need not hold the process.
process.exit(await runStart({ repoRoot }));
