/** `2xx`..`5xx`, or `error` when no response came: bounded label values, never raw codes. */
export const STATUS_CLASSES = ['1xx', '2xx', '3xx', '4xx', '5xx', 'error'] as const;

/** The index of a status code's class in STATUS_CLASSES. */
export function statusClassIndex(statusCode: number | undefined): number {
  if (statusCode === undefined || statusCode < 100 || statusCode > 599) return 5;
  return Math.floor(statusCode / 100) - 1;
}

/**
 * Per-call counts kept as plain numbers and handed to Prometheus at scrape time: a prom-client
 * update validates and hashes its labels on every call, which cost more than the call's own work.
 */
export class CallCounts {
  /** Calls started and not yet answered, by upstream. */
  readonly inFlight = new Map<string, number>();
  /** Calls answered, by upstream, then method, then status class index. */
  readonly #answered = new Map<string, Map<string, number[]>>();

  started(upstream: string): void {
    this.inFlight.set(upstream, (this.inFlight.get(upstream) ?? 0) + 1);
  }

  ended(upstream: string, method: string, statusIndex: number): void {
    this.inFlight.set(upstream, (this.inFlight.get(upstream) ?? 1) - 1);
    let byMethod = this.#answered.get(upstream);
    if (!byMethod) {
      byMethod = new Map();
      this.#answered.set(upstream, byMethod);
    }
    let counts = byMethod.get(method);
    if (!counts) {
      counts = STATUS_CLASSES.map(() => 0);
      byMethod.set(method, counts);
    }
    counts[statusIndex]! += 1;
  }

  /** Every answered series with its labels, for the request counter at scrape time. */
  *answeredSeries(): Generator<{ labels: Record<string, string>; count: number }> {
    for (const [upstream, byMethod] of this.#answered) {
      for (const [http_request_method, byClass] of byMethod) {
        for (let index = 0; index < byClass.length; index++) {
          const count = byClass[index]!;
          if (count === 0) continue;
          const http_response_status_class = STATUS_CLASSES[index]!;
          yield { labels: { upstream, http_request_method, http_response_status_class }, count };
        }
      }
    }
  }
}
