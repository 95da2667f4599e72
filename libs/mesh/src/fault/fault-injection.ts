import type { RandomSource } from '../clock.js';
import { MAX_DEADLINE_MS } from '../deadline/deadline.js';
import { MeshConfigError } from '../errors.js';

/** Faults a client injects into its own requests, for demos and tests; off unless configured. */
export interface FaultInjectionOptions {
  /** Wait `ms` before sending `percent`% of requests. */
  delay?: { percent: number; ms: number };
  /** Answer `percent`% of requests with `status` without sending them; status 400..599. */
  abort?: { percent: number; status: number };
  /** Honour the FAULT_HEADER on requests (for demos driven from a browser or curl). Default false. */
  allowHeader?: boolean;
}

/** e.g. 'delay=200;abort=503' (each applies to 100% of requests carrying it), or 'delay=200@50;abort=503@10' (percentages). */
export const FAULT_HEADER = 'x-trellis-fault';

export interface FaultDecision {
  delayMs: number;
  abortStatus: number | undefined;
}

type DelayFault = NonNullable<FaultInjectionOptions['delay']>;
type AbortFault = NonNullable<FaultInjectionOptions['abort']>;
type Faults = Pick<FaultInjectionOptions, 'delay' | 'abort'>;

const MIN_ABORT_STATUS = 400;
const MAX_ABORT_STATUS = 599;

const SPEC_FORMAT =
  "delay=<ms>[@<percent>];abort=<status>[@<percent>], e.g. 'delay=300@50;abort=503@10'";

const NO_FAULT: FaultDecision = { delayMs: 0, abortStatus: undefined };

/** Decides, request by request, whether to delay or abort it. */
export class FaultInjector {
  readonly #delay: DelayFault | undefined;
  readonly #abort: AbortFault | undefined;
  readonly #allowHeader: boolean;
  readonly #random: RandomSource;

  constructor(options: FaultInjectionOptions | undefined, random: RandomSource) {
    const valid = validateFaultOptions(options);
    this.#delay = valid.delay && { ...valid.delay };
    this.#abort = valid.abort && { ...valid.abort };
    this.#allowHeader = valid.allowHeader ?? false;
    this.#random = random;
  }

  /** False when no options: callers skip all work. */
  get enabled(): boolean {
    return this.#delay !== undefined || this.#abort !== undefined || this.#allowHeader;
  }

  /** What to do to this request; the header is consulted only when allowHeader is set; a malformed header is ignored (never throws) and reported via `headerProblem`. */
  decide(
    headers: Record<string, string | string[] | undefined> | undefined,
  ): FaultDecision & { headerProblem?: string } {
    if (!this.enabled) return { ...NO_FAULT };
    let delay = this.#delay;
    let abort = this.#abort;
    let headerProblem: string | undefined;
    const headerValue = this.#allowHeader ? faultHeaderValue(headers) : undefined;
    if (headerValue !== undefined) {
      const parsed = parseFaults(headerValue);
      if ('problem' in parsed) {
        headerProblem = `${FAULT_HEADER} ignored: ${parsed.problem}`;
      } else {
        // A fault named in the header replaces the configured one of the same kind for this request.
        delay = parsed.faults.delay ?? delay;
        abort = parsed.faults.abort ?? abort;
      }
    }
    const decision: FaultDecision = {
      delayMs: delay && this.#happens(delay.percent) ? delay.ms : 0,
      abortStatus: abort && this.#happens(abort.percent) ? abort.status : undefined,
    };
    return headerProblem === undefined ? decision : { ...decision, headerProblem };
  }

  #happens(percent: number): boolean {
    if (percent <= 0) return false;
    if (percent >= 100) return true;
    return this.#random() * 100 < percent;
  }
}

/** Parses mesh env config such as TRELLIS_FAULT_CATALOG='delay=300@50;abort=503@10'; throws MeshConfigError naming the variable on bad input. */
export function parseFaultSpec(text: string, source: string): FaultInjectionOptions {
  const parsed = parseFaults(text);
  if ('problem' in parsed) {
    throw new MeshConfigError('ERR_INVALID_FAULT_SPEC', `Invalid ${source}: ${parsed.problem}`, {
      advice: `write faults as ${SPEC_FORMAT}, or leave ${source} unset for none`,
    });
  }
  return parsed.faults;
}

function faultHeaderValue(
  headers: Record<string, string | string[] | undefined> | undefined,
): string | undefined {
  if (!headers) return undefined;
  let value = headers[FAULT_HEADER];
  if (value === undefined) {
    const name = Object.keys(headers).find((key) => key.toLowerCase() === FAULT_HEADER);
    value = name === undefined ? undefined : headers[name];
  }
  // Separate header lines add up, as if sent as one.
  return Array.isArray(value) ? value.join(';') : value;
}

const WHOLE_NUMBER = /^[0-9]+$/;
const PERCENT = /^[0-9]+(\.[0-9]+)?$/;

/** Reads the `delay=<ms>[@<percent>];abort=<status>[@<percent>]` grammar; returns a problem rather than throwing, so a bad header cannot fail a request. */
function parseFaults(text: string): { faults: Faults } | { problem: string } {
  const faults: Faults = {};
  // `,` is accepted too: node joins a repeated header with ', '.
  const clauses = text
    .split(/[;,]/)
    .map((clause) => clause.trim())
    .filter((clause) => clause !== '');
  for (const clause of clauses) {
    const match = /^([^=@]*)=([^@]*)(?:@(.*))?$/.exec(clause);
    if (!match) return { problem: `expected ${SPEC_FORMAT}, got ${quote(clause)}` };
    const name = (match[1] ?? '').trim();
    const value = (match[2] ?? '').trim();
    const percentText = match[3]?.trim();
    if (name !== 'delay' && name !== 'abort') {
      return {
        problem: `unknown fault ${quote(name)} in ${quote(clause)}; expected delay or abort`,
      };
    }
    if (faults[name] !== undefined) return { problem: `${name} is given more than once` };
    let percent = 100;
    if (percentText !== undefined) {
      percent = PERCENT.test(percentText) ? Number(percentText) : Number.NaN;
      if (!(percent <= 100)) {
        return {
          problem: `${name} percentage must be a number from 0 to 100, got ${quote(percentText)}`,
        };
      }
    }
    const amount = WHOLE_NUMBER.test(value) ? Number(value) : Number.NaN;
    if (name === 'delay') {
      if (!(amount <= MAX_DEADLINE_MS)) {
        return {
          problem: `delay must be whole milliseconds from 0 to ${MAX_DEADLINE_MS}, got ${quote(value)}`,
        };
      }
      faults.delay = { percent, ms: amount };
    } else {
      if (!(amount >= MIN_ABORT_STATUS && amount <= MAX_ABORT_STATUS)) {
        return {
          problem: `abort must be an HTTP status from ${MIN_ABORT_STATUS} to ${MAX_ABORT_STATUS}, got ${quote(value)}`,
        };
      }
      faults.abort = { percent, status: amount };
    }
  }
  return { faults };
}

/** Long enough to recognise the value, short enough that a hostile header does not flood a log line. */
const MAX_QUOTED_LENGTH = 64;

function quote(value: string): string {
  return JSON.stringify(
    value.length > MAX_QUOTED_LENGTH ? `${value.slice(0, MAX_QUOTED_LENGTH)}...` : value,
  );
}

function validateFaultOptions(options: unknown): FaultInjectionOptions {
  if (options === undefined) return {};
  const record = expectRecord(options, 'options');
  rejectUnknownFields(record, ['delay', 'abort', 'allowHeader'], '');
  const valid: FaultInjectionOptions = {};
  if (record.delay !== undefined) {
    const delay = expectRecord(record.delay, 'delay');
    rejectUnknownFields(delay, ['percent', 'ms'], 'delay.');
    valid.delay = {
      percent: expectPercent(delay.percent, 'delay.percent'),
      ms: expectNumberBetween(delay.ms, 0, MAX_DEADLINE_MS, 'delay.ms', 'milliseconds'),
    };
  }
  if (record.abort !== undefined) {
    const abort = expectRecord(record.abort, 'abort');
    rejectUnknownFields(abort, ['percent', 'status'], 'abort.');
    const status = expectNumberBetween(
      abort.status,
      MIN_ABORT_STATUS,
      MAX_ABORT_STATUS,
      'abort.status',
      'an HTTP status',
    );
    if (!Number.isInteger(status)) {
      throw invalidOption('abort.status', status, 'a whole HTTP status from 400 to 599');
    }
    valid.abort = { percent: expectPercent(abort.percent, 'abort.percent'), status };
  }
  if (record.allowHeader !== undefined) {
    if (typeof record.allowHeader !== 'boolean') {
      throw invalidOption('allowHeader', record.allowHeader, 'true or false');
    }
    valid.allowHeader = record.allowHeader;
  }
  return valid;
}

function invalidOption(field: string, value: unknown, expected: string): MeshConfigError {
  const shown = typeof value === 'string' ? quote(value) : String(value);
  return new MeshConfigError(
    'ERR_INVALID_FAULT_OPTIONS',
    `Invalid fault injection option ${field}: ${shown}`,
    { advice: `set ${field} to ${expected}, or leave fault injection unset` },
  );
}

function expectRecord(value: unknown, field: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalidOption(field, value, 'an object');
  }
  return value as Record<string, unknown>;
}

function rejectUnknownFields(
  record: Record<string, unknown>,
  known: readonly string[],
  prefix: string,
): void {
  const unknown = Object.keys(record).find((key) => !known.includes(key));
  if (unknown !== undefined) {
    throw new MeshConfigError(
      'ERR_INVALID_FAULT_OPTIONS',
      `Unknown fault injection option ${prefix}${unknown}`,
      { advice: `use only ${known.map((key) => prefix + key).join(', ')}` },
    );
  }
}

function expectPercent(value: unknown, field: string): number {
  return expectNumberBetween(value, 0, 100, field, 'a percentage');
}

function expectNumberBetween(
  value: unknown,
  min: number,
  max: number,
  field: string,
  what: string,
): number {
  if (typeof value !== 'number' || !(value >= min && value <= max)) {
    throw invalidOption(field, value, `${what} from ${min} to ${max}`);
  }
  return value;
}
