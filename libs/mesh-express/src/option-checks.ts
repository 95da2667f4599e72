import { InvalidOptionError } from './invalid-option-error.js';

/** A short, safe rendering of a bad value for an error message. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') {
    return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value);
  }
  if (typeof value === 'function') return 'a function';
  if (Array.isArray(value)) return 'an array';
  if (value === null) return 'null';
  if (typeof value === 'object') return 'an object';
  return String(value);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/** The options object itself: undefined becomes `{}`; anything else but a plain object throws. */
export function optionsObject(value: unknown, option: string): Record<string, unknown> {
  if (value === undefined) return {};
  if (!isPlainObject(value)) {
    throw new InvalidOptionError(
      option,
      `expected an object, got ${describeValue(value)}`,
      'pass a plain object literal',
    );
  }
  return value;
}

/** Throws for a key the caller did not mean (a typo would otherwise be silently ignored). */
export function rejectUnknownKeys(
  options: Record<string, unknown>,
  known: readonly string[],
  prefix = '',
): void {
  for (const key of Object.keys(options)) {
    if (known.includes(key)) continue;
    const near = known.find((name) => editDistance(name.toLowerCase(), key.toLowerCase()) <= 2);
    throw new InvalidOptionError(
      `${prefix}${key}`,
      near ? `did you mean ${prefix}${near}?` : `known options are ${known.join(', ')}`,
      'remove it or correct its name',
      'ERR_UNKNOWN_OPTION',
    );
  }
}

/** An optional number in [min, max]; `integer` also demands a whole number. */
export function optionalNumber(
  value: unknown,
  option: string,
  { min, max = Number.MAX_SAFE_INTEGER, integer = false, unit = '' }: NumberRule,
): number | undefined {
  if (value === undefined) return undefined;
  const ok =
    typeof value === 'number' &&
    Number.isFinite(value) &&
    value >= min &&
    value <= max &&
    (!integer || Number.isInteger(value));
  if (!ok) {
    const kind = integer ? 'an integer' : 'a finite number';
    const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `from ${min} to ${max}`;
    throw new InvalidOptionError(
      option,
      `expected ${kind} ${range}${unit ? ` (${unit})` : ''}, got ${describeValue(value)}`,
      'leave it out for the default, or pass a value in range',
    );
  }
  return value;
}

export interface NumberRule {
  min: number;
  max?: number;
  integer?: boolean;
  unit?: string;
}

export function optionalString(value: unknown, option: string, what: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.trim() === '') {
    throw new InvalidOptionError(
      option,
      `expected a non-empty string, got ${describeValue(value)}`,
      `pass ${what}`,
    );
  }
  return value;
}

export function optionalFunction<T extends (...args: never[]) => unknown>(
  value: unknown,
  option: string,
  what: string,
): T | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'function') {
    throw new InvalidOptionError(
      option,
      `expected a function, got ${describeValue(value)}`,
      `pass ${what}`,
    );
  }
  return value as T;
}

/** An object with the named methods (duck-typed, so a second copy of a library still fits). */
export function optionalWithMethods<T>(
  value: unknown,
  option: string,
  methods: readonly string[],
  what: string,
): T | undefined {
  if (value === undefined) return undefined;
  const missing =
    typeof value === 'object' && value !== null
      ? methods.filter((method) => typeof (value as Record<string, unknown>)[method] !== 'function')
      : methods;
  if (missing.length > 0) {
    throw new InvalidOptionError(
      option,
      typeof value === 'object' && value !== null
        ? `it has no ${missing.map((method) => `${method}()`).join(' or ')} method`
        : `expected an object, got ${describeValue(value)}`,
      `pass ${what}`,
    );
  }
  return value as T;
}

export function optionalBoolean(value: unknown, option: string): boolean | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'boolean') {
    throw new InvalidOptionError(
      option,
      `expected true or false, got ${describeValue(value)}`,
      'pass a boolean',
    );
  }
  return value;
}

/** Plain object whose values are all strings (lease metadata). */
export function optionalStringRecord(
  value: unknown,
  option: string,
): Readonly<Record<string, string>> | undefined {
  if (value === undefined) return undefined;
  if (!isPlainObject(value) || Object.values(value).some((item) => typeof item !== 'string')) {
    throw new InvalidOptionError(
      option,
      `expected a plain object of string values, got ${describeValue(value)}`,
      'pass labels as { key: "value" }',
    );
  }
  return value as Record<string, string>;
}

/** Levenshtein distance, for "did you mean" on short option names. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(
        (previous[j] as number) + 1,
        (current[j - 1] as number) + 1,
        (previous[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    previous = current;
  }
  return previous[b.length] as number;
}
