import type { Clock } from './clock.js';
import { endpointKey, type Endpoint } from './endpoint.js';
import { PeakEwma } from './peak-ewma.js';

export interface EndpointStateOptions {
  clock: Clock;
  ewmaDecayMs?: number;
  defaultRttMs?: number;
}

/**
 * What the mesh knows about one endpoint of one upstream, kept across discovery updates for as
 * long as the endpoint stays in the set: its description, load and latency.
 */
export class EndpointState {
  readonly key: string;
  endpoint: Endpoint;
  /** Requests sent and not yet finished (response body fully read or failed). */
  pending = 0;
  /** Requests ever sent to this endpoint, for shares on dashboards and in tests. */
  sent = 0;
  readonly latency: PeakEwma;

  constructor(endpoint: Endpoint, options: EndpointStateOptions) {
    this.key = endpointKey(endpoint);
    this.endpoint = endpoint;
    this.latency = new PeakEwma(options.clock, options.ewmaDecayMs, options.defaultRttMs);
  }

  get weight(): number {
    return this.endpoint.weight ?? 1;
  }

  get zone(): string | undefined {
    return this.endpoint.zone;
  }

  /**
   * Peak-EWMA load: latency estimate scaled by the work already queued on the endpoint. An
   * endpoint never measured and idle costs nothing, so a new replica is probed at once instead of
   * losing every comparison to fast peers; while its first request is out it costs the default RTT.
   */
  get load(): number {
    if (!this.latency.sampled && this.pending === 0) return 0;
    return this.latency.estimateMs * (this.pending + 1);
  }
}
