/**
 * Balancer cost at scale, run with --expose-gc: for each balancer and endpoint count, the heap an
 * endpoint set costs, the time to apply a full endpoint update, and the cost of one pick.
 * Prints the scenario's JSON on stdout.
 */
import { performance } from 'node:perf_hooks';
import { createBalancer, EndpointState, type Balancer } from '@trellis/mesh';
import { latencyHistogram } from './histogram.js';
import {
  machine,
  round,
  SCALE_BALANCERS,
  median,
  SCALE_SIZES,
  type ScenarioResult,
  type Variant,
} from './results.js';

const { quick } = JSON.parse(process.argv[2] ?? '{}') as { quick?: boolean };
const picks = quick ? 50_000 : 2_000_000;
const updates = quick ? 2 : 7;
const batch = 1_000;
const gc = (globalThis as { gc?: () => void }).gc ?? (() => undefined);
const clock = () => performance.now();

let generation = 0;
function endpointStates(count: number): EndpointState[] {
  generation += 1;
  const states: EndpointState[] = [];
  for (let i = 0; i < count; i++) {
    const state = new EndpointState(
      { address: `10.${generation % 200}.${(i >> 8) & 255}.${i & 255}`, port: 8_000 + (i % 1_000) },
      { clock },
    );
    state.pending = i % 4; // some load spread, as a live upstream has
    states.push(state);
  }
  return states;
}

function heapMb(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed / 2 ** 20;
}

const keys = Array.from({ length: 4_096 }, (_, i) => `user-${i}`);
const variants: Variant[] = [];
for (const name of SCALE_BALANCERS) {
  for (const size of SCALE_SIZES) {
    const context = { upstream: 'bench', clock, random: Math.random };
    const before = heapMb();
    let states = endpointStates(size);
    const balancer: Balancer = createBalancer(name, context);
    balancer.update(states, states);
    const heap = heapMb() - before;

    // A full update: every endpoint replaced by a new one (new states, then the balancer).
    const full: number[] = [];
    const balancerOnly: number[] = [];
    for (let u = 0; u < updates; u++) {
      const t0 = performance.now();
      const next = endpointStates(size);
      const t1 = performance.now();
      balancer.update(next, next);
      const t2 = performance.now();
      full.push(t2 - t0);
      balancerOnly.push(t2 - t1);
      states = next;
    }

    // Picks, timed in batches: per-pick nanoseconds of each batch go to the histogram.
    const histogram = latencyHistogram();
    let misses = 0;
    for (let i = 0; i < 10_000; i++) balancer.pick({ hashKey: keys[i & 4_095] }); // warm-up
    const cpu0 = process.cpuUsage();
    const start = performance.now();
    for (let done = 0; done < picks; done += batch) {
      const t0 = performance.now();
      for (let i = 0; i < batch; i++) {
        if (!balancer.pick({ hashKey: keys[(done + i) & 4_095] })) misses += 1;
      }
      histogram.recordValue(Math.max(1, Math.round(((performance.now() - t0) * 1e6) / batch)));
    }
    const elapsedMs = performance.now() - start;
    const cpu = process.cpuUsage(cpu0);
    const nsAt = (p: number) => histogram.getValueAtPercentile(p);
    variants.push({
      name: `${name}-${size}`,
      // Latency fields are per pick (batch means), in ms like every other scenario.
      p50_ms: nsAt(50) / 1e6,
      p99_ms: nsAt(99) / 1e6,
      p999_ms: nsAt(99.9) / 1e6,
      rps: round(picks / (elapsedMs / 1_000), 0),
      requests: picks,
      errors: misses,
      cpu_s_per_10k: round(((cpu.user + cpu.system) / 1e6 / picks) * 10_000, 6),
      endpoints: size,
      pick_ns: round((elapsedMs * 1e6) / picks, 1),
      heap_mb: round(heap, 3),
      update_ms: round(median(full), 3),
      balancer_update_ms: round(median(balancerOnly), 3),
    });
    histogram.destroy();
    // Keep the set alive until measured.
    if (states.length !== size) throw new Error('lost states');
  }
}

const result: ScenarioResult = { scenario: 'scale', machine: machine(), variants };
process.stdout.write(JSON.stringify(result));
