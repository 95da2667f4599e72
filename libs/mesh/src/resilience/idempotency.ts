/** Methods whose repetition has the same effect as a single call (RFC 9110, section 9.2.2). */
export const IDEMPOTENT_METHODS: ReadonlySet<string> = new Set([
  'GET',
  'HEAD',
  'OPTIONS',
  'PUT',
  'DELETE',
  'TRACE',
]);

export const IDEMPOTENCY_KEY_HEADER = 'idempotency-key';

/**
 * Whether sending a request twice is safe: the caller's explicit word wins; otherwise the method
 * decides, or an `Idempotency-Key` header through which the server deduplicates repeats.
 */
export function isIdempotent(
  method: string,
  headers: Record<string, string | string[] | undefined>,
  explicit?: boolean,
): boolean {
  if (explicit !== undefined) return explicit;
  if (IDEMPOTENT_METHODS.has(method.toUpperCase())) return true;
  return hasIdempotencyKey(headers);
}

function hasIdempotencyKey(headers: Record<string, string | string[] | undefined>): boolean {
  for (const [name, value] of Object.entries(headers)) {
    if (name.toLowerCase() !== IDEMPOTENCY_KEY_HEADER || value === undefined) continue;
    const values = Array.isArray(value) ? value : [value];
    if (values.some((one) => one.trim() !== '')) return true;
  }
  return false;
}
