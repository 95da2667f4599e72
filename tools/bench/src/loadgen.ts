/**
 * The load generator: its own process, so its CPU time is the client's and nothing else's. It
 * drives one target (a direct undici pool, a pool to a proxy, or a mesh client) in open loop (a
 * fixed arrival rate, latency measured from each request's intended start, so a stall is not
 * hidden) or closed loop (a fixed number of callers back to back, for maximum throughput).
 */
import { performance } from 'node:perf_hooks';
import type { Mesh } from '@trellis/mesh';
import { latencyHistogram, msAt } from './histogram.js';
import { openTarget } from './targets.js';
import type {
  EndpointAddress,
  LoadgenReply,
  LoadgenRequest,
  PhaseResult,
  PhaseSpec,
  TargetSpec,
} from './protocol.js';

type Call = () => Promise<void>;

let call: Call | undefined;
let closeTarget: () => Promise<void> = async () => undefined;
let mesh: Mesh | undefined;
let pushEndpoints: ((endpoints: EndpointAddress[]) => void) | undefined;
let sentWatch: NodeJS.Timeout | undefined;
let stopRequested = false;
const lastSentAt: Record<string, number> = {};
const lastSent: Record<string, number> = {};

const reply = (message: LoadgenReply) => process.send?.(message);

async function setup(target: TargetSpec): Promise<void> {
  const opened = await openTarget(target);
  call = opened.call;
  closeTarget = opened.close;
  mesh = opened.mesh;
  pushEndpoints = opened.pushEndpoints;
}

function errorCode(error: unknown): string {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? code : 'ERR_OTHER';
}

async function runPhase(phase: PhaseSpec): Promise<PhaseResult> {
  const run = call;
  if (!run) throw new Error('no target');
  const histogram = phase.series ? seriesHistogram(phase.series) : latencyHistogram();
  let requests = 0;
  let errors = 0;
  const errorCodes: Record<string, number> = {};
  const inFlight = new Set<Promise<void>>();
  const fire = (startedAt: number) => {
    const promise = run().then(
      () => {
        requests += 1;
        histogram.recordValue(Math.max(1, Math.round((performance.now() - startedAt) * 1_000)));
      },
      (error: unknown) => {
        requests += 1;
        errors += 1;
        const code = errorCode(error);
        errorCodes[code] = (errorCodes[code] ?? 0) + 1;
      },
    );
    inFlight.add(promise);
    void promise.finally(() => inFlight.delete(promise));
    return promise;
  };
  stopRequested = false;
  const cpuBefore = process.cpuUsage();
  const start = performance.now();
  if (phase.mode === 'open') {
    const interval = 1_000 / phase.rate;
    const total = Math.max(1, Math.floor((phase.rate * phase.durationMs) / 1_000));
    let issued = 0;
    await new Promise<void>((resolve) => {
      const tick = () => {
        const now = performance.now();
        const due = Math.min(total, Math.floor((now - start) / interval) + 1);
        while (issued < due) {
          void fire(start + issued * interval);
          issued += 1;
        }
        if (issued >= total || stopRequested) resolve();
        else setTimeout(tick, Math.max(0, start + issued * interval - performance.now()));
      };
      tick();
    });
  } else {
    const deadline = start + phase.durationMs;
    const worker = async () => {
      while (performance.now() < deadline) await fire(performance.now());
    };
    await Promise.all(Array.from({ length: phase.concurrency }, worker));
  }
  // Open loop: wait for the stragglers (bounded by the targets' own timeouts).
  while (inFlight.size > 0) await Promise.race(inFlight);
  const durationS = (performance.now() - start) / 1_000;
  const cpu = process.cpuUsage(cpuBefore);
  const result: PhaseResult = {
    requests,
    errors,
    errorCodes,
    durationS,
    p50_ms: msAt(histogram, 50),
    p99_ms: msAt(histogram, 99),
    p999_ms: msAt(histogram, 99.9),
    max_ms: histogram.totalCount === 0 ? 0 : histogram.maxValue / 1_000,
    cpuS: (cpu.user + cpu.system) / 1e6,
  };
  if (!phase.series) histogram.destroy();
  return result;
}

const seriesHistograms = new Map<string, ReturnType<typeof latencyHistogram>>();

function seriesHistogram(name: string): ReturnType<typeof latencyHistogram> {
  let histogram = seriesHistograms.get(name);
  if (!histogram) {
    histogram = latencyHistogram();
    seriesHistograms.set(name, histogram);
  }
  return histogram;
}

/** Samples the mesh's per-endpoint `sent` counters and remembers when each last moved. */
function watchSent(): void {
  const sample = () => {
    const now = Date.now();
    for (const upstream of mesh?.snapshot() ?? []) {
      for (const endpoint of upstream.endpoints) {
        if (endpoint.sent !== lastSent[endpoint.key]) {
          lastSent[endpoint.key] = endpoint.sent;
          lastSentAt[endpoint.key] = now;
        }
      }
    }
  };
  sample();
  sentWatch = setInterval(sample, 2);
}

process.on('message', (message: LoadgenRequest) => {
  void (async () => {
    try {
      switch (message.type) {
        case 'setup':
          await setup(message.target);
          reply({ type: 'setup-done' });
          break;
        case 'phase':
          reply({ type: 'result', id: message.id, result: await runPhase(message.phase) });
          break;
        case 'endpoints':
          pushEndpoints?.(message.endpoints);
          break;
        case 'stop-phase':
          stopRequested = true;
          break;
        case 'watch-sent':
          watchSent();
          break;
        case 'sent-report':
          reply({
            type: 'sent',
            id: message.id,
            lastSentAt: { ...lastSentAt },
            sent: { ...lastSent },
          });
          break;
        case 'close':
          if (sentWatch) clearInterval(sentWatch);
          await closeTarget();
          process.exit(0);
      }
    } catch (error) {
      reply({
        type: 'error',
        message: error instanceof Error ? (error.stack ?? error.message) : String(error),
      });
    }
  })();
});
process.on('disconnect', () => process.exit(0));
reply({ type: 'ready' });
