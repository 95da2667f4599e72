import { availableParallelism } from 'node:os';

export const SCENARIOS = [
  'overhead',
  'slow-replica',
  'failover',
  'rolling-restart',
  'scale',
] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

export interface Variant {
  name: string;
  p50_ms: number;
  p99_ms: number;
  p999_ms: number;
  rps: number;
  requests: number;
  errors: number;
  cpu_s_per_10k: number;
  [extra: string]: unknown;
}

export interface ScenarioResult {
  scenario: ScenarioName;
  machine: { cpus: number; node: string };
  variants: Variant[];
  /** Only when a peer was missing outside CI: the variants left out and why. */
  skipped?: { name: string; reason: string }[];
}

/** The variant names each scenario writes (scale's are `<balancer>-<endpoints>`). */
export const VARIANT_NAMES: Record<Exclude<ScenarioName, 'scale'>, readonly string[]> = {
  overhead: ['direct-undici', 'trellis', 'trellis-telemetry', 'nginx-hop', 'haproxy-hop'],
  'slow-replica': [
    'healthy-baseline',
    'trellis-round-robin',
    'trellis-least-request',
    'trellis-peak-ewma',
    'trellis-peak-ewma-hedge',
    'haproxy-roundrobin',
    'haproxy-leastconn',
    'haproxy-random2',
  ],
  failover: ['kill', 'hang'],
  'rolling-restart': ['trellis'],
};

export const SCALE_BALANCERS = ['peak-ewma', 'least-request', 'round-robin', 'consistent-hash'];
export const SCALE_SIZES = [10, 1_000, 10_000];

export function machine(): { cpus: number; node: string } {
  return { cpus: availableParallelism(), node: process.version };
}

/** The middle value (the mean of the middle two for an even count); 0 for none. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length / 2;
  return sorted.length % 2 === 1
    ? sorted[Math.floor(middle)]!
    : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

export function round(value: number, digits = 3): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
