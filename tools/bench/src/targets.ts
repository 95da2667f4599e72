/**
 * The targets a load generator drives: a direct undici pool (to an upstream or to a proxy), or a
 * mesh client, with tracing and metrics when asked. Shared by the load generator and call-cost.
 */
import {
  createMesh,
  silentLogger,
  type Endpoint,
  type EndpointListener,
  type Mesh,
  type Resolver,
  type UpstreamConfig,
} from '@trellis/mesh';
// The bench drives undici directly for its baseline, as the mesh does underneath.
import { Pool } from 'undici';
import type { EndpointAddress, TargetSpec } from './protocol.js';

const UPSTREAM = 'bench';

/** One opened target: a call to repeat, and how to close it. */
export interface OpenTarget {
  call: () => Promise<void>;
  close: () => Promise<void>;
  /** The mesh behind a mesh target (for its snapshots). */
  mesh?: Mesh;
  /** Replaces a dynamic mesh target's endpoint set, as a rolling deploy would. */
  pushEndpoints?: (endpoints: EndpointAddress[]) => void;
}

/** An answer of 400 or more counts as a failed call, under its status as the error code. */
function failOnStatus(statusCode: number): void {
  if (statusCode >= 400) throw Object.assign(new Error('status'), { code: `HTTP_${statusCode}` });
}

/** A resolver the harness pushes whole endpoint sets to, as a rolling deploy would. */
class PushResolver implements Resolver {
  readonly description = 'bench-push';
  #endpoints: readonly Endpoint[];
  readonly #listeners = new Set<EndpointListener>();
  constructor(endpoints: readonly Endpoint[]) {
    this.#endpoints = endpoints;
  }
  set(endpoints: readonly Endpoint[]): void {
    this.#endpoints = endpoints;
    for (const listener of this.#listeners) listener(endpoints);
  }
  subscribe(listener: EndpointListener): () => void {
    this.#listeners.add(listener);
    listener(this.#endpoints);
    return () => this.#listeners.delete(listener);
  }
  async close(): Promise<void> {
    this.#listeners.clear();
  }
}

async function installTracing(): Promise<void> {
  // Tracing "on": a real OpenTelemetry SDK tracer provider, sampling every call, with
  // context propagation, and no exporter, so the cost is the mesh's spans and nothing downstream.
  const api = await import('@opentelemetry/api');
  const { AsyncLocalStorageContextManager } = await import('@opentelemetry/context-async-hooks');
  const { W3CTraceContextPropagator } = await import('@opentelemetry/core');
  const { TracerProvider } = await import('@opentelemetry/sdk-trace');
  api.context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  api.propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  api.trace.setGlobalTracerProvider(new TracerProvider({}));
}

/** Opens `target`; tracing, once installed, stays for the process. */
export async function openTarget(target: TargetSpec): Promise<OpenTarget> {
  if (target.kind === 'direct') {
    const pool = new Pool(`http://127.0.0.1:${target.port}`, {
      connections: target.connections,
      headersTimeout: 10_000,
      bodyTimeout: 10_000,
    });
    return {
      call: async () => {
        const { statusCode, body } = await pool.request({ method: 'GET', path: '/' });
        await body.dump();
        failOnStatus(statusCode);
      },
      close: () => pool.close(),
    };
  }
  const endpoints: Endpoint[] = target.endpoints.map((e) => ({ ...e }));
  const config: UpstreamConfig = {
    balancer: target.balancer ?? 'peak-ewma',
    ...(target.hedgeDelayMs !== undefined ? { hedging: { delayMs: target.hedgeDelayMs } } : {}),
    ...(target.timeoutMs !== undefined ? { timeoutMs: target.timeoutMs } : {}),
    ...(target.attemptTimeoutMs !== undefined ? { attemptTimeoutMs: target.attemptTimeoutMs } : {}),
  };
  let pushEndpoints: OpenTarget['pushEndpoints'];
  if (target.dynamic) {
    const resolver = new PushResolver(endpoints);
    config.resolver = resolver;
    pushEndpoints = (next) => resolver.set(next.map((e) => ({ ...e })));
  } else {
    config.endpoints = endpoints;
  }
  let metrics: { registry: import('prom-client').Registry } | undefined;
  if (target.tracing) await installTracing();
  if (target.metrics) {
    const { Registry } = await import('prom-client');
    metrics = { registry: new Registry() };
  }
  const mesh = createMesh({
    discovery: [],
    upstreams: { [UPSTREAM]: config },
    logger: silentLogger,
    ...(metrics ? { metrics } : {}),
  });
  const client = mesh.client(UPSTREAM);
  return {
    call: async () => {
      const response = await client.request({ method: 'GET', path: '/' });
      await response.body.dump();
      failOnStatus(response.statusCode);
    },
    close: () => mesh.close(),
    mesh,
    ...(pushEndpoints ? { pushEndpoints } : {}),
  };
}
