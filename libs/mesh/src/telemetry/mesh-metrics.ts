import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { MeshConfigError } from '../errors.js';
import type { MeshEvent } from '../events.js';
import type { UpstreamSnapshot } from '../mesh.js';
import { CallCounts, STATUS_CLASSES, statusClassIndex } from './call-counts.js';

/** OpenTelemetry's recommended buckets for HTTP durations, in seconds. */
export const HTTP_DURATION_BUCKETS = [
  0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10,
];

const KNOWN_METHODS = new Set([
  'GET',
  'HEAD',
  'POST',
  'PUT',
  'PATCH',
  'DELETE',
  'OPTIONS',
  'TRACE',
  'CONNECT',
]);

/**
 * The mesh's Prometheus metrics on a registry the caller owns. Labels are logical upstreams,
 * methods, status classes and states: never endpoint addresses, paths or request ids.
 */
export class MeshMetrics {
  readonly #duration: Histogram<string>;
  readonly #counts = new CallCounts();
  readonly #retries: Counter<string>;
  readonly #retryRefusals: Counter<string>;
  readonly #hedges: Counter<string>;
  readonly #hedgesWon: Counter<string>;
  readonly #ejections: Counter<string>;

  constructor(registry: Registry, snapshot: () => UpstreamSnapshot[]) {
    if (registry.getSingleMetric('http_client_request_duration_seconds')) {
      throw new MeshConfigError(
        'ERR_METRICS_REGISTERED',
        'This registry already holds the mesh metrics',
        {
          advice:
            'give each mesh its own prom-client Registry (one mesh per process is the norm), or merge registries with Registry.merge',
        },
      );
    }
    const registers = [registry];
    const counts = this.#counts;
    this.#duration = new Histogram({
      name: 'http_client_request_duration_seconds',
      help: 'Duration of calls to upstream services, from the first attempt to the response headers, retries and hedges included.',
      labelNames: ['upstream', 'http_request_method', 'http_response_status_class'],
      buckets: HTTP_DURATION_BUCKETS,
      registers,
    });
    new Counter({
      name: 'trellis_client_requests_total',
      help: 'Calls to upstream services by outcome.',
      labelNames: ['upstream', 'http_request_method', 'http_response_status_class'],
      registers,
      collect() {
        this.reset();
        for (const { labels, count } of counts.answeredSeries()) this.inc(labels, count);
      },
    });
    new Gauge({
      name: 'trellis_client_requests_in_flight',
      help: 'Calls to upstream services started and not yet answered.',
      labelNames: ['upstream'],
      registers,
      collect() {
        this.reset();
        for (const [upstream, count] of counts.inFlight) this.set({ upstream }, count);
      },
    });
    this.#retries = new Counter({
      name: 'trellis_client_retries_total',
      help: 'Retries sent, by the failure that caused them.',
      labelNames: ['upstream', 'reason'],
      registers,
    });
    this.#retryRefusals = new Counter({
      name: 'trellis_client_retries_refused_total',
      help: 'Retries that were due but refused, by the budget or the deadline.',
      labelNames: ['upstream', 'reason'],
      registers,
    });
    this.#hedges = new Counter({
      name: 'trellis_client_hedges_total',
      help: 'Hedged copies of slow calls sent to another endpoint.',
      labelNames: ['upstream'],
      registers,
    });
    this.#hedgesWon = new Counter({
      name: 'trellis_client_hedges_won_total',
      help: 'Hedged copies that answered first.',
      labelNames: ['upstream'],
      registers,
    });
    this.#ejections = new Counter({
      name: 'trellis_endpoint_ejections_total',
      help: 'Endpoints ejected by outlier detection, by reason.',
      labelNames: ['upstream', 'reason'],
      registers,
    });
    new Gauge({
      name: 'trellis_upstream_endpoints',
      help: 'Endpoints of each upstream by state: healthy (eligible), ejected, draining, unhealthy (failing active checks).',
      labelNames: ['upstream', 'state'],
      registers,
      collect() {
        this.reset();
        for (const upstream of snapshot()) {
          const counts = { healthy: 0, ejected: 0, draining: 0, unhealthy: 0 };
          for (const endpoint of upstream.endpoints) {
            if (endpoint.draining) counts.draining += 1;
            else if (endpoint.ejected) counts.ejected += 1;
            else if (!endpoint.activeCheckHealthy) counts.unhealthy += 1;
            else counts.healthy += 1;
          }
          for (const [state, count] of Object.entries(counts))
            this.set({ upstream: upstream.name, state }, count);
        }
      },
    });
    new Gauge({
      name: 'trellis_upstream_breaker_state',
      help: 'Circuit breaker state of each upstream: 1 for the current state (closed, open, halfOpen), 0 for the others.',
      labelNames: ['upstream', 'state'],
      registers,
      collect() {
        this.reset();
        for (const upstream of snapshot()) {
          if (upstream.breaker === 'off') continue;
          for (const state of ['closed', 'open', 'halfOpen']) {
            this.set({ upstream: upstream.name, state }, upstream.breaker === state ? 1 : 0);
          }
        }
      },
    });
    new Gauge({
      name: 'trellis_upstream_panic',
      help: '1 while too few endpoints are healthy and the upstream balances over all of them.',
      labelNames: ['upstream'],
      registers,
      collect() {
        this.reset();
        for (const upstream of snapshot())
          this.set({ upstream: upstream.name }, upstream.panic ? 1 : 0);
      },
    });
  }

  callStarted(upstream: string): void {
    this.#counts.started(upstream);
  }

  callEnded(
    upstream: string,
    method: string,
    statusCode: number | undefined,
    seconds: number,
  ): void {
    const http_request_method = KNOWN_METHODS.has(method) ? method : '_OTHER';
    const statusIndex = statusClassIndex(statusCode);
    this.#counts.ended(upstream, http_request_method, statusIndex);
    this.#duration.observe(
      { upstream, http_request_method, http_response_status_class: STATUS_CLASSES[statusIndex]! },
      seconds,
    );
  }

  /** Counts the decisions that have counters. */
  record(event: MeshEvent): void {
    switch (event.type) {
      case 'retry':
        this.#retries.inc({ upstream: event.upstream, reason: event.reason });
        break;
      case 'retry-refused':
        this.#retryRefusals.inc({ upstream: event.upstream, reason: event.reason });
        break;
      case 'hedge':
        this.#hedges.inc({ upstream: event.upstream });
        break;
      case 'hedge-won':
        this.#hedgesWon.inc({ upstream: event.upstream });
        break;
      case 'eject':
        this.#ejections.inc({ upstream: event.upstream, reason: event.reason });
        break;
      default:
        break;
    }
  }
}
