/* global fetch */

/**
 * Asks the storefront to send chaos on to the launcher. Resolves with a sentence for the toast
 * and whether it worked; never throws.
 */
export async function sendChaos(action, replica) {
  let response;
  try {
    response = await fetch('/dashboard/chaos', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ action, replica }),
    });
  } catch {
    return { ok: false, message: `Could not reach the storefront to ${action} ${replica}.` };
  }
  let body = null;
  try {
    body = await response.json();
  } catch {
    // The message below does without the body.
  }
  if (response.ok) return { ok: true, message: `${replica}: ${action} done.` };
  const reason = body?.error?.message ?? body?.message ?? `HTTP ${response.status}`;
  return { ok: false, message: `${action} ${replica} failed: ${reason}` };
}
