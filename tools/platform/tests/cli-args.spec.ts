import { describe, expect, it } from 'vitest';
import {
  parseCliArgs,
  parseDuration,
  parseLoadRate,
  parseRate,
  UsageError,
} from '../src/cli-args.js';

describe('trellis help', () => {
  it.each([[['help']], [['--help']], [['-h']], [['status', '--help']], [['chaos', 'kill', '-h']]])(
    'reads %j as help',
    (argv) => {
      expect(parseCliArgs(argv)).toEqual({ command: 'help' });
    },
  );
});

describe('trellis status', () => {
  it('reads status, and status --json', () => {
    expect(parseCliArgs(['status'])).toEqual({ command: 'status', json: false });
    expect(parseCliArgs(['status', '--json'])).toEqual({ command: 'status', json: true });
  });
});

describe('trellis scale', () => {
  it('reads one or more service=replicas', () => {
    expect(parseCliArgs(['scale', 'catalog=5'])).toEqual({
      command: 'scale',
      targets: [{ service: 'catalog', replicas: 5 }],
    });
    expect(parseCliArgs(['scale', 'catalog=1', 'cart=3', 'loadgen=10'])).toEqual({
      command: 'scale',
      targets: [
        { service: 'catalog', replicas: 1 },
        { service: 'cart', replicas: 3 },
        { service: 'loadgen', replicas: 10 },
      ],
    });
  });
});

describe('trellis chaos', () => {
  it.each([
    [['chaos', 'kill', 'catalog-1'], { action: 'kill', replica: 'catalog-1' }],
    [['chaos', 'hang', 'shipping-1'], { action: 'hang', replica: 'shipping-1' }],
    [['chaos', 'heal', 'catalog-10'], { action: 'heal', replica: 'catalog-10' }],
    [
      ['chaos', 'slow', 'catalog-2', '300ms'],
      { action: 'slow', replica: 'catalog-2', latencyMs: 300 },
    ],
    [
      ['chaos', 'slow', 'catalog-2', '1s'],
      { action: 'slow', replica: 'catalog-2', latencyMs: 1_000 },
    ],
    [
      ['chaos', 'slow', 'catalog-2', '300'],
      { action: 'slow', replica: 'catalog-2', latencyMs: 300 },
    ],
    [['chaos', 'slow', 'catalog-2', '0'], { action: 'slow', replica: 'catalog-2', latencyMs: 0 }],
    [
      ['chaos', 'fail', 'payments-1', '50%'],
      { action: 'fail', replica: 'payments-1', errorRate: 0.5 },
    ],
    [
      ['chaos', 'fail', 'payments-1', '0.5'],
      { action: 'fail', replica: 'payments-1', errorRate: 0.5 },
    ],
    [
      ['chaos', 'fail', 'payments-1', '100%'],
      { action: 'fail', replica: 'payments-1', errorRate: 1 },
    ],
    [['chaos', 'fail', 'payments-1', '0'], { action: 'fail', replica: 'payments-1', errorRate: 0 }],
  ])('reads %j', (argv, chaos) => {
    expect(parseCliArgs(argv)).toEqual({ command: 'chaos', chaos });
  });
});

describe('trellis load', () => {
  it.each([
    [['load', '200rps'], { command: 'load', rps: 200 }],
    [['load', '200'], { command: 'load', rps: 200 }],
    [['load', '0'], { command: 'load', rps: 0 }],
    [['load', '2.5'], { command: 'load', rps: 2.5 }],
    [['load', '1000rps'], { command: 'load', rps: 1_000 }],
    [
      ['load', '20', 'browse=50,cart=30,checkout=20'],
      { command: 'load', rps: 20, mix: 'browse=50,cart=30,checkout=20' },
    ],
  ])('reads %j', (argv, command) => {
    expect(parseCliArgs(argv)).toEqual(command);
  });
});

describe('bad arguments', () => {
  it.each([
    [[], /a command is missing; use one of status, scale, chaos, load, help/],
    [['stats'], /unknown command "stats"; use one of status, scale, chaos, load, help/],
    [['status', 'catalog'], /unexpected argument "catalog"; usage: trellis status \[--json\]/],
    [['scale'], /scale needs <service>=<replicas>; e\.g\. trellis scale catalog=5/],
    [['scale', 'catalog'], /"catalog" is not <service>=<replicas>/],
    [['scale', 'catalog:5'], /"catalog:5" is not <service>=<replicas>/],
    [['scale', 'catalog=five'], /"catalog=five" is not <service>=<replicas>/],
    [['scale', 'catalog=-1'], /"catalog=-1" is not <service>=<replicas>/],
    [['scale', 'catalog=0'], /"catalog=0": give 1 to 10 replicas/],
    [['scale', 'catalog=11'], /"catalog=11": give 1 to 10 replicas/],
    [['scale', 'search=2'], /"search" in "search=2" is not a service; use storefront, catalog/],
    [['scale', 'cart=2', 'cart=3'], /"cart" is given twice/],
    [['chaos'], /an action is missing; use one of kill, slow, fail, hang, heal/],
    [['chaos', 'explode', 'catalog-1'], /"explode" is not a chaos action; use one of kill, slow/],
    [['chaos', 'kill'], /a replica is missing; usage: trellis chaos kill <replica>/],
    [
      ['chaos', 'kill', 'catalog'],
      /"catalog" is not a replica name; use <service>-<n>, e\.g\. catalog-1/,
    ],
    [['chaos', 'kill', 'catalog-0'], /"catalog-0" is not a replica name/],
    [['chaos', 'kill', 'search-1'], /"search-1" is not a replica name/],
    [
      ['chaos', 'kill', 'catalog-1', 'now'],
      /unexpected argument "now"; usage: trellis chaos kill <replica>/,
    ],
    [['chaos', 'hang', 'shipping-1', '5s'], /unexpected argument "5s"/],
    [
      ['chaos', 'slow', 'catalog-2'],
      /the latency is missing; usage: trellis chaos slow <replica> <latency>, e\.g\. 300ms/,
    ],
    [
      ['chaos', 'slow', 'catalog-2', 'fast'],
      /"fast" is not a latency; use 300ms, 1s or 300 \(milliseconds\)/,
    ],
    [['chaos', 'slow', 'catalog-2', '-5ms'], /"-5ms" is not a latency/],
    [['chaos', 'slow', 'catalog-2', '300us'], /"300us" is not a latency/],
    [['chaos', 'slow', 'catalog-2', '0.5ms'], /"0.5ms" is not a latency/],
    [['chaos', 'slow', 'catalog-2', '61s'], /"61s" is not a latency; .* at most 60s/],
    [['chaos', 'slow', 'catalog-2', '300ms', 'extra'], /unexpected argument "extra"/],
    [
      ['chaos', 'fail', 'payments-1'],
      /the error rate is missing; usage: trellis chaos fail <replica> <rate>, e\.g\. 50%/,
    ],
    [
      ['chaos', 'fail', 'payments-1', '50'],
      /"50" is not an error rate; use a percentage like 50% or a share like 0\.5/,
    ],
    [['chaos', 'fail', 'payments-1', '150%'], /"150%" is not an error rate/],
    [['chaos', 'fail', 'payments-1', '1.5'], /"1.5" is not an error rate/],
    [['chaos', 'fail', 'payments-1', 'half'], /"half" is not an error rate/],
    [['load'], /the rate is missing; usage: trellis load <rate> \[<mix>\]/],
    [['load', 'fast'], /"fast" is not a rate; use journeys per second from 0 \(paused\) to 1000/],
    [['load', '-5'], /"-5" is not a rate/],
    [['load', '1001rps'], /"1001rps" is not a rate/],
    [['load', '200rpm'], /"200rpm" is not a rate/],
    [
      ['load', '20', 'browse=50,search=50'],
      /"browse=50,search=50" is not a mix; use <journey>=<weight> pairs/,
    ],
    [['load', '20', 'browse'], /"browse" is not a mix/],
    [
      ['load', '20', 'browse=1', 'more'],
      /unexpected argument "more"; usage: trellis load <rate> \[<mix>\]/,
    ],
  ])('refuses %j: %s', (argv, message) => {
    expect(() => parseCliArgs(argv)).toThrow(UsageError);
    expect(() => parseCliArgs(argv)).toThrow(message);
  });
});

describe('value forms', () => {
  it('reads latencies, error rates and load rates', () => {
    expect(parseDuration('1.5s')).toBe(1_500);
    expect(parseDuration('60s')).toBe(60_000);
    expect(parseRate('12.5%')).toBe(0.125);
    expect(parseRate('.25')).toBe(0.25);
    expect(parseRate('1')).toBe(1);
    expect(parseLoadRate('0rps')).toBe(0);
  });
});
