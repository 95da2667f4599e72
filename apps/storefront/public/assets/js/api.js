/* global fetch */
// Calls to the storefront's JSON API, with one error type for every way a call can fail.

/** A refusal or failure from the API: the HTTP status (0 when unreachable) and the error code. */
export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
  }
}

/** Calls the API and answers the parsed JSON; anything but a 2xx throws ApiError. */
export async function api(method, path, { body, headers = {} } = {}) {
  let response;
  let text;
  try {
    response = await fetch(path, {
      method,
      credentials: 'same-origin',
      headers: {
        accept: 'application/json',
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    text = await response.text();
  } catch {
    throw new ApiError(0, 'ERR_NETWORK', 'The shop could not be reached.');
  }
  const data = parseJson(text);
  if (!response.ok) {
    const error = data && typeof data === 'object' ? data.error : undefined;
    throw new ApiError(
      response.status,
      error?.code ?? `ERR_HTTP_${response.status}`,
      error?.message ?? `The shop answered ${response.status}.`,
    );
  }
  return data;
}

function parseJson(text) {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
