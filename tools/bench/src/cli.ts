#!/usr/bin/env node
/**
 * `npm run bench [-- --quick] [--out <dir>] [--scenario overhead,scale]`: runs the scenarios and
 * writes `<scenario>.json`, SVG charts and a README.md summary. Full runs write to
 * `bench/results` at the repository root; `--quick` (a smoke run) writes to `--out`, or to a new
 * temp dir.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { killAllNow, stopAll } from './procs.js';
import { writeScenario, writeSummary } from './report.js';
import { SCENARIOS, type ScenarioName } from './results.js';
import { RUNNERS } from './scenarios.js';

const repoRoot = resolve(fileURLToPath(new URL('.', import.meta.url)), '..', '..', '..');

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    out: { type: 'string' },
    scenario: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});

if (values.help) {
  console.log(`usage: bench [--quick] [--out <dir>] [--scenario ${SCENARIOS.join(',')}]`);
  process.exit(0);
}

const selected = (values.scenario ? values.scenario.split(',') : [...SCENARIOS]).map((s) =>
  s.trim(),
);
for (const name of selected) {
  if (!(SCENARIOS as readonly string[]).includes(name)) {
    console.error(`unknown scenario "${name}"; known: ${SCENARIOS.join(', ')}`);
    process.exit(2);
  }
}
const quick = values.quick;
const outDir = values.out
  ? resolve(values.out)
  : quick
    ? mkdtempSync(join(tmpdir(), 'bench-quick-'))
    : join(repoRoot, 'bench', 'results');

// Every process started stops with us: on Ctrl-C, on kill, on a crash.
let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    console.error(`\n${signal}: stopping every process started`);
    void stopAll().finally(() => process.exit(130));
    setTimeout(() => {
      killAllNow();
      process.exit(130);
    }, 5_000).unref();
  });
}
process.on('exit', () => killAllNow());

const log = (line: string) => console.log(`[bench] ${line}`);
const started = Date.now();
try {
  log(`${quick ? 'quick smoke run' : 'full run'}: ${selected.join(', ')} -> ${outDir}`);
  for (const name of selected as ScenarioName[]) {
    const t0 = Date.now();
    const result = await RUNNERS[name]({ quick, log });
    writeScenario(outDir, result);
    writeSummary(outDir, quick);
    log(`${name} done in ${((Date.now() - t0) / 1_000).toFixed(1)} s`);
  }
  log(`all done in ${((Date.now() - started) / 1_000).toFixed(1)} s; results in ${outDir}`);
} catch (error) {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exitCode = 1;
} finally {
  await stopAll();
}
