/**
 * The smoke run: proves the harness runs every scenario end to end and writes well-formed
 * results. It never asserts on times: two shared cores say nothing about them.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const projectRoot = join(import.meta.dirname, '..');
const workspaceRoot = join(projectRoot, '..', '..');
const NGINX = process.env['BENCH_NGINX'] ?? '/usr/sbin/nginx';
const HAPROXY = process.env['BENCH_HAPROXY'] ?? '/usr/sbin/haproxy';

const SCENARIOS = ['overhead', 'slow-replica', 'failover', 'rolling-restart', 'scale'];
const NAMES: Record<string, string[]> = {
  overhead: ['direct-undici', 'trellis', 'trellis-telemetry', 'nginx-hop', 'haproxy-hop'],
  'slow-replica': [
    'healthy-baseline',
    'trellis-round-robin',
    'trellis-least-request',
    'trellis-peak-ewma',
    'trellis-peak-ewma-hedge',
    'haproxy-roundrobin',
    'haproxy-leastconn',
    'haproxy-random2',
  ],
  failover: ['kill', 'hang'],
  'rolling-restart': ['trellis'],
};
const PEER_VARIANTS: Record<string, string[]> = {
  [NGINX]: ['nginx-hop'],
  [HAPROXY]: ['haproxy-hop', 'haproxy-roundrobin', 'haproxy-leastconn', 'haproxy-random2'],
};
const NUMBER_FIELDS = [
  'p50_ms',
  'p99_ms',
  'p999_ms',
  'rps',
  'requests',
  'errors',
  'cpu_s_per_10k',
] as const;

const missingPeers = [NGINX, HAPROXY].filter((binary) => !existsSync(binary));
const expectedSkips = new Set(missingPeers.flatMap((binary) => PEER_VARIANTS[binary] ?? []));

let out = '';
let run: { code: number | null; output: string } = { code: null, output: '' };

beforeAll(async () => {
  if (missingPeers.length > 0) {
    const message = `peers missing: ${missingPeers.join(', ')}; their variants are skipped`;
    if (process.env['CI']) throw new Error(`${message}, but CI must install them`);
    console.warn(`WARNING: ${message} (install nginx and haproxy to compare against them)`);
  }
  // The harness runs compiled: its replicas and load generator are separate Node processes.
  execFileSync(
    join(workspaceRoot, 'node_modules', '.bin', 'tsc'),
    ['--build', 'tsconfig.lib.json'],
    {
      cwd: projectRoot,
      stdio: 'inherit',
    },
  );
  out = mkdtempSync(join(tmpdir(), 'bench-smoke-'));
  run = await new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      [join(projectRoot, 'dist', 'cli.js'), '--quick', '--out', out],
      { cwd: workspaceRoot, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code) => resolve({ code, output }));
  });
}, 85_000);

afterAll(() => {
  if (out) rmSync(out, { recursive: true, force: true });
});

function read(scenario: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(out, `${scenario}.json`), 'utf8')) as Record<string, unknown>;
}

describe('bench --quick', () => {
  it('runs every scenario and exits 0', () => {
    expect(run.code, run.output).toBe(0);
    for (const scenario of SCENARIOS) expect(existsSync(join(out, `${scenario}.json`))).toBe(true);
  });

  it.each(SCENARIOS)('writes %s.json in the agreed shape', (scenario) => {
    const result = read(scenario);
    for (const key of Object.keys(result)) {
      expect(['scenario', 'machine', 'variants', 'skipped']).toContain(key);
    }
    expect(result['scenario']).toBe(scenario);
    const machine = result['machine'] as Record<string, unknown>;
    expect(typeof machine['cpus']).toBe('number');
    expect(machine['cpus']).toBeGreaterThan(0);
    expect(typeof machine['node']).toBe('string');
    const variants = result['variants'] as Record<string, unknown>[];
    expect(Array.isArray(variants)).toBe(true);
    expect(variants.length).toBeGreaterThan(0);
    for (const variant of variants) {
      expect(typeof variant['name']).toBe('string');
      for (const field of NUMBER_FIELDS) {
        expect(typeof variant[field], `${String(variant['name'])}.${field}`).toBe('number');
        expect(Number.isFinite(variant[field]), `${String(variant['name'])}.${field}`).toBe(true);
        expect(variant[field] as number).toBeGreaterThanOrEqual(0);
      }
      expect(variant['requests'] as number).toBeGreaterThan(0);
    }
    const names = variants.map((v) => v['name'] as string);
    expect(new Set(names).size).toBe(names.length);
    const skipped = ((result['skipped'] ?? []) as { name: string; reason: string }[]).map(
      (s) => s.name,
    );
    if (scenario === 'scale') {
      for (const variant of variants) {
        expect(variant['name']).toMatch(
          /^(peak-ewma|least-request|round-robin|consistent-hash)-(10|1000|10000)$/,
        );
        for (const field of ['endpoints', 'pick_ns', 'heap_mb', 'update_ms']) {
          expect(typeof variant[field], `${String(variant['name'])}.${field}`).toBe('number');
        }
      }
      for (const size of [10, 1_000, 10_000]) {
        expect(names).toContain(`peak-ewma-${size}`);
        expect(names).toContain(`consistent-hash-${size}`);
      }
    } else {
      const expected = NAMES[scenario] ?? [];
      expect(names.sort()).toEqual(expected.filter((n) => !expectedSkips.has(n)).sort());
      expect(skipped.sort()).toEqual(expected.filter((n) => expectedSkips.has(n)).sort());
    }
    if (scenario === 'failover') {
      for (const variant of variants) expect(typeof variant['stop_ms']).toBe('number');
    }
    if (scenario === 'overhead') {
      // One closed-loop rate per round, so a reader can see the drift behind the total.
      for (const variant of variants) {
        const rounds = variant['closed_round_rps'] as unknown[];
        expect(rounds).toHaveLength(variant['rounds'] as number);
        for (const rps of rounds) expect(rps as number).toBeGreaterThan(0);
      }
    }
  });

  it('writes the markdown summary and its SVG charts', () => {
    const markdown = readFileSync(join(out, 'README.md'), 'utf8');
    expect(markdown).toContain('## Targets');
    for (const scenario of SCENARIOS) expect(markdown).toContain(`## ${scenario}`);
    const linked = [...markdown.matchAll(/!\[[^\]]*\]\(([^)]+\.svg)\)/g)].map((m) => m[1] ?? '');
    expect(linked.length).toBeGreaterThanOrEqual(SCENARIOS.length);
    const svgs = readdirSync(out).filter((file) => file.endsWith('.svg'));
    for (const file of linked) {
      expect(svgs).toContain(file);
      const svg = readFileSync(join(out, file), 'utf8');
      expect(svg.startsWith('<svg')).toBe(true);
      expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    }
  });

  it('leaves no process behind', () => {
    // Every replica, load generator and proxy started by the run has exited with it.
    const leftovers = execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' })
      .split('\n')
      .filter(
        (line) => line.includes(out) || line.includes(join(projectRoot, 'dist', 'replica.js')),
      );
    expect(leftovers).toEqual([]);
  });
});

describe('call-cost', () => {
  const callCost = (...args: string[]) =>
    spawnSync(process.execPath, [join(projectRoot, 'dist', 'call-cost.js'), ...args], {
      cwd: workspaceRoot,
      encoding: 'utf8',
    });

  it.each(['direct-undici', 'trellis', 'trellis-telemetry'])(
    'runs %s for a fixed number of calls and prints its cost per call',
    (target) => {
      const run = callCost(target, '300');
      expect(run.status, run.stderr).toBe(0);
      const printed = JSON.parse(run.stdout.trim()) as Record<string, unknown>;
      expect(printed).toMatchObject({ target, calls: 300, failed: 0 });
      expect(printed['cpu_us_per_call'] as number).toBeGreaterThan(0);
    },
  );

  it('names what was wrong with its arguments and exits 2', () => {
    const unknown = callCost('envoy', '100');
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain('unknown target "envoy": pick one of direct-undici, trellis');
    expect(unknown.stderr).toContain('usage: call-cost');
    const notCount = callCost('trellis', 'many');
    expect(notCount.status).toBe(2);
    expect(notCount.stderr).toContain('calls must be a whole number of at least 1, not "many"');
    expect(callCost('trellis').stderr).toContain('not ""');
    expect(callCost('trellis', '0').status).toBe(2);
    expect(callCost('trellis', '10', 'extra').stderr).toContain('unexpected arguments: extra');
  });
});
