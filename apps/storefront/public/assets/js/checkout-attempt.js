/* global sessionStorage, crypto */
// One Idempotency-Key per checkout attempt, kept in sessionStorage: a double click, a retry after
// an error or a reload sends the same key, so the shop places the order once. Placed orders are
// kept there too, for the confirmation page.

const ATTEMPT_KEY = 'trellis.checkout.idempotencyKey';
const ORDER_PREFIX = 'trellis.order.';
// Where storage is blocked, the page still works for as long as it stays open.
const memory = new Map();

function read(name) {
  try {
    return sessionStorage.getItem(name);
  } catch {
    return memory.get(name) ?? null;
  }
}

function write(name, value) {
  try {
    if (value === null) sessionStorage.removeItem(name);
    else sessionStorage.setItem(name, value);
  } catch {
    if (value === null) memory.delete(name);
    else memory.set(name, value);
  }
}

function randomKey() {
  // getRandomValues works on plain http too, where randomUUID is unavailable.
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return `web-${Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('')}`;
}

/** The current attempt's key, made on first use. */
export function checkoutAttemptKey() {
  let key = read(ATTEMPT_KEY);
  if (!key) {
    key = randomKey();
    write(ATTEMPT_KEY, key);
  }
  return key;
}

/** The attempt got a final answer: the next one is a new checkout with a new key. */
export function endCheckoutAttempt() {
  write(ATTEMPT_KEY, null);
}

export function saveOrder(order) {
  write(ORDER_PREFIX + order.orderId, JSON.stringify(order));
}

export function loadOrder(orderId) {
  const stored = read(ORDER_PREFIX + orderId);
  if (!stored) return undefined;
  try {
    return JSON.parse(stored);
  } catch {
    return undefined;
  }
}
