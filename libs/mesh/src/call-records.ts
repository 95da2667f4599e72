import type { PreparedRequest } from './attempt.js';
import type { CallPlan, CallServices, HedgePolicy, RetryPolicy } from './call-runner.js';
import type { Clock, RandomSource } from './clock.js';
import type { Deadline } from './deadline/deadline.js';
import type { MeshEventLog } from './events.js';
import type { MeshResponse, ResponseBody } from './request.js';
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
    readonly callSignal: AbortSignal,
    readonly onLatency: (ms: number) => void,
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
    readonly callSignal: AbortSignal,
    readonly callerSignal: AbortSignal | undefined,
    readonly retry: RetryPolicy | undefined,
    readonly hedge: HedgePolicy | undefined,
    readonly attemptTimeoutMs: number | undefined,
    readonly discoveryWaitMs: number,
    readonly onAttempts: (count: number) => void,
  ) {}
}

export class AttemptResponse implements MeshResponse {
  constructor(
    readonly statusCode: number,
    readonly headers: MeshResponse['headers'],
    readonly body: ResponseBody,
    readonly upstream: string,
    readonly endpoint: string,
  ) {}
}

/**
 * Runs `done` once when the body closes or fails, and then takes both listeners off (a `once`
 * listener for the event that never comes would stay on the body with everything it holds).
 */
export function whenBodyEnds(body: ResponseBody, done: () => void): void {
  const end = (): void => {
    body.off('close', end);
    body.off('error', end);
    done();
  };
  body.on('close', end);
  body.on('error', end);
}
