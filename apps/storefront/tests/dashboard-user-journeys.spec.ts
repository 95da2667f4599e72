import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { DashboardView, JourneyFailure, LoadView } from '../src/dashboard/dashboard-view.js';

interface JourneySummary {
  ok: { text: string; value: string };
  failed: { text: string; value: string; bad: boolean };
  rate: string;
  title: string;
  failures: {
    at: string;
    time: string;
    kind: string;
    statusCode: number | null;
    status: string;
    message: string;
    count: number;
  }[];
  failuresNote: string;
}

/** The browser module, plain JavaScript served as is: its shape, as this file uses it. */
interface UserJourneysModule {
  FAILURES_SHOWN: number;
  journeySummary(view: DashboardView): JourneySummary | null;
}

let journeys: UserJourneysModule;
beforeAll(async () => {
  // A path held in a variable: the module has no type declarations, the interface above is its.
  const modulePath = join(__dirname, '..', 'public', 'dashboard', 'user-journeys.js');
  journeys = (await import(modulePath)) as UserJourneysModule;
});

function failure(second: number, status: number | null = 503): JourneyFailure {
  return {
    at: new Date(Date.UTC(2025, 0, 1, 10, 0, second)).toISOString(),
    kind: 'checkout',
    status,
    message: `POST /api/checkout: failure ${second}`,
  };
}

function load(overrides: Partial<LoadView> = {}): LoadView {
  return {
    rps: 20,
    mix: 'browse=70,cart=20,checkout=10',
    sent: 12_349,
    ok: 12_345,
    failed: 0,
    skipped: 0,
    inFlight: 4,
    byKind: {},
    recentFailures: [],
    journeysPerSecond: 19.8,
    ...overrides,
  };
}

function view(launcher: DashboardView['launcher']): DashboardView {
  return {
    generatedAt: new Date().toISOString(),
    windowMs: 5_000,
    totals: { requestsPerSecond: 0, errorsPerSecond: 0, replicasUp: 0, replicasTotal: 0 },
    services: [],
    edges: [],
    upstreams: [],
    instances: [],
    decisions: [],
    launcher,
  };
}

function withLoad(report: LoadView | null): DashboardView {
  return view({ reachable: true, error: null, replicas: [], load: report });
}

describe('the user journeys in the page', () => {
  it('shows nothing without a launcher, with an unreachable one, or without a loadgen', () => {
    expect(journeys.journeySummary(view(null))).toBeNull();
    expect(
      journeys.journeySummary(
        view({ reachable: false, error: 'connection refused', replicas: [], load: null }),
      ),
    ).toBeNull();
    expect(journeys.journeySummary(withLoad(null))).toBeNull();
  });

  it('formats the counts for the eye and keeps the plain numbers for data-value', () => {
    const summary = journeys.journeySummary(withLoad(load()))!;
    expect(summary.ok).toEqual({ text: '12,345', value: '12345' });
    expect(summary.failed).toEqual({ text: '0', value: '0', bad: false });
    expect(summary.rate).toBe('20/s');
    expect(summary.title).toBe(
      "The loadgen's simulated users since it started: 12,349 journeys sent, 4 under way. 20/s ended over the last 5 s (it starts 20/s).",
    );
    expect(summary.failures).toEqual([]);

    const slow = journeys.journeySummary(withLoad(load({ journeysPerSecond: 4.25 })))!;
    expect(slow.rate).toBe('4.3/s');
    // The first reading has no rate yet: no rate shown, rather than a wrong one.
    const first = journeys.journeySummary(withLoad(load({ journeysPerSecond: null })))!;
    expect(first.rate).toBe('');
    expect(first.title).not.toContain('ended');
  });

  it('marks failures as bad and lists the last few, newest first as the view has them', () => {
    const recentFailures = [7, 6, 5, 4, 3, 2, 1].map((second) =>
      failure(second, second === 7 ? null : 503),
    );
    const summary = journeys.journeySummary(
      withLoad(load({ failed: 1_234, recentFailures, journeysPerSecond: 0 })),
    )!;
    expect(summary.failed).toEqual({ text: '1,234', value: '1234', bad: true });
    expect(summary.rate).toBe('0/s');
    expect(journeys.FAILURES_SHOWN).toBe(5);
    expect(summary.failures.map((item) => item.message)).toEqual([
      'POST /api/checkout: failure 7',
      'POST /api/checkout: failure 6',
      'POST /api/checkout: failure 5',
      'POST /api/checkout: failure 4',
      'POST /api/checkout: failure 3',
    ]);
    expect(summary.failures[0]).toMatchObject({
      at: '2025-01-01T10:00:07.000Z',
      kind: 'checkout',
      statusCode: null,
      status: 'no answer',
    });
    expect(summary.failures[0]!.time).toMatch(/^\d\d:\d\d:07$/);
    expect(summary.failures[1]).toMatchObject({ statusCode: 503, status: '503' });
    expect(summary.failuresNote).toBe('The last 5 of 1,234, newest first: what the users saw.');

    const few = journeys.journeySummary(
      withLoad(load({ failed: 1, recentFailures: [failure(1)] })),
    )!;
    expect(few.failures).toHaveLength(1);
    expect(few.failuresNote).toBe('Newest first: what the users saw.');
  });

  it('shows a burst of the same failure once, with a count', () => {
    const outage = { kind: 'browse', status: 503, message: 'GET /api/products: 503' };
    const recentFailures: JourneyFailure[] = [
      { at: '2025-01-01T10:00:09.000Z', ...outage },
      { at: '2025-01-01T10:00:08.000Z', ...outage },
      { at: '2025-01-01T10:00:07.000Z', ...outage },
      failure(6),
      { at: '2025-01-01T10:00:05.000Z', ...outage },
      { at: '2025-01-01T10:00:04.000Z', ...outage },
    ];
    const summary = journeys.journeySummary(withLoad(load({ failed: 6, recentFailures })))!;
    // The last five: three alike, another, and the first of the next run.
    expect(summary.failures.map((item) => [item.at, item.kind, item.count])).toEqual([
      ['2025-01-01T10:00:09.000Z', 'browse', 3],
      ['2025-01-01T10:00:06.000Z', 'checkout', 1],
      ['2025-01-01T10:00:05.000Z', 'browse', 1],
    ]);
  });
});
