/**
 * A fixed number of calls through one target, 16 at a time, against one loopback replica: the
 * workload for counting a target's instructions per call under valgrind, the one measure of cost
 * that repeats on a shared machine (docs/performance.md shows the commands). It prints the
 * client's CPU time per call too, which is only as steady as the machine.
 *
 *   node tools/bench/dist/call-cost.js <target> <calls>
 */
import { stopAll } from './procs.js';
import { Replica } from './harness.js';
import type { TargetSpec } from './protocol.js';
import { openTarget } from './targets.js';

const CALLERS = 16;

const TARGETS: Record<string, (replica: Replica) => TargetSpec> = {
  'direct-undici': (replica) => ({ kind: 'direct', port: replica.port, connections: 64 }),
  trellis: (replica) => ({ kind: 'mesh', endpoints: [replica.endpoint] }),
  'trellis-metrics': (replica) => ({ kind: 'mesh', endpoints: [replica.endpoint], metrics: true }),
  'trellis-tracing': (replica) => ({ kind: 'mesh', endpoints: [replica.endpoint], tracing: true }),
  'trellis-telemetry': (replica) => ({
    kind: 'mesh',
    endpoints: [replica.endpoint],
    tracing: true,
    metrics: true,
  }),
};

const USAGE = `usage: call-cost <${Object.keys(TARGETS).join('|')}> <calls>`;

/** The target and call count from the command line, or the reason they are not usable. */
function parseCallCostArgs(
  args: readonly string[],
): { target: string; calls: number } | { error: string } {
  const [target, callsText, ...rest] = args;
  if (target === undefined || !(target in TARGETS)) {
    return {
      error: `unknown target ${JSON.stringify(target ?? '')}: pick one of ${Object.keys(TARGETS).join(', ')}`,
    };
  }
  const calls = Number(callsText);
  if (!Number.isSafeInteger(calls) || calls < 1) {
    return {
      error: `calls must be a whole number of at least 1, not ${JSON.stringify(callsText ?? '')}`,
    };
  }
  if (rest.length > 0) return { error: `unexpected arguments: ${rest.join(' ')}` };
  return { target, calls };
}

async function main(): Promise<void> {
  const parsed = parseCallCostArgs(process.argv.slice(2));
  if ('error' in parsed) {
    console.error(`call-cost: ${parsed.error}\n${USAGE}`);
    process.exitCode = 2;
    return;
  }
  const replica = await Replica.start(0);
  try {
    const target = await openTarget(TARGETS[parsed.target]!(replica));
    let started = 0;
    let failed = 0;
    const cpuBefore = process.cpuUsage();
    await Promise.all(
      Array.from({ length: CALLERS }, async () => {
        while (started < parsed.calls) {
          started += 1;
          await target.call().catch(() => (failed += 1));
        }
      }),
    );
    const cpu = process.cpuUsage(cpuBefore);
    await target.close();
    const cpuUsPerCall = (cpu.user + cpu.system) / parsed.calls;
    console.log(
      JSON.stringify({
        target: parsed.target,
        calls: parsed.calls,
        failed,
        cpu_us_per_call: Math.round(cpuUsPerCall * 10) / 10,
      }),
    );
    if (failed > 0) process.exitCode = 1;
  } finally {
    await replica.stop();
    await stopAll();
  }
}

await main();
