import type { Dispatcher } from 'undici';
import type { AttemptResult, PreparedRequest } from './attempt.js';
import type { CallPlan, CallServices, HedgePolicy, RetryPolicy } from './call-runner.js';
import type { CallLifetime } from './call-lifetime.js';
import type { Clock, RandomSource } from './clock.js';
import type { Deadline } from './deadline/deadline.js';
import type { EndpointState } from './endpoint-state.js';
import type { MeshEventLog } from './events.js';
import type { MeshResponse, ResponseBody } from './request.js';
import type { AttemptOutcome } from './resilience/retry-classifier.js';
import type { LatencyWindow } from './resilience/latency-window.js';
import type { RetryBudget } from './resilience/retry-budget.js';
import type { Upstream } from './upstream.js';

// The objects below live for a whole call. They are class instances, not object literals, on
// purpose: V8 may decide to allocate a hot literal's objects straight in the old generation
// ("allocation-site pretenuring"); such an object then keeps the young objects it points to
// alive through every scavenge until the next full GC, and under load the mesh spent more time
// collecting than working. Instances of a class are never pretenured that way.

export class PreparedCall implements PreparedRequest {
  constructor(
    readonly method: string,
    readonly path: string,
    readonly headers: Record<string, string | string[]>,
    readonly body: PreparedRequest['body'],
    readonly replayable: boolean,
  ) {}
}

export class CallScope implements CallServices {
  constructor(
    readonly upstream: Upstream,
    readonly clock: Clock,
    readonly deadline: Deadline,
    readonly call: CallLifetime,
    readonly random: RandomSource,
    readonly events: MeshEventLog,
    readonly budget: RetryBudget | undefined,
    readonly latency: LatencyWindow,
  ) {}
}

export class CallPlanRecord implements CallPlan {
  constructor(
    readonly request: PreparedRequest,
    readonly idempotent: boolean,
    readonly hashKey: string | undefined,
    readonly deadline: Deadline,
    readonly call: CallLifetime,
    readonly callerSignal: AbortSignal | undefined,
    readonly retry: RetryPolicy | undefined,
    readonly hedge: HedgePolicy | undefined,
    readonly attemptTimeoutMs: number | undefined,
    readonly discoveryWaitMs: number,
    readonly startedAt: number,
    readonly onAttempts: (count: number) => void,
  ) {}
}

/** What an attempt asks undici for (a pool keeps it while the request waits for a connection). */
export class AttemptDispatchOptions implements Dispatcher.DispatchOptions {
  constructor(
    readonly method: Dispatcher.HttpMethod,
    readonly path: string,
    readonly headers: Record<string, string | string[]>,
    readonly body: Exclude<PreparedRequest['body'], undefined> | null,
  ) {}
}

/** An attempt's transport, as far as its delivered response needs it. */
interface ResponseTransport {
  whenEnded(done: () => void): void;
}

export class AttemptResponse implements MeshResponse {
  readonly #transport: ResponseTransport;

  constructor(
    readonly statusCode: number,
    readonly headers: MeshResponse['headers'],
    readonly body: ResponseBody,
    readonly upstream: string,
    readonly endpoint: string,
    transport: ResponseTransport,
  ) {
    this.#transport = transport;
  }

  /** Runs `done` once the response's last byte has arrived, or it failed (now, if it has). */
  static whenEnded(response: MeshResponse, done: () => void): void {
    if (response instanceof AttemptResponse) response.#transport.whenEnded(done);
    else done();
  }
}

export class AttemptReport implements AttemptResult {
  constructor(
    readonly state: EndpointState,
    readonly outcome: AttemptOutcome,
    readonly response?: MeshResponse,
    readonly error?: unknown,
    readonly cancelled = false,
  ) {}
}
