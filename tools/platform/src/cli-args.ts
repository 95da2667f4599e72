import { MAX_LATENCY_MS, MAX_RPS } from './control-schemas.js';
import { MAX_REPLICAS, isService, parseReplicaName, SERVICES, type Service } from './services.js';
import type { ChaosAction } from './status.js';

/** What `trellis <args>` asks for. */
export type CliCommand =
  | { command: 'help' }
  | { command: 'status'; json: boolean }
  | { command: 'scale'; targets: { service: Service; replicas: number }[] }
  | { command: 'chaos'; chaos: ChaosAction }
  | { command: 'load'; rps: number; mix?: string };

/** The arguments are wrong; the message names the bad one and the form expected. Exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export const HELP = `trellis: steer the shop that \`npm start\` runs on this machine

Usage:
  trellis status [--json]               every replica: state, URL, failure knobs; and the load
  trellis scale <service>=<n> ...       run n replicas (1..${MAX_REPLICAS}), e.g. trellis scale catalog=5 cart=3
  trellis chaos kill <replica>          SIGKILL it; it stays down until healed
  trellis chaos slow <replica> <time>   add latency to every request: 300ms, 1s or 300 (ms)
  trellis chaos fail <replica> <rate>   answer a share of requests with 503: 50% or 0.5
  trellis chaos hang <replica>          accept requests and never answer
  trellis chaos heal <replica>          knobs back to zero; a killed replica starts again
  trellis load <rate> [<mix>]           journeys per second: 200rps, 200, or 0 to pause;
                                        mix like browse=70,cart=20,checkout=10
  trellis help                          this text

Services: ${SERVICES.join(', ')}. Replicas are <service>-<n>, e.g. catalog-1.
The launcher is found through TRELLIS_LAUNCHER_URL or the nearest .trellis/launcher.json.`;

const COMMANDS = ['status', 'scale', 'chaos', 'load', 'help'];
const CHAOS_ACTIONS = ['kill', 'slow', 'fail', 'hang', 'heal'] as const;
const JOURNEYS = ['browse', 'cart', 'checkout'];

function noMore(args: readonly string[], usage: string): void {
  if (args.length > 0) {
    throw new UsageError(`unexpected argument "${args[0]}"; usage: ${usage}`);
  }
}

function parseScaleTarget(arg: string): { service: Service; replicas: number } {
  const match = /^([a-z]+)=(\d+)$/.exec(arg);
  if (!match) {
    throw new UsageError(`"${arg}" is not <service>=<replicas>; e.g. trellis scale catalog=5`);
  }
  const [, service, count] = match as unknown as [string, string, string];
  if (!isService(service)) {
    throw new UsageError(`"${service}" in "${arg}" is not a service; use ${SERVICES.join(', ')}`);
  }
  const replicas = Number(count);
  if (replicas < 1 || replicas > MAX_REPLICAS) {
    throw new UsageError(`"${arg}": give 1 to ${MAX_REPLICAS} replicas`);
  }
  return { service, replicas };
}

function parseScale(args: readonly string[]): CliCommand {
  if (args.length === 0) {
    throw new UsageError('scale needs <service>=<replicas>; e.g. trellis scale catalog=5 cart=3');
  }
  const targets = args.map(parseScaleTarget);
  const seen = new Set<Service>();
  for (const target of targets) {
    if (seen.has(target.service)) {
      throw new UsageError(`"${target.service}" is given twice; give each service once`);
    }
    seen.add(target.service);
  }
  return { command: 'scale', targets };
}

function parseReplica(arg: string | undefined, usage: string): string {
  if (arg === undefined) throw new UsageError(`a replica is missing; usage: ${usage}`);
  if (!parseReplicaName(arg)) {
    throw new UsageError(
      `"${arg}" is not a replica name; use <service>-<n>, e.g. catalog-1 (services: ${SERVICES.join(', ')})`,
    );
  }
  return arg;
}

/** `300ms`, `1s`, `1.5s` or `300` (ms) -> whole milliseconds. */
export function parseDuration(arg: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s)?$/.exec(arg);
  const ms = match ? Number(match[1]) * (match[2] === 's' ? 1_000 : 1) : NaN;
  if (!match || !Number.isInteger(ms) || ms > MAX_LATENCY_MS) {
    throw new UsageError(
      `"${arg}" is not a latency; use 300ms, 1s or 300 (milliseconds), at most ${MAX_LATENCY_MS / 1_000}s`,
    );
  }
  return ms;
}

/** `50%` or `0.5` -> 0.5. */
export function parseRate(arg: string): number {
  const percent = /^(\d+(?:\.\d+)?)%$/.exec(arg);
  const fraction = /^(0(?:\.\d+)?|1(?:\.0+)?|\.\d+)$/.exec(arg);
  const rate = percent ? Number(percent[1]) / 100 : fraction ? Number(arg) : NaN;
  if (!(rate >= 0 && rate <= 1)) {
    throw new UsageError(
      `"${arg}" is not an error rate; use a percentage like 50% or a share like 0.5`,
    );
  }
  return rate;
}

function parseChaos(args: readonly string[]): CliCommand {
  const [action, ...rest] = args;
  if (action === undefined || !(CHAOS_ACTIONS as readonly string[]).includes(action)) {
    const what =
      action === undefined ? 'an action is missing' : `"${action}" is not a chaos action`;
    throw new UsageError(
      `${what}; use one of ${CHAOS_ACTIONS.join(', ')}, e.g. trellis chaos kill catalog-1`,
    );
  }
  const usage = (value = '') => `trellis chaos ${action} <replica>${value}`;
  switch (action as (typeof CHAOS_ACTIONS)[number]) {
    case 'slow': {
      const replica = parseReplica(rest[0], usage(' <latency>'));
      if (rest[1] === undefined) {
        throw new UsageError(`the latency is missing; usage: ${usage(' <latency>')}, e.g. 300ms`);
      }
      noMore(rest.slice(2), usage(' <latency>'));
      return {
        command: 'chaos',
        chaos: { action: 'slow', replica, latencyMs: parseDuration(rest[1]) },
      };
    }
    case 'fail': {
      const replica = parseReplica(rest[0], usage(' <rate>'));
      if (rest[1] === undefined) {
        throw new UsageError(`the error rate is missing; usage: ${usage(' <rate>')}, e.g. 50%`);
      }
      noMore(rest.slice(2), usage(' <rate>'));
      return {
        command: 'chaos',
        chaos: { action: 'fail', replica, errorRate: parseRate(rest[1]) },
      };
    }
    default: {
      const simple = action as 'kill' | 'hang' | 'heal';
      const replica = parseReplica(rest[0], usage());
      noMore(rest.slice(1), usage());
      return { command: 'chaos', chaos: { action: simple, replica } };
    }
  }
}

/** `200rps`, `200`, `2.5` or `0` -> journeys per second. */
export function parseLoadRate(arg: string): number {
  const match = /^(\d+(?:\.\d+)?)(rps)?$/.exec(arg);
  const rps = match ? Number(match[1]) : NaN;
  if (!match || rps > MAX_RPS) {
    throw new UsageError(
      `"${arg}" is not a rate; use journeys per second from 0 (paused) to ${MAX_RPS}, like 200rps or 200`,
    );
  }
  return rps;
}

function parseMix(arg: string): string {
  const entries = arg.split(',');
  for (const entry of entries) {
    const match = /^([a-z]+)=(\d+)$/.exec(entry);
    if (!match || !JOURNEYS.includes(match[1]!)) {
      throw new UsageError(
        `"${arg}" is not a mix; use <journey>=<weight> pairs of ${JOURNEYS.join(', ')}, like browse=70,cart=20,checkout=10`,
      );
    }
  }
  return arg;
}

function parseLoad(args: readonly string[]): CliCommand {
  if (args[0] === undefined) {
    throw new UsageError(
      'the rate is missing; usage: trellis load <rate> [<mix>], e.g. trellis load 200rps',
    );
  }
  const rps = parseLoadRate(args[0]);
  noMore(args.slice(2), 'trellis load <rate> [<mix>]');
  return args[1] === undefined
    ? { command: 'load', rps }
    : { command: 'load', rps, mix: parseMix(args[1]) };
}

/** Reads the CLI's arguments (without `node` and the script); throws UsageError when they are wrong. */
export function parseCliArgs(argv: readonly string[]): CliCommand {
  if (argv.some((arg) => arg === '--help' || arg === '-h')) return { command: 'help' };
  const [command, ...args] = argv;
  switch (command) {
    case undefined:
      throw new UsageError(
        `a command is missing; use one of ${COMMANDS.join(', ')} (trellis help)`,
      );
    case 'help':
      return { command: 'help' };
    case 'status': {
      const json = args[0] === '--json';
      noMore(json ? args.slice(1) : args, 'trellis status [--json]');
      return { command: 'status', json };
    }
    case 'scale':
      return parseScale(args);
    case 'chaos':
      return parseChaos(args);
    case 'load':
      return parseLoad(args);
    default:
      throw new UsageError(
        `unknown command "${command}"; use one of ${COMMANDS.join(', ')} (trellis help)`,
      );
  }
}
