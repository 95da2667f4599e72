import { MeshConfigError } from '@trellis/mesh';
import { describe, expect, it } from 'vitest';
import {
  deadlineMiddleware,
  EventLoopDelayMonitor,
  InvalidOptionError,
  loadSheddingMiddleware,
  meshAdminRoutes,
  meshErrorHandler,
  meshMiddleware,
  ServerState,
  startMeshServer,
  type StartMeshServerOptions,
} from '../src/index.js';

const state = new ServerState({ service: 'shop' });
const app = (): void => undefined;

/** Calls `make` with options TypeScript would reject, as plain JavaScript callers can. */
const loose = <T>(value: unknown): T => value as T;

function expectInvalid(make: () => unknown, option: string, code = 'ERR_INVALID_OPTION'): void {
  let thrown: unknown;
  try {
    make();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(InvalidOptionError);
  expect(thrown).toBeInstanceOf(MeshConfigError);
  expect(thrown).toMatchObject({ option, code });
  expect((thrown as Error).message).toContain(option);
}

describe('bad options of the middleware throw at setup, naming the option', () => {
  const cases: [string, () => unknown, string][] = [
    ['ServerState without a service', () => new ServerState(loose({})), 'service'],
    ['ServerState with an empty service', () => new ServerState({ service: ' ' }), 'service'],
    ['ServerState with a numeric service', () => new ServerState(loose({ service: 7 })), 'service'],
    [
      'meshMiddleware given a string',
      () => meshMiddleware(loose('fast')),
      'meshMiddleware options',
    ],
    ['meshMiddleware without state', () => meshMiddleware(loose({})), 'state'],
    ['meshMiddleware with a fake state', () => meshMiddleware(loose({ state: {} })), 'state'],
    ['maxConcurrent 0', () => meshMiddleware({ state, maxConcurrent: 0 }), 'maxConcurrent'],
    ['maxConcurrent -1', () => meshMiddleware({ state, maxConcurrent: -1 }), 'maxConcurrent'],
    ['maxConcurrent 1.5', () => meshMiddleware({ state, maxConcurrent: 1.5 }), 'maxConcurrent'],
    ['maxConcurrent NaN', () => meshMiddleware({ state, maxConcurrent: NaN }), 'maxConcurrent'],
    [
      'maxConcurrent "10"',
      () => meshMiddleware({ state, maxConcurrent: loose('10') }),
      'maxConcurrent',
    ],
    [
      'maxEventLoopDelayMs 0',
      () => meshMiddleware({ state, maxEventLoopDelayMs: 0 }),
      'maxEventLoopDelayMs',
    ],
    [
      'maxEventLoopDelayMs Infinity',
      () => meshMiddleware({ state, maxEventLoopDelayMs: Infinity }),
      'maxEventLoopDelayMs',
    ],
    [
      'eventLoopDelay without delayMs()',
      () => meshMiddleware({ state, maxEventLoopDelayMs: 50, eventLoopDelay: loose({}) }),
      'eventLoopDelay',
    ],
    [
      'eventLoopDelay without maxEventLoopDelayMs',
      () => loadSheddingMiddleware({ state, eventLoopDelay: { delayMs: () => 0 } }),
      'eventLoopDelay',
    ],
    [
      'exemptPaths as a string',
      () => meshMiddleware({ state, exemptPaths: loose('/healthz') }),
      'exemptPaths',
    ],
    [
      'exemptPaths without a leading slash',
      () => meshMiddleware({ state, exemptPaths: ['healthz'] }),
      'exemptPaths',
    ],
    [
      'defaultDeadlineMs 0',
      () => meshMiddleware({ state, defaultDeadlineMs: 0 }),
      'defaultDeadlineMs',
    ],
    [
      'defaultDeadlineMs over a day',
      () => deadlineMiddleware({ defaultDeadlineMs: 86_400_001 }),
      'defaultDeadlineMs',
    ],
    [
      'defaultDeadlineMs "5s"',
      () => deadlineMiddleware({ defaultDeadlineMs: loose('5s') }),
      'defaultDeadlineMs',
    ],
    ['admin routes without state', () => meshAdminRoutes(loose({})), 'state'],
    ['admin routes with a fake mesh', () => meshAdminRoutes({ state, mesh: loose({}) }), 'mesh'],
    [
      'admin routes with a fake registry',
      () => meshAdminRoutes({ state, metrics: loose({ metrics: 1 }) }),
      'metrics',
    ],
    [
      'collectDefaultMetrics "yes"',
      () => meshAdminRoutes({ state, collectDefaultMetrics: loose('yes') }),
      'collectDefaultMetrics',
    ],
    [
      'collectDefaultMetrics without metrics',
      () => meshAdminRoutes({ state, collectDefaultMetrics: true }),
      'collectDefaultMetrics',
    ],
    ['error handler with a fake logger', () => meshErrorHandler({ logger: loose({}) }), 'logger'],
    ['monitor windowMs 0', () => new EventLoopDelayMonitor({ windowMs: 0 }), 'windowMs'],
    [
      'monitor resolutionMs 0.5',
      () => new EventLoopDelayMonitor({ resolutionMs: 0.5 }),
      'resolutionMs',
    ],
  ];
  it.each(cases)('%s', (_label, make, option) => expectInvalid(make, option));

  it.each<[string, () => unknown, string]>([
    [
      'a typo in meshMiddleware',
      () => meshMiddleware(loose({ state, maxConcurent: 5 })),
      'maxConcurent',
    ],
    [
      'a typo in deadlineMiddleware',
      () => deadlineMiddleware(loose({ defaultDeadline: 5 })),
      'defaultDeadline',
    ],
    ['a typo in meshAdminRoutes', () => meshAdminRoutes(loose({ state, metric: 1 })), 'metric'],
    [
      'a typo in ServerState',
      () => new ServerState(loose({ service: 'a', servce: 'a' })),
      'servce',
    ],
  ])('%s is an unknown option', (_label, make, option) =>
    expectInvalid(make, option, 'ERR_UNKNOWN_OPTION'),
  );

  it('suggests the option meant', () => {
    expect(() => meshMiddleware(loose({ state, maxConcurent: 5 }))).toThrow(
      /did you mean maxConcurrent\?/,
    );
  });
});

describe('bad options of startMeshServer reject before listening, naming the option', () => {
  const cases: [string, unknown, string][] = [
    ['no state', {}, 'state'],
    ['port -1', { port: -1 }, 'port'],
    ['port 70000', { port: 70_000 }, 'port'],
    ['port 80.5', { port: 80.5 }, 'port'],
    ['port "8080"', { port: '8080' }, 'port'],
    ['host ""', { host: '' }, 'host'],
    ['advertiseAddress 5', { advertiseAddress: 5 }, 'advertiseAddress'],
    ['registry without register()', { registry: {} }, 'registry'],
    ['mesh without close()', { mesh: { snapshot: () => [] } }, 'mesh'],
    ['zone 5', { zone: 5 }, 'zone'],
    ['weight -1', { weight: -1 }, 'weight'],
    ['metadata with a number', { metadata: { version: 2 } }, 'metadata'],
    ['maxHeaderSize 10', { maxHeaderSize: 10 }, 'maxHeaderSize'],
    ['maxHeaderSize 4096.5', { maxHeaderSize: 4096.5 }, 'maxHeaderSize'],
    ['drain "fast"', { drain: 'fast' }, 'drain'],
    ['drain.delayMs -1', { drain: { delayMs: -1 } }, 'drain.delayMs'],
    ['drain.timeoutMs NaN', { drain: { timeoutMs: NaN } }, 'drain.timeoutMs'],
    ['drain.hooksTimeoutMs 0', { drain: { hooksTimeoutMs: 0 } }, 'drain.hooksTimeoutMs'],
    ['signals "SIGTERM"', { signals: 'SIGTERM' }, 'signals'],
    ['signals with an unknown name', { signals: ['SIGFOO'] }, 'signals'],
    ['signals with SIGKILL', { signals: ['SIGKILL'] }, 'signals'],
    ['onShutdown "flush"', { onShutdown: 'flush' }, 'onShutdown'],
    ['onShutdown with a non-function', { onShutdown: [() => undefined, 1] }, 'onShutdown'],
    ['exit 1', { exit: 1 }, 'exit'],
    ['logger without methods', { logger: { log: () => undefined } }, 'logger'],
  ];
  it.each(cases)('%s', async (_label, options, option) => {
    const withState = option === 'state' ? options : { state, signals: [], ...(options as object) };
    const rejection = startMeshServer(app, loose<StartMeshServerOptions>(withState));
    await expect(rejection).rejects.toBeInstanceOf(InvalidOptionError);
    await expect(rejection).rejects.toMatchObject({ option, code: 'ERR_INVALID_OPTION' });
    await expect(rejection).rejects.toThrow(option);
  });

  it.each([
    ['prot', { state, prot: 8080 }],
    ['drain.delay', { state, drain: { delay: 100 } }],
  ])('an unknown option %s is rejected', async (option, options) => {
    await expect(
      startMeshServer(app, loose<StartMeshServerOptions>(options)),
    ).rejects.toMatchObject({ option, code: 'ERR_UNKNOWN_OPTION' });
  });

  it('an app that is not a request listener is rejected', async () => {
    await expect(startMeshServer(loose({}), { state })).rejects.toMatchObject({ option: 'app' });
  });
});
