import type { MeshResponse } from '../request.js';

/**
 * A call's final 5xx answer, thrown so that the breaker counts the call as failed; the client
 * hands the answer itself back to the caller. Not an Error: it never reaches the caller, so it
 * has no use for a stack trace.
 */
export class FailedAnswer {
  constructor(readonly response: MeshResponse) {}
}
