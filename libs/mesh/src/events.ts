import { trace, type Attributes } from '@opentelemetry/api';

/** A decision the mesh took, for logs, span events, metrics and dashboards. */
export type MeshEvent =
  | { type: 'eject'; upstream: string; endpoint: string; reason: string; durationMs: number }
  | { type: 'uneject'; upstream: string; endpoint: string }
  | { type: 'health-check'; upstream: string; endpoint: string; healthy: boolean }
  | { type: 'panic'; upstream: string; active: boolean; healthy: number; total: number }
  | { type: 'breaker'; upstream: string; state: 'open' | 'halfOpen' | 'close' }
  | { type: 'retry'; upstream: string; endpoint: string; attempt: number; reason: string }
  | { type: 'retry-refused'; upstream: string; endpoint: string; reason: 'budget' | 'deadline' }
  | { type: 'hedge'; upstream: string; endpoint: string; afterMs: number }
  | { type: 'hedge-won'; upstream: string; endpoint: string }
  | { type: 'fault'; upstream: string; delayMs: number; abortStatus: number | undefined };

export type MeshEventListener = (event: MeshEvent & { at: number }) => void;

/** Fans decisions out to listeners and keeps the last few for admin views. */
export class MeshEventLog {
  readonly #listeners = new Set<MeshEventListener>();
  readonly #recent: (MeshEvent & { at: number })[] = [];

  constructor(private readonly capacity = 200) {}

  emit(event: MeshEvent): void {
    const stamped = { ...event, at: Date.now() };
    // The decision becomes an event on the span of the call that caused it, when there is one.
    const span = trace.getActiveSpan();
    if (span?.isRecording()) span.addEvent(`trellis.${event.type}`, spanAttributes(event));
    this.#recent.push(stamped);
    if (this.#recent.length > this.capacity) this.#recent.shift();
    for (const listener of this.#listeners) {
      try {
        listener(stamped);
      } catch {
        // A listener's bug must not break the request path.
      }
    }
  }

  subscribe(listener: MeshEventListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  recent(): readonly (MeshEvent & { at: number })[] {
    return [...this.#recent];
  }
}

function spanAttributes(event: MeshEvent): Attributes {
  const attributes: Attributes = {};
  for (const [key, value] of Object.entries(event)) {
    if (key === 'type' || value === undefined) continue;
    attributes[`trellis.${key}`] = value as string | number | boolean;
  }
  return attributes;
}
