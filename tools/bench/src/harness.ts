/** Handles on the processes a scenario runs: replicas, the load generator and the proxies. */
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type {
  EndpointAddress,
  LoadgenReply,
  LoadgenRequest,
  PhaseResult,
  PhaseSpec,
  ReplicaReply,
  ReplicaRequest,
  TargetSpec,
} from './protocol.js';
import {
  childPids,
  cpuSeconds,
  exited,
  freePort,
  startProcess,
  stop,
  trackTempDir,
} from './procs.js';

const here = fileURLToPath(new URL('.', import.meta.url));
export const NGINX = process.env['BENCH_NGINX'] ?? '/usr/sbin/nginx';
export const HAPROXY = process.env['BENCH_HAPROXY'] ?? '/usr/sbin/haproxy';

function waitFor<T>(child: ChildProcess, match: (message: T) => boolean, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: T) => {
      if ((message as { type?: string }).type === 'error') {
        cleanup();
        reject(new Error(`${what}: ${(message as unknown as { message: string }).message}`));
      } else if (match(message)) {
        cleanup();
        resolve(message);
      }
    };
    const onExit = (code: number | null, signal: string | null) => {
      cleanup();
      reject(new Error(`${what}: process exited (${signal ?? code}) before answering`));
    };
    const cleanup = () => {
      child.off('message', onMessage);
      child.off('exit', onExit);
    };
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

let nextId = 1;

export class Replica {
  private constructor(
    readonly child: ChildProcess,
    readonly port: number,
  ) {}

  static async start(serviceMs: number): Promise<Replica> {
    const child = startProcess(process.execPath, [join(here, 'replica.js')], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      env: { ...process.env, BENCH_REPLICA: JSON.stringify({ serviceMs }) },
    });
    const ready = await waitFor<ReplicaReply>(child, (m) => m.type === 'ready', 'replica');
    return new Replica(child, (ready as { port: number }).port);
  }

  get endpoint(): EndpointAddress {
    return { address: '127.0.0.1', port: this.port };
  }

  get key(): string {
    return `127.0.0.1:${this.port}`;
  }

  send(message: ReplicaRequest): void {
    if (!exited(this.child) && this.child.connected) this.child.send(message);
  }

  async stats(): Promise<{ count: number; lastAt: number }> {
    const id = nextId++;
    const answer = waitFor<ReplicaReply>(
      this.child,
      (m) => m.type === 'stats' && m.id === id,
      'replica stats',
    );
    this.send({ type: 'stats', id });
    const { count, lastAt } = (await answer) as { count: number; lastAt: number };
    return { count, lastAt };
  }

  kill(): void {
    this.child.kill('SIGKILL');
  }

  /** Waits for the drain the replica was told to do, SIGKILL after `timeoutMs`. */
  async exited(timeoutMs = 10_000): Promise<void> {
    if (exited(this.child)) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.child.kill('SIGKILL');
      }, timeoutMs);
      this.child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  stop(): Promise<void> {
    return stop(this.child);
  }
}

export async function startReplicas(count: number, serviceMs: number): Promise<Replica[]> {
  return Promise.all(Array.from({ length: count }, () => Replica.start(serviceMs)));
}

export class Loadgen {
  private constructor(readonly child: ChildProcess) {}

  static async start(target: TargetSpec): Promise<Loadgen> {
    const child = startProcess(process.execPath, [join(here, 'loadgen.js')], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      env: process.env,
    });
    await waitFor<LoadgenReply>(child, (m) => m.type === 'ready', 'load generator');
    const loadgen = new Loadgen(child);
    const done = waitFor<LoadgenReply>(child, (m) => m.type === 'setup-done', 'load generator');
    loadgen.send({ type: 'setup', target });
    await done;
    return loadgen;
  }

  get pid(): number {
    return this.child.pid ?? 0;
  }

  send(message: LoadgenRequest): void {
    if (!exited(this.child) && this.child.connected) this.child.send(message);
  }

  async phase(phase: PhaseSpec): Promise<PhaseResult> {
    const id = nextId++;
    const answer = waitFor<LoadgenReply>(
      this.child,
      (m) => m.type === 'result' && m.id === id,
      'load phase',
    );
    this.send({ type: 'phase', id, phase });
    return ((await answer) as { result: PhaseResult }).result;
  }

  /** Ends a running open-loop phase early (the phase's answer follows). */
  stopPhase(): void {
    this.send({ type: 'stop-phase' });
  }

  async sentReport(): Promise<{
    lastSentAt: Record<string, number>;
    sent: Record<string, number>;
  }> {
    const id = nextId++;
    const answer = waitFor<LoadgenReply>(
      this.child,
      (m) => m.type === 'sent' && m.id === id,
      'sent report',
    );
    this.send({ type: 'sent-report', id });
    const report = (await answer) as {
      lastSentAt: Record<string, number>;
      sent: Record<string, number>;
    };
    return report;
  }

  async close(): Promise<void> {
    const gone = new Promise<void>((resolve) => {
      if (exited(this.child)) resolve();
      else this.child.once('exit', () => resolve());
    });
    this.send({ type: 'close' });
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5_000);
    await gone;
    clearTimeout(timer);
  }
}

/** A proxy process (nginx or HAProxy) listening on one loopback port. */
export class Proxy {
  constructor(
    readonly name: string,
    readonly child: ChildProcess,
    readonly port: number,
    readonly dir: string,
  ) {}

  /** The master and its workers: whose CPU time counts as the proxy's. */
  pids(): number[] {
    const pid = this.child.pid ?? 0;
    return [pid, ...childPids(pid)];
  }

  cpuSeconds(): number {
    return cpuSeconds(this.pids());
  }

  stop(): Promise<void> {
    // nginx: SIGQUIT stops master and workers gracefully; HAProxy stops at once on SIGTERM.
    return stop(this.child, this.name === 'nginx' ? 'SIGQUIT' : 'SIGTERM');
  }
}

function tryConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function waitListening(child: ChildProcess, port: number, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (exited(child)) throw new Error(`${what} exited before listening on ${port}`);
    if (await tryConnect(port)) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`${what} did not listen on ${port} within 10 s`);
}

export function peerAvailable(binary: string): boolean {
  return existsSync(binary);
}

/** Starts a proxy on a free port; a port taken between the check and the bind means a retry. */
async function startProxy(
  name: string,
  write: (dir: string, port: number) => { command: string; args: string[] },
): Promise<Proxy> {
  const dir = trackTempDir(mkdtempSync(join(tmpdir(), `bench-${name}-`)));
  let lastError: unknown;
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    const { command, args } = write(dir, port);
    let stderr = '';
    const child = startProcess(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    try {
      await waitListening(child, port, name);
      const proxy = new Proxy(name, child, port, dir);
      // Wait for nginx's worker to exist so its CPU time is counted from the start.
      if (name === 'nginx') {
        const until = Date.now() + 5_000;
        while (childPids(child.pid ?? 0).length === 0 && Date.now() < until) {
          await new Promise((r) => setTimeout(r, 20));
        }
      }
      return proxy;
    } catch (error) {
      lastError = new Error(`${String(error)}\n${stderr}`);
      await stop(child, 'SIGKILL');
      if (!/address already in use|cannot bind|Address in use/i.test(stderr)) break;
    }
  }
  throw lastError;
}

export function startNginx(upstreamPorts: number[]): Promise<Proxy> {
  return startProxy('nginx', (dir, port) => {
    const servers = upstreamPorts.map((p) => `    server 127.0.0.1:${p};`).join('\n');
    const conf = `# generated by the bench harness: one proxy hop, loopback only
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${dir}/client_body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  keepalive_requests 1000000;
  keepalive_timeout 60s;
  upstream backend {
${servers}
    keepalive 128;
  }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://backend;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_buffering on;
    }
  }
}
`;
    const file = join(dir, 'nginx.conf');
    writeFileSync(file, conf);
    return {
      command: NGINX,
      args: ['-e', join(dir, 'error.log'), '-p', dir, '-c', file, '-g', 'daemon off;'],
    };
  });
}

export function startHaproxy(upstreamPorts: number[], balance = 'roundrobin'): Promise<Proxy> {
  return startProxy('haproxy', (dir, port) => {
    const servers = upstreamPorts.map((p, i) => `  server s${i} 127.0.0.1:${p}`).join('\n');
    const cfg = `# generated by the bench harness: one proxy hop, loopback only
global
  maxconn 1000
  nbthread 1
defaults
  mode http
  timeout connect 2s
  timeout client 60s
  timeout server 60s
  timeout http-keep-alive 60s
  http-reuse always
frontend bench
  bind 127.0.0.1:${port}
  default_backend replicas
backend replicas
  balance ${balance}
${servers}
`;
    const file = join(dir, 'haproxy.cfg');
    writeFileSync(file, cfg);
    return { command: HAPROXY, args: ['-f', file, '-db'] };
  });
}
