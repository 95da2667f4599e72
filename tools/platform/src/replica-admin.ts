import type { Knobs, LoadStatus } from './status.js';

/** Calls to a replica's own HTTP routes: readiness, failure knobs, the loadgen's settings. */

export interface JsonAnswer<T> {
  status: number;
  body: T;
}

async function requestJson<T>(
  url: string,
  options: { method?: string; body?: unknown; timeoutMs: number },
): Promise<JsonAnswer<T>> {
  const response = await fetch(url, {
    method: options.method ?? 'GET',
    signal: AbortSignal.timeout(options.timeoutMs),
    ...(options.body !== undefined && {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(options.body),
    }),
  });
  const text = await response.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = { error: { code: 'ERR_NOT_JSON', message: text.slice(0, 200) } };
  }
  return { status: response.status, body: body as T };
}

/** Whether `GET /readyz` answers 200. */
export async function isReady(url: string): Promise<boolean> {
  try {
    return (await requestJson(`${url}/readyz`, { timeoutMs: 2_000 })).status === 200;
  } catch {
    return false;
  }
}

/** The replica's knobs, or null when it does not answer in time. */
export async function readKnobs(url: string): Promise<Knobs | null> {
  try {
    const answer = await requestJson<Knobs>(`${url}/admin/knobs`, { timeoutMs: 1_000 });
    return answer.status === 200 ? answer.body : null;
  } catch {
    return null;
  }
}

/** Sets some knobs; throws with the replica's message when it refuses or does not answer. */
export async function setKnobs(url: string, knobs: Partial<Knobs>): Promise<Knobs> {
  const answer = await requestJson<Knobs & { error?: { message: string } }>(`${url}/admin/knobs`, {
    method: 'POST',
    body: knobs,
    timeoutMs: 5_000,
  });
  if (answer.status !== 200) {
    throw new Error(answer.body.error?.message ?? `the replica answered ${answer.status}`);
  }
  return {
    latencyMs: answer.body.latencyMs,
    errorRate: answer.body.errorRate,
    hang: answer.body.hang,
  };
}

/** The loadgen's report, or null when it does not answer in time. */
export async function readLoad(url: string): Promise<LoadStatus | null> {
  try {
    const answer = await requestJson<LoadStatus>(`${url}/admin/load`, { timeoutMs: 1_500 });
    return answer.status === 200 ? answer.body : null;
  } catch {
    return null;
  }
}

/** Sends new settings to a loadgen; answers its status and body as they are. */
export function postLoad(url: string, settings: unknown): Promise<JsonAnswer<unknown>> {
  return requestJson(`${url}/admin/load`, { method: 'POST', body: settings, timeoutMs: 5_000 });
}
