import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { formatKnobs, formatStatus } from '../src/cli-format.js';
import { locateLauncher, removeLauncherFile, writeLauncherFile } from '../src/launcher-file.js';
import { readLogTail } from '../src/log-tail.js';
import { firstFreePort, isPortFree } from '../src/ports.js';
import { parseReplicaName } from '../src/services.js';
import type { PlatformStatus } from '../src/status.js';

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

describe('ports', () => {
  it('skips a taken port and reserved ones', async () => {
    const server = createServer();
    const taken = await new Promise<number>((resolve) =>
      server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)),
    );
    try {
      expect(await isPortFree(taken)).toBe(false);
      const next = await firstFreePort(taken, new Set([taken + 1]));
      expect(next).toBeGreaterThan(taken + 1);
      expect(await isPortFree(next!)).toBe(true);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('readLogTail', () => {
  it('gives the last lines, pino lines as their message and error', () => {
    dir = mkdtempSync(join(tmpdir(), 'trellis-log-'));
    const file = join(dir, 'catalog-1.log');
    const lines = Array.from({ length: 30 }, (_, index) =>
      JSON.stringify({ level: 30, msg: `line ${index}` }),
    );
    lines.push(
      JSON.stringify({ level: 60, msg: 'could not start', err: { message: 'EADDRINUSE' } }),
    );
    lines.push('    at Server.listen (node:net:1:1)');
    writeFileSync(file, `${lines.join('\n')}\n\n`);
    expect(readLogTail(file, 3)).toEqual([
      'line 29',
      'could not start: EADDRINUSE',
      '    at Server.listen (node:net:1:1)',
    ]);
    expect(readLogTail(join(dir, 'missing.log'))).toEqual([]);
  });
});

describe('launcher files', () => {
  it('are found walking up, and removed only by their own launcher', () => {
    dir = mkdtempSync(join(tmpdir(), 'trellis-launcher-file-'));
    const stateDir = join(dir, '.trellis');
    writeLauncherFile(stateDir, { url: 'http://127.0.0.1:4000', pid: process.pid });
    expect(locateLauncher(join(dir, 'deep', 'er'), {})).toEqual({
      url: 'http://127.0.0.1:4000',
      source: join(stateDir, 'launcher.json'),
    });
    expect(locateLauncher(dir, { TRELLIS_LAUNCHER_URL: 'http://127.0.0.1:5000' })).toEqual({
      url: 'http://127.0.0.1:5000',
      source: 'TRELLIS_LAUNCHER_URL',
    });
    removeLauncherFile(stateDir, process.pid + 1);
    expect(locateLauncher(dir, {})).toBeDefined();
    removeLauncherFile(stateDir);
    expect(locateLauncher(dir, {})).toBeUndefined();
  });
});

describe('replica names', () => {
  it.each([
    ['catalog-1', { service: 'catalog', index: 1 }],
    ['loadgen-10', { service: 'loadgen', index: 10 }],
    ['catalog-0', undefined],
    ['catalog-100', undefined],
    ['search-1', undefined],
    ['catalog', undefined],
  ])('%s', (name, parsed) => {
    expect(parseReplicaName(name)).toEqual(parsed);
  });
});

describe('status text', () => {
  it('shows knobs briefly', () => {
    expect(formatKnobs(null)).toBe('-');
    expect(formatKnobs({ latencyMs: 0, errorRate: 0, hang: false })).toBe('-');
    expect(formatKnobs({ latencyMs: 300, errorRate: 0.125, hang: true })).toBe(
      'latency 300ms, errors 12.5%, hang',
    );
  });

  it('shows an exited replica with its code and the end of its log, and the load', () => {
    const status: PlatformStatus = {
      startedAt: '2026-01-01T00:00:00.000Z',
      storefrontUrl: 'http://127.0.0.1:3000/',
      dashboardUrl: 'http://127.0.0.1:3000/dashboard',
      services: [
        {
          service: 'catalog',
          replicas: [
            {
              replica: 'catalog-1',
              pid: null,
              state: 'exited',
              url: null,
              knobs: null,
              restarts: 0,
              exitCode: 2,
              exitSignal: null,
              lastLines: ['PORT is "x": expected number'],
              logFile: '/repo/.trellis/logs/catalog-1.log',
            },
          ],
        },
      ],
      load: {
        rps: 5,
        mix: 'browse=70,cart=20,checkout=10',
        sent: 10,
        ok: 9,
        failed: 1,
        byKind: { browse: { sent: 10, ok: 9, failed: 1 } },
        recentFailures: [
          {
            at: '2026-01-01T10:11:12.000Z',
            kind: 'browse',
            status: 503,
            message: 'GET /api/products: down',
          },
        ],
      },
    };
    expect(formatStatus(status)).toBe(
      [
        'storefront: http://127.0.0.1:3000/   dashboard: http://127.0.0.1:3000/dashboard',
        '',
        'SERVICE  REPLICA    STATE            PID  URL  KNOBS',
        'catalog  catalog-1  exited (code 2)  -    -    -',
        '',
        'catalog-1 exited (code 2); the end of /repo/.trellis/logs/catalog-1.log:',
        '  PORT is "x": expected number',
        '',
        'load: 5 journeys/s, mix browse=70,cart=20,checkout=10',
        '  sent 10, ok 9, failed 1 (ok/sent: browse 9/10)',
        '  recent failures:',
        '    10:11:12 browse 503 GET /api/products: down',
      ].join('\n'),
    );
  });
});
