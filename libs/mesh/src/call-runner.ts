import {
  startAttempt,
  type AttemptContext,
  type AttemptHandle,
  type AttemptResult,
  type PreparedRequest,
} from './attempt.js';
import type { CallLifetime } from './call-lifetime.js';
import type { RandomSource } from './clock.js';
import { DeadlineExceededError, type Deadline } from './deadline/deadline.js';
import type { EndpointState } from './endpoint-state.js';
import { NoEndpointsError, RequestAbortedError, RetryBudgetExhaustedError } from './errors.js';
import type { MeshEventLog } from './events.js';
import type { MeshResponse } from './request.js';
import { fullJitterBackoff, type BackoffOptions } from './resilience/backoff.js';
import { FailedAnswer } from './resilience/failed-answer.js';
import type { RetryBudget } from './resilience/retry-budget.js';
import {
  classifyFailure,
  countsAsEndpointFailure,
  mayRetry,
} from './resilience/retry-classifier.js';

export interface RetryPolicy {
  readonly maxRetries: number;
  readonly backoff: Required<BackoffOptions>;
}

export interface HedgePolicy {
  /** A fixed delay, or the upstream's observed p95 (with a fallback until enough samples exist). */
  readonly delayMs: number | 'p95';
  readonly fallbackDelayMs: number;
}

export interface CallPlan {
  readonly request: PreparedRequest;
  readonly idempotent: boolean;
  readonly hashKey: string | undefined;
  readonly deadline: Deadline;
  readonly call: CallLifetime;
  readonly callerSignal: AbortSignal | undefined;
  readonly retry: RetryPolicy | undefined;
  readonly hedge: HedgePolicy | undefined;
  readonly attemptTimeoutMs: number | undefined;
  readonly discoveryWaitMs: number;
  /** The clock when the call began: the first attempt goes out in the same turn, so it reuses it. */
  readonly startedAt: number;
  /** Told how many attempts (hedges included) the call has sent so far. */
  readonly onAttempts?: (count: number) => void;
}

export interface CallServices extends AttemptContext {
  readonly random: RandomSource;
  readonly events: MeshEventLog;
  readonly budget: RetryBudget | undefined;
}

/**
 * The attempt loop of one call: pick, send, learn, and retry or hedge while the call is
 * idempotent, the failure is retryable, the deadline allows and the retry budget pays. Resolves
 * with an answer below 500; a final 5xx answer rejects as a FailedAnswer that carries it.
 */
export async function runCall(plan: CallPlan, services: CallServices): Promise<MeshResponse> {
  const { upstream } = services;
  const name = upstream.name;
  services.budget?.recordRequest(plan.startedAt);
  // Clock readings cost: the first attempt, sent in the call's first turn, reuses the call's.
  let now = plan.startedAt;
  if (upstream.endpoints.length === 0) {
    await upstream.whenEndpoints(plan.call.signal, plan.discoveryWaitMs);
    now = services.clock();
  }
  const progress = new CallProgress();
  for (let attempt = 1; ; attempt++) {
    if (attempt > 1) now = services.clock();
    throwIfCallAborted(plan, name, undefined, now);
    const lastAllowed = !plan.retry || attempt > plan.retry.maxRetries;
    const result = mayHedge(plan)
      ? await attemptWithHedge(plan, services, progress, lastAllowed, now)
      : settle(
          services,
          await launchNext(plan, services, progress, lastAllowed, false, now).result,
        );
    plan.onAttempts?.(progress.sends);
    const kind = classifyFailure(result.outcome);
    if (kind === undefined) return result.response as MeshResponse;
    const status = result.outcome.kind === 'response' ? result.outcome.statusCode : undefined;
    const final = (): never => {
      if (result.response) throw new FailedAnswer(result.response);
      throwIfCallAborted(plan, name, `the last attempt went to ${result.state.key}`);
      throw result.error;
    };
    const retryable =
      plan.retry !== undefined &&
      plan.request.replayable &&
      mayRetry(kind, status, plan.idempotent);
    if (!retryable || lastAllowed) return final();
    if (plan.deadline.remainingMs() <= 1) {
      services.events.emit({
        type: 'retry-refused',
        upstream: name,
        endpoint: result.state.key,
        reason: 'deadline',
      });
      return final();
    }
    if (services.budget && !services.budget.tryWithdraw()) {
      services.events.emit({
        type: 'retry-refused',
        upstream: name,
        endpoint: result.state.key,
        reason: 'budget',
      });
      if (result.response) throw new FailedAnswer(result.response);
      throw new RetryBudgetExhaustedError(name, result.error);
    }
    if (result.response) await result.response.body.dump().catch(() => undefined);
    services.events.emit({
      type: 'retry',
      upstream: name,
      endpoint: result.state.key,
      attempt: attempt + 1,
      reason: kind,
    });
    const pause = Math.min(
      fullJitterBackoff(attempt, plan.retry!.backoff, services.random),
      Math.max(0, plan.deadline.remainingMs() - 1),
    );
    await plan.call.sleep(pause).catch(() => throwIfCallAborted(plan, name));
  }
}

function mayHedge(plan: CallPlan): boolean {
  return plan.hedge !== undefined && plan.idempotent && plan.request.replayable;
}

/** Picks an endpoint and sends the call's next attempt to it. */
function launchNext(
  plan: CallPlan,
  services: CallServices,
  progress: CallProgress,
  lastAllowed: boolean,
  hedge: boolean,
  now: number,
): AttemptHandle {
  return launch(
    plan,
    services,
    pickEndpoint(plan, services, progress),
    lastAllowed,
    progress,
    hedge,
    now,
  );
}

/** One attempt, and a second to another endpoint if the first is slow. */
async function attemptWithHedge(
  plan: CallPlan,
  services: CallServices,
  progress: CallProgress,
  lastAllowed: boolean,
  now: number,
): Promise<AttemptResult> {
  const primary = launchNext(plan, services, progress, lastAllowed, false, now);
  const hedge = plan.hedge!;
  const delayMs =
    hedge.delayMs === 'p95'
      ? (services.latency.quantile(0.95) ?? hedge.fallbackDelayMs)
      : hedge.delayMs;
  const early = await Promise.race([
    primary.result,
    plan.call.sleep(delayMs).then(
      () => undefined,
      () => undefined,
    ),
  ]);
  if (early) return settle(services, early);
  const second = upstreamHasAlternative(services, progress)
    ? pickEndpoint(plan, services, progress)
    : undefined;
  if (!second || (services.budget && !services.budget.tryWithdraw()))
    return settle(services, await primary.result);
  services.events.emit({
    type: 'hedge',
    upstream: services.upstream.name,
    endpoint: second.key,
    afterMs: Math.round(delayMs),
  });
  const secondary = launch(plan, services, second, lastAllowed, progress, true, services.clock());
  const contenders: [AttemptHandle, AttemptHandle] = [primary, secondary];
  const firstDone = await Promise.race(
    contenders.map((handle, index) => handle.result.then((result) => ({ result, index }))),
  );
  const other = contenders[1 - firstDone.index]!;
  if (classifyFailure(firstDone.result.outcome) === undefined) {
    other.cancel();
    void other.result.then((result) => settle(services, result));
    if (firstDone.index === 1)
      services.events.emit({
        type: 'hedge-won',
        upstream: services.upstream.name,
        endpoint: second.key,
      });
    return settle(services, firstDone.result);
  }
  settle(services, firstDone.result);
  if (firstDone.result.response) await firstDone.result.response.body.dump().catch(() => undefined);
  return settle(services, await other.result);
}

function launch(
  plan: CallPlan,
  services: CallServices,
  state: EndpointState,
  lastAllowed: boolean,
  progress: CallProgress,
  hedge: boolean,
  now: number,
): AttemptHandle {
  const remaining = Math.max(1, plan.deadline.remainingMs(now));
  // An idempotent call keeps time for another attempt unless this is its last.
  const share =
    plan.idempotent && !lastAllowed && plan.request.replayable ? remaining / 2 : remaining;
  const limit = plan.attemptTimeoutMs ?? share;
  const resendCount = progress.sends;
  progress.sends += 1;
  // An attempt allowed all the call's time is ended by the deadline alone, so the error says so.
  return startAttempt(
    services,
    state,
    plan.request,
    limit >= remaining ? Number.POSITIVE_INFINITY : limit,
    resendCount,
    hedge,
    now,
  );
}

function pickEndpoint(
  plan: CallPlan,
  services: CallServices,
  progress: CallProgress,
): EndpointState {
  const state = services.upstream.pick({ hashKey: plan.hashKey, avoid: progress.tried });
  if (!state) {
    throw new NoEndpointsError(
      services.upstream.name,
      services.upstream.discovered
        ? `${services.upstream.resolver.description} lists no endpoints`
        : `${services.upstream.resolver.description} has not answered yet`,
    );
  }
  progress.addTried(state.key);
  return state;
}

function upstreamHasAlternative(services: CallServices, progress: CallProgress): boolean {
  return services.upstream.eligible.some((state) => !progress.hasTried(state.key));
}

/** How many attempts a call has sent, and the endpoints they went to (a set from the second). */
class CallProgress {
  sends = 0;
  #first: string | undefined;
  #tried: Set<string> | undefined;

  /** The endpoints to avoid on the next pick; none before the first. */
  get tried(): ReadonlySet<string> | undefined {
    if (this.#first === undefined) return undefined;
    return (this.#tried ??= new Set([this.#first]));
  }

  addTried(key: string): void {
    if (this.#first === undefined) this.#first = key;
    else (this.#tried ??= new Set([this.#first])).add(key);
  }

  hasTried(key: string): boolean {
    return this.#tried ? this.#tried.has(key) : this.#first === key;
  }
}

/** Feeds an attempt's outcome to the endpoint's health, unless the mesh or the caller cut it short. */
function settle(services: CallServices, result: AttemptResult): AttemptResult {
  // An attempt cut short by the caller or the deadline says nothing about the endpoint.
  if (result.cancelled || (result.outcome.kind === 'error' && services.call.aborted)) return result;
  const kind = classifyFailure(result.outcome);
  const status = result.outcome.kind === 'response' ? result.outcome.statusCode : undefined;
  services.upstream.recordOutcome(
    result.state,
    kind !== undefined && countsAsEndpointFailure(kind, status),
  );
  return result;
}

function throwIfCallAborted(plan: CallPlan, upstream: string, detail?: string, now?: number): void {
  if (plan.callerSignal?.aborted) throw new RequestAbortedError(upstream, plan.callerSignal.reason);
  if (plan.call.aborted || plan.deadline.remainingMs(now) <= 0)
    throw new DeadlineExceededError(upstream, detail);
}
