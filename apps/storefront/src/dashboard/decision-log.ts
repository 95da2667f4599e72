import type { DecisionView } from './dashboard-view.js';
import type { MeshEventReading } from './mesh-reading.js';

/** The instance whose mesh took the decisions. */
export interface DecisionSource {
  service: string;
  replica: string;
  /** Registry instance id, else address:port: two processes never share it. */
  identity: string;
}

/**
 * The mesh's recent decisions across every instance, newest first. Each instance reports its last
 * ones at every tick; the log merges them, drops the repeats, and keeps the newest `capacity`, so
 * a decision stays visible after the instance that took it is gone.
 */
export class DecisionLog {
  readonly #decisions = new Map<string, DecisionView>();

  constructor(private readonly capacity = 50) {}

  add(
    source: DecisionSource,
    events: readonly MeshEventReading[],
    replicaOf: (endpointKey: string) => string,
  ): void {
    for (const event of events) {
      const id = `${source.identity}|${JSON.stringify(event)}`;
      if (this.#decisions.has(id)) continue;
      const endpoint = typeof event['endpoint'] === 'string' ? event['endpoint'] : undefined;
      const replica = endpoint === undefined ? null : replicaOf(endpoint);
      this.#decisions.set(id, {
        id,
        at: event.at,
        type: event.type,
        caller: source.service,
        callerReplica: source.replica,
        upstream: event.upstream,
        replica,
        detail: describeDecision(event, replica ?? 'an endpoint'),
      });
    }
    this.#trim();
  }

  list(): DecisionView[] {
    return [...this.#decisions.values()];
  }

  #trim(): void {
    const newestFirst = [...this.#decisions.values()].sort((a, b) => b.at - a.at);
    this.#decisions.clear();
    for (const decision of newestFirst.slice(0, this.capacity)) {
      this.#decisions.set(decision.id, decision);
    }
  }
}

/** One line in plain words, as the feed shows it. */
export function describeDecision(event: MeshEventReading, replica: string): string {
  const field = (name: string): string => String(event[name] ?? '?');
  switch (event.type) {
    case 'eject':
      return `ejected ${replica} for ${seconds(event['durationMs'])} (${field('reason')})`;
    case 'uneject':
      return `${replica} is back in rotation`;
    case 'health-check':
      return `${replica} ${event['healthy'] ? 'passed' : 'failed'} its health check`;
    case 'panic':
      return event['active']
        ? `panic: ${field('healthy')} of ${field('total')} endpoints healthy, balancing over all`
        : `panic over: ${field('healthy')} of ${field('total')} endpoints healthy`;
    case 'breaker':
      return `breaker ${breakerWord(event['state'])}`;
    case 'retry':
      return `retry ${field('attempt')} after ${field('reason')} from ${replica}`;
    case 'retry-refused':
      return `retry refused (${field('reason')}) after a failure from ${replica}`;
    case 'hedge':
      return `hedged to ${replica} after ${field('afterMs')} ms`;
    case 'hedge-won':
      return `the hedge to ${replica} answered first`;
    case 'fault':
      return `injected fault: delay ${field('delayMs')} ms${
        typeof event['abortStatus'] === 'number' ? `, abort ${event['abortStatus']}` : ''
      }`;
    default:
      return event.type;
  }
}

function seconds(durationMs: unknown): string {
  return typeof durationMs === 'number' ? `${Math.round(durationMs / 100) / 10} s` : '?';
}

function breakerWord(state: unknown): string {
  if (state === 'halfOpen') return 'half-open: letting a trial call through';
  if (state === 'open') return 'opened: failing fast';
  if (state === 'close') return 'closed again';
  return String(state);
}
