/** The five scenarios. Each starts what it needs, bounds its own time and stops everything. */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import {
  HAPROXY,
  Loadgen,
  NGINX,
  peerAvailable,
  Replica,
  startHaproxy,
  startNginx,
  startReplicas,
  type Proxy,
} from './harness.js';
import type { PhaseResult, PhaseSpec, TargetSpec } from './protocol.js';
import { track } from './procs.js';
import { machine, round, type ScenarioResult, type Variant } from './results.js';

export interface RunOptions {
  quick: boolean;
  log: (line: string) => void;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Whether a peer can run here; on CI a missing peer is an error, elsewhere it is skipped. */
function peerCheck(
  binary: string,
  variants: string[],
  skipped: { name: string; reason: string }[],
  log: (line: string) => void,
): boolean {
  if (peerAvailable(binary)) return true;
  const reason = `${binary} not found`;
  if (process.env['CI'])
    throw new Error(`${reason}: CI must install it (variants ${variants.join(', ')})`);
  log(`SKIPPING ${variants.join(', ')}: ${reason} (install it to compare against it)`);
  for (const name of variants) skipped.push({ name, reason });
  return false;
}

function variantFrom(
  name: string,
  result: PhaseResult,
  cpuS: number,
  extra: Record<string, unknown> = {},
): Variant {
  return {
    name,
    p50_ms: round(result.p50_ms),
    p99_ms: round(result.p99_ms),
    p999_ms: round(result.p999_ms),
    rps: round(result.requests / result.durationS, 1),
    requests: result.requests,
    errors: result.errors,
    cpu_s_per_10k: result.requests > 0 ? round((cpuS / result.requests) * 10_000, 4) : 0,
    ...(result.errors > 0 ? { error_codes: result.errorCodes } : {}),
    ...extra,
  };
}

function finish(
  scenario: ScenarioResult['scenario'],
  variants: Variant[],
  skipped: { name: string; reason: string }[],
): ScenarioResult {
  return { scenario, machine: machine(), variants, ...(skipped.length > 0 ? { skipped } : {}) };
}

async function withLoadgen<T>(target: TargetSpec, body: (loadgen: Loadgen) => Promise<T>) {
  const loadgen = await Loadgen.start(target);
  try {
    return await body(loadgen);
  } finally {
    await loadgen.close();
  }
}

// ---------------------------------------------------------------------------------------------
// 1. overhead

export async function overhead({ quick, log }: RunOptions): Promise<ScenarioResult> {
  // The variants take turns in short slices (in a rotating order) instead of one long run each,
  // so drift on the machine (frequency, other work, the kernel's choices) falls on all of them.
  const s = quick
    ? { warmupMs: 300, rounds: 1, openMs: 1_500, rate: 500, closedMs: 800, concurrency: 32 }
    : { warmupMs: 2_000, rounds: 6, openMs: 2_000, rate: 1_000, closedMs: 1_250, concurrency: 32 };
  const skipped: { name: string; reason: string }[] = [];
  const [replica] = await startReplicas(1, 0);
  if (!replica) throw new Error('no replica');
  const running: OverheadRun[] = [];
  try {
    const cases: { name: string; target: () => Promise<{ target: TargetSpec; proxy?: Proxy }> }[] =
      [
        {
          name: 'direct-undici',
          target: async () => ({
            target: { kind: 'direct', port: replica.port, connections: 64 },
          }),
        },
        {
          name: 'trellis',
          target: async () => ({ target: { kind: 'mesh', endpoints: [replica.endpoint] } }),
        },
        {
          name: 'trellis-telemetry',
          target: async () => ({
            target: {
              kind: 'mesh',
              endpoints: [replica.endpoint],
              tracing: true,
              metrics: true,
            },
          }),
        },
      ];
    if (peerCheck(NGINX, ['nginx-hop'], skipped, log)) {
      cases.push({
        name: 'nginx-hop',
        target: async () => {
          const proxy = await startNginx([replica.port]);
          return { target: { kind: 'direct', port: proxy.port, connections: 64 }, proxy };
        },
      });
    }
    if (peerCheck(HAPROXY, ['haproxy-hop'], skipped, log)) {
      cases.push({
        name: 'haproxy-hop',
        target: async () => {
          const proxy = await startHaproxy([replica.port]);
          return { target: { kind: 'direct', port: proxy.port, connections: 64 }, proxy };
        },
      });
    }
    for (const { name, target } of cases) {
      log(`overhead: starting ${name}`);
      const { target: spec, proxy } = await target();
      const run: OverheadRun = { name, proxy, open: new PhaseTotals(), closed: new PhaseTotals() };
      running.push(run);
      run.loadgen = await Loadgen.start(spec);
      await run.loadgen.phase({ mode: 'closed', concurrency: 8, durationMs: s.warmupMs });
    }
    const measure = async (phase: PhaseSpec, pick: (run: OverheadRun) => PhaseTotals) => {
      for (let round = 0; round < s.rounds; round++) {
        log(`overhead: ${phase.mode} loop, round ${round + 1} of ${s.rounds}`);
        for (let i = 0; i < running.length; i++) {
          const run = running[(i + round) % running.length]!;
          const proxyCpuBefore = run.proxy?.cpuSeconds() ?? 0;
          const result = await run.loadgen!.phase(phase);
          pick(run).add(result, (run.proxy?.cpuSeconds() ?? 0) - proxyCpuBefore);
        }
      }
    };
    await measure(
      { mode: 'open', rate: s.rate, durationMs: s.openMs, series: 'open' },
      (r) => r.open,
    );
    await measure(
      { mode: 'closed', concurrency: s.concurrency, durationMs: s.closedMs, series: 'closed' },
      (r) => r.closed,
    );
    const per10k = (cpu: number, requests: number) =>
      requests > 0 ? round((cpu / requests) * 10_000, 4) : 0;
    const variants = running.map(({ name, open, closed }) => {
      const closedResult = closed.result();
      return variantFrom(name, open.result(), open.cpuS + open.proxyCpuS, {
        rps: round(closed.requests / closed.durationS, 1),
        requests: open.requests + closed.requests,
        errors: open.errors + closed.errors,
        open_rate: s.rate,
        open_rps: round(open.requests / open.durationS, 1),
        closed_concurrency: s.concurrency,
        closed_p50_ms: round(closedResult.p50_ms),
        closed_p99_ms: round(closedResult.p99_ms),
        rounds: s.rounds,
        closed_round_rps: closed.sliceRps,
        client_cpu_s_per_10k: per10k(open.cpuS, open.requests),
        proxy_cpu_s_per_10k: per10k(open.proxyCpuS, open.requests),
        max_rps_cpu_s_per_10k: per10k(closed.cpuS + closed.proxyCpuS, closed.requests),
      });
    });
    return finish('overhead', variants, skipped);
  } finally {
    for (const run of running) {
      await run.loadgen?.close();
      await run.proxy?.stop();
    }
    await replica.stop();
  }
}

interface OverheadRun {
  name: string;
  proxy: Proxy | undefined;
  loadgen?: Loadgen;
  open: PhaseTotals;
  closed: PhaseTotals;
}

/** One variant's slices of a phase, added up; percentiles come from the last slice's series. */
class PhaseTotals {
  requests = 0;
  errors = 0;
  durationS = 0;
  cpuS = 0;
  proxyCpuS = 0;
  /** Each slice's own rate, in the order of the rounds, to show the spread behind the total. */
  readonly sliceRps: number[] = [];
  readonly errorCodes: Record<string, number> = {};
  #last: PhaseResult | undefined;

  add(result: PhaseResult, proxyCpuS: number): void {
    this.sliceRps.push(result.durationS > 0 ? round(result.requests / result.durationS, 1) : 0);
    this.requests += result.requests;
    this.errors += result.errors;
    this.durationS += result.durationS;
    this.cpuS += result.cpuS;
    this.proxyCpuS += proxyCpuS;
    for (const [code, count] of Object.entries(result.errorCodes))
      this.errorCodes[code] = (this.errorCodes[code] ?? 0) + count;
    this.#last = result;
  }

  result(): PhaseResult {
    const last = this.#last;
    if (!last) throw new Error('no slice was measured');
    return {
      ...last,
      requests: this.requests,
      errors: this.errors,
      errorCodes: this.errorCodes,
      durationS: this.durationS,
      cpuS: this.cpuS,
    };
  }
}

// ---------------------------------------------------------------------------------------------
// 2. slow-replica

export async function slowReplica({ quick, log }: RunOptions): Promise<ScenarioResult> {
  const s = quick
    ? { warmupMs: 400, runMs: 1_500, rate: 300 }
    : { warmupMs: 2_000, runMs: 10_000, rate: 400 };
  const serviceMs = 5;
  const slowMs = serviceMs * 20;
  const hedgeDelayMs = serviceMs * 3;
  const skipped: { name: string; reason: string }[] = [];
  const variants: Variant[] = [];
  const replicas = await startReplicas(5, serviceMs);
  const endpoints = replicas.map((r) => r.endpoint);
  const ports = replicas.map((r) => r.port);
  const mesh = (balancer: string, hedge = false): TargetSpec => ({
    kind: 'mesh',
    endpoints,
    balancer,
    ...(hedge ? { hedgeDelayMs } : {}),
  });
  const cases: {
    name: string;
    slow: boolean;
    start: () => Promise<{ target: TargetSpec; proxy?: Proxy }>;
  }[] = [
    { name: 'healthy-baseline', slow: false, start: async () => ({ target: mesh('peak-ewma') }) },
    {
      name: 'trellis-round-robin',
      slow: true,
      start: async () => ({ target: mesh('round-robin') }),
    },
    {
      name: 'trellis-least-request',
      slow: true,
      start: async () => ({ target: mesh('least-request') }),
    },
    { name: 'trellis-peak-ewma', slow: true, start: async () => ({ target: mesh('peak-ewma') }) },
    {
      name: 'trellis-peak-ewma-hedge',
      slow: true,
      start: async () => ({ target: mesh('peak-ewma', true) }),
    },
  ];
  const haproxyCases: [string, string][] = [
    ['haproxy-roundrobin', 'roundrobin'],
    ['haproxy-leastconn', 'leastconn'],
    ['haproxy-random2', 'random(2)'],
  ];
  if (
    peerCheck(
      HAPROXY,
      haproxyCases.map(([name]) => name),
      skipped,
      log,
    )
  ) {
    for (const [name, balance] of haproxyCases) {
      cases.push({
        name,
        slow: true,
        start: async () => {
          const proxy = await startHaproxy(ports, balance);
          return { target: { kind: 'direct', port: proxy.port, connections: 64 }, proxy };
        },
      });
    }
  }
  try {
    for (const { name, slow, start } of cases) {
      log(`slow-replica: ${name}`);
      replicas[0]?.send({ type: 'service', serviceMs: slow ? slowMs : serviceMs });
      const { target, proxy } = await start();
      try {
        variants.push(
          await withLoadgen(target, async (loadgen) => {
            await loadgen.phase({ mode: 'open', rate: s.rate, durationMs: s.warmupMs });
            const cpu0 = proxy?.cpuSeconds() ?? 0;
            const result = await loadgen.phase({ mode: 'open', rate: s.rate, durationMs: s.runMs });
            const proxyCpu = (proxy?.cpuSeconds() ?? 0) - cpu0;
            return variantFrom(name, result, result.cpuS + proxyCpu, {
              service_ms: serviceMs,
              slow_replica_ms: slow ? slowMs : serviceMs,
              ...(target.kind === 'mesh' && target.hedgeDelayMs !== undefined
                ? { hedge_delay_ms: target.hedgeDelayMs }
                : {}),
            });
          }),
        );
      } finally {
        await proxy?.stop();
      }
    }
  } finally {
    await Promise.all(replicas.map((r) => r.stop()));
  }
  return finish('slow-replica', variants, skipped);
}

// ---------------------------------------------------------------------------------------------
// 3. failover

export async function failover({ quick, log }: RunOptions): Promise<ScenarioResult> {
  const s = quick
    ? { beforeMs: 700, afterMs: 1_500, rate: 300 }
    : { beforeMs: 3_000, afterMs: 7_000, rate: 400 };
  const timeouts = { timeoutMs: 2_000, attemptTimeoutMs: 250 };
  const variants: Variant[] = [];
  for (const kind of ['kill', 'hang'] as const) {
    log(`failover: ${kind}`);
    const replicas = await startReplicas(5, 5);
    const victim = replicas[0];
    if (!victim) throw new Error('no replica');
    try {
      const target: TargetSpec = {
        kind: 'mesh',
        endpoints: replicas.map((r) => r.endpoint),
        balancer: 'peak-ewma',
        ...timeouts,
      };
      variants.push(
        await withLoadgen(target, async (loadgen) => {
          loadgen.send({ type: 'watch-sent' });
          const running = loadgen.phase({
            mode: 'open',
            rate: s.rate,
            durationMs: s.beforeMs + s.afterMs,
          });
          await sleep(s.beforeMs);
          let eventAt = Date.now();
          let countAtEvent = 0;
          if (kind === 'kill') {
            eventAt = Date.now();
            victim.kill();
          } else {
            countAtEvent = (await victim.stats()).count;
            eventAt = Date.now();
            victim.send({ type: 'hang' });
          }
          const sentAtEvent = (await loadgen.sentReport()).sent[victim.key] ?? 0;
          const result = await running;
          let stopMs: number;
          let afterEvent: number;
          const report = await loadgen.sentReport();
          if (kind === 'kill') {
            stopMs = Math.max(0, (report.lastSentAt[victim.key] ?? 0) - eventAt);
            afterEvent = (report.sent[victim.key] ?? 0) - sentAtEvent;
          } else {
            const stats = await victim.stats();
            stopMs = Math.max(0, stats.lastAt - eventAt);
            afterEvent = stats.count - countAtEvent;
          }
          return variantFrom(kind, result, result.cpuS, {
            stop_ms: stopMs,
            victim_requests_after_event: afterEvent,
            event_after_ms: s.beforeMs,
            timeout_ms: timeouts.timeoutMs,
            attempt_timeout_ms: timeouts.attemptTimeoutMs,
          });
        }),
      );
    } finally {
      await Promise.all(replicas.map((r) => r.stop()));
    }
  }
  return finish('failover', variants, []);
}

// ---------------------------------------------------------------------------------------------
// 4. rolling-restart

export async function rollingRestart({ quick, log }: RunOptions): Promise<ScenarioResult> {
  const s = quick
    ? {
        replicas: 3,
        rate: 300,
        beforeMs: 400,
        settleMs: 200,
        drainDelayMs: 100,
        gapMs: 200,
        afterMs: 400,
      }
    : {
        replicas: 5,
        rate: 400,
        beforeMs: 2_000,
        settleMs: 500,
        drainDelayMs: 200,
        gapMs: 500,
        afterMs: 2_000,
      };
  const serviceMs = 5;
  let replicas: Replica[] = await startReplicas(s.replicas, serviceMs);
  const draining = new Set<string>();
  const endpointsNow = () =>
    replicas.map((r) => ({ ...r.endpoint, ...(draining.has(r.key) ? { draining: true } : {}) }));
  try {
    const target: TargetSpec = {
      kind: 'mesh',
      endpoints: endpointsNow(),
      dynamic: true,
      balancer: 'peak-ewma',
    };
    const variant = await withLoadgen(target, async (loadgen) => {
      const push = () => loadgen.send({ type: 'endpoints', endpoints: endpointsNow() });
      const running = loadgen.phase({ mode: 'open', rate: s.rate, durationMs: 10 * 60_000 });
      const started = Date.now();
      await sleep(s.beforeMs);
      for (let i = 0; i < s.replicas; i++) {
        const old = replicas[i];
        if (!old) continue;
        log(`rolling-restart: replica ${i + 1}/${s.replicas}`);
        // 1. The old instance says it is draining: callers stop sending it new requests.
        draining.add(old.key);
        push();
        // 2. Its replacement starts and joins the set.
        const fresh = await Replica.start(serviceMs);
        replicas = [...replicas.slice(0, i), fresh, ...replicas.slice(i + 1), old];
        push();
        await sleep(s.settleMs);
        // 3. The old one drains (stops accepting after a short delay, finishes, exits) and leaves.
        old.send({ type: 'drain', delayMs: s.drainDelayMs });
        await old.exited();
        replicas = replicas.filter((r) => r !== old);
        draining.delete(old.key);
        push();
        await sleep(s.gapMs);
      }
      await sleep(s.afterMs);
      loadgen.stopPhase();
      const result = await running;
      return variantFrom('trellis', result, result.cpuS, {
        restarts: s.replicas,
        duration_ms: Date.now() - started,
      });
    });
    return finish('rolling-restart', [variant], []);
  } finally {
    await Promise.all(replicas.map((r) => r.stop()));
  }
}

// ---------------------------------------------------------------------------------------------
// 5. scale (in a child process with --expose-gc, so heap deltas are after a full collection)

export async function scale({ quick, log }: RunOptions): Promise<ScenarioResult> {
  log('scale: balancers at 10, 1,000 and 10,000 endpoints');
  const worker = join(fileURLToPath(new URL('.', import.meta.url)), 'scale-worker.js');
  const child = track(
    spawn(process.execPath, ['--expose-gc', worker, JSON.stringify({ quick })], {
      stdio: ['ignore', 'pipe', 'inherit'],
    }),
  );
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`scale worker exited with ${code}`);
  return JSON.parse(output) as ScenarioResult;
}

export const RUNNERS = {
  overhead,
  'slow-replica': slowReplica,
  failover,
  'rolling-restart': rollingRestart,
  scale,
} as const;
