import { execFile, spawn } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const appRoot = join(__dirname, '..');
const repoRoot = join(appRoot, '..', '..');
const main = join(appRoot, 'dist', 'main.js');
let registryDir: string;

beforeAll(async () => {
  // The service runs as it ships: compiled to CommonJS, with its libraries' builds.
  await promisify(execFile)(
    join(repoRoot, 'node_modules', '.bin', 'tsc'),
    ['--build', 'tsconfig.app.json'],
    { cwd: appRoot },
  );
  registryDir = await mkdtemp(join(tmpdir(), 'shipping-registry-'));
}, 120_000);

afterAll(() => rm(registryDir, { recursive: true, force: true }));

function start(env: Record<string, string>) {
  const child = spawn(process.execPath, [main], {
    env: { ...process.env, TRELLIS_REGISTRY_DIR: registryDir, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let announce: (url: string) => void = () => undefined;
  const url = new Promise<string>((resolve) => (announce = resolve));
  const onData = (chunk: Buffer): void => {
    output += chunk.toString();
    const match = /"url":"(http:\/\/[^"]+)".*is up/.exec(output);
    if (match) announce(match[1]!);
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  return { child, exited, url, output: () => output };
}

async function post(
  url: string,
  body: object,
): Promise<{ status: number; body: { quoteId: string } }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as { quoteId: string } };
}

describe('shipping processes', () => {
  it('two replicas with one secret accept each other’s quotes, agree on tracking numbers and drain on SIGTERM', async () => {
    const env = { DRAIN_DELAY_MS: '100', QUOTE_SECRET: 'a-shared-secret-of-the-test' };
    const replicas = [start(env), start(env)];
    try {
      const [first, second] = await Promise.all(replicas.map((replica) => replica.url));
      expect(await readdir(join(registryDir, 'shipping'))).toHaveLength(2);
      const quote = await post(`${first}/quotes`, {
        country: 'NL',
        items: [{ sku: 'tea-01', qty: 1 }],
      });
      expect(quote.status).toBe(201);
      const onSecond = await post(`${second}/shipments`, {
        orderId: 'ord-p',
        quoteId: quote.body.quoteId,
      });
      expect(onSecond.status).toBe(201);
      const onFirst = await post(`${first}/shipments`, {
        orderId: 'ord-p',
        quoteId: quote.body.quoteId,
      });
      expect(onFirst).toEqual({ status: 201, body: onSecond.body });
      for (const replica of replicas) replica.child.kill('SIGTERM');
      expect(await Promise.all(replicas.map((replica) => replica.exited))).toEqual([0, 0]);
      expect(
        (await readdir(join(registryDir, 'shipping'))).filter((name) => name.endsWith('.json')),
      ).toEqual([]);
    } finally {
      for (const replica of replicas) replica.child.kill('SIGKILL');
    }
  });

  it('exits with code 2 and names QUOTE_SECRET when it is too short', async () => {
    const service = start({ QUOTE_SECRET: 'short' });
    expect(await service.exited).toBe(2);
    expect(service.output()).toMatch(/QUOTE_SECRET is \\"short\\": use at least 16 characters/);
  });
});
