/** A failed JSON exchange, with a short reason fit for the page. */
export class HttpJsonError extends Error {
  override readonly name = 'HttpJsonError';
}

export interface JsonAnswer {
  status: number;
  body: unknown;
}

export interface JsonRequest {
  method?: 'GET' | 'POST';
  body?: unknown;
  timeoutMs: number;
}

/**
 * Sends one request and reads its JSON answer, whatever the status. Throws HttpJsonError when
 * there is no answer in time, no connection, or a body that is not JSON.
 */
export async function requestJson(url: string, request: JsonRequest): Promise<JsonAnswer> {
  let response: Response;
  try {
    response = await fetch(url, {
      method: request.method ?? 'GET',
      headers: {
        accept: 'application/json',
        ...(request.body !== undefined && { 'content-type': 'application/json' }),
      },
      ...(request.body !== undefined && { body: JSON.stringify(request.body) }),
      signal: AbortSignal.timeout(request.timeoutMs),
    });
  } catch (error) {
    throw new HttpJsonError(describeFetchFailure(error, request.timeoutMs));
  }
  let text: string;
  try {
    text = await response.text();
  } catch (error) {
    throw new HttpJsonError(describeFetchFailure(error, request.timeoutMs));
  }
  try {
    return { status: response.status, body: JSON.parse(text) as unknown };
  } catch {
    throw new HttpJsonError(`answered ${response.status} with a body that is not JSON`);
  }
}

function describeFetchFailure(error: unknown, timeoutMs: number): string {
  if (error instanceof DOMException && error.name === 'TimeoutError') {
    return `no answer within ${timeoutMs} ms`;
  }
  const cause = (error as { cause?: { code?: unknown; message?: unknown } }).cause;
  if (typeof cause?.code === 'string') {
    return cause.code === 'ECONNREFUSED'
      ? 'connection refused'
      : `connection failed (${cause.code})`;
  }
  if (typeof cause?.message === 'string') return cause.message;
  return error instanceof Error ? error.message : String(error);
}
