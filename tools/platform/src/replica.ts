import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, writeSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { findLease, leaseUrl } from './leases.js';
import { readLogTail } from './log-tail.js';
import { isReady } from './replica-admin.js';
import type { Service } from './services.js';
import type { ReplicaState, ReplicaStatus } from './status.js';

/**
 * Preloaded into every replica: it drains and exits when the launcher's end of the IPC channel
 * closes, so replicas never outlive a launcher that was killed. The path is the same from `src`
 * and from `dist`.
 */
const WATCHDOG = fileURLToPath(new URL('../preload/replica-watchdog.cjs', import.meta.url));

export interface ReplicaOptions {
  service: Service;
  index: number;
  name: string;
  mainFile: string;
  cwd: string;
  logFile: string;
  /** Told when the process ends; `unexpected` unless the launcher killed or stopped it. */
  onExit: (replica: Replica, unexpected: boolean) => void;
}

/** How the last start ended, when it did not become ready. */
export type StartOutcome = 'ready' | 'exited' | 'timed-out' | 'cancelled';

/** One named replica (`catalog-2`) and the process currently behind it. */
export class Replica {
  readonly service: Service;
  readonly index: number;
  readonly name: string;
  readonly logFile: string;
  state: ReplicaState = 'starting';
  url: string | null = null;
  restarts = 0;
  exitCode: number | null | undefined;
  exitSignal: string | null | undefined;
  lastLines: string[] | undefined;
  /** The storefront's fixed port, kept across restarts; undefined for any free port. */
  port: number | undefined;
  readonly #options: ReplicaOptions;
  #child: ChildProcess | undefined;
  #exitExpected: 'killed' | 'stopping' | undefined;
  #exited: Promise<void> = Promise.resolve();

  constructor(options: ReplicaOptions) {
    this.#options = options;
    this.service = options.service;
    this.index = options.index;
    this.name = options.name;
    this.logFile = options.logFile;
  }

  get pid(): number | null {
    return this.#child?.pid ?? null;
  }

  /** Whether its process is still there. */
  get alive(): boolean {
    const child = this.#child;
    return child !== undefined && child.exitCode === null && child.signalCode === null;
  }

  /** Resolves once the current process has exited. */
  get exited(): Promise<void> {
    return this.#exited;
  }

  /** Starts the process; its output goes to the log file (appended to on a restart). */
  spawn(env: NodeJS.ProcessEnv): number {
    const restart = this.#child !== undefined;
    const log = openSync(this.logFile, restart ? 'a' : 'w');
    if (restart) writeSync(log, `--- started again at ${new Date().toISOString()} ---\n`);
    let child: ChildProcess;
    try {
      child = spawn(process.execPath, ['--require', WATCHDOG, this.#options.mainFile], {
        cwd: this.#options.cwd,
        env,
        // Its own process group: Ctrl-C in the terminal reaches the launcher, which stops the
        // replicas in order, instead of every replica at once.
        detached: true,
        stdio: ['ignore', log, log, 'ipc'],
      });
    } finally {
      closeSync(log);
    }
    this.#child = child;
    this.state = 'starting';
    this.url = null;
    this.#exitExpected = undefined;
    this.exitCode = this.exitSignal = this.lastLines = undefined;
    this.#exited = new Promise((resolve) => {
      // A spawn that fails (no such file) ends in 'error' and may never emit 'exit'.
      let done = false;
      const finish = (code: number | null, signal: NodeJS.Signals | null) => {
        if (done) return;
        done = true;
        this.#onExit(code, signal);
        resolve();
      };
      child.once('exit', finish);
      child.once('error', () => finish(null, null));
    });
    return child.pid ?? -1;
  }

  /**
   * Waits until the process has written its lease (which gives its URL) and `/readyz` answers 200;
   * gives up when it exits, after `timeoutMs`, or when `cancelled()` says so.
   */
  async waitUntilReady(
    registryDir: string,
    timeoutMs: number,
    cancelled: () => boolean,
  ): Promise<StartOutcome> {
    const child = this.#child;
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.#child !== child || !this.alive) return 'exited';
      if (cancelled()) return 'cancelled';
      if (this.url === null && child?.pid !== undefined) {
        const lease = await findLease(registryDir, this.service, this.name, child.pid);
        if (lease) this.url = leaseUrl(lease);
      }
      if (this.url !== null && (await isReady(this.url)) && this.alive) {
        this.state = 'running';
        return 'ready';
      }
      await sleep(100);
    }
    return 'timed-out';
  }

  /** SIGKILL, as a crash would; the state becomes `killed`. */
  async kill(): Promise<void> {
    if (!this.alive) return;
    this.#exitExpected = 'killed';
    this.#child?.kill('SIGKILL');
    await this.#exited;
  }

  /** SIGTERM so it drains; SIGKILL if it is still there after `graceMs`. */
  async stop(graceMs: number): Promise<void> {
    if (!this.alive) return;
    this.#exitExpected = 'stopping';
    this.state = 'stopping';
    this.#child?.kill('SIGTERM');
    const timer = setTimeout(() => this.#child?.kill('SIGKILL'), graceMs);
    await this.#exited;
    clearTimeout(timer);
  }

  /** SIGKILL at once, without waiting: for a launcher that is going down right now. */
  killNow(): void {
    if (this.alive) this.#child?.kill('SIGKILL');
  }

  /** Marks a start that failed for another reason than an exit (it never became ready). */
  markFailed(reason: string): void {
    this.state = 'exited';
    this.lastLines = [...readLogTail(this.logFile), reason];
  }

  status(knobs: ReplicaStatus['knobs']): ReplicaStatus {
    return {
      replica: this.name,
      pid: this.alive ? this.pid : null,
      state: this.state,
      url: this.url,
      knobs,
      restarts: this.restarts,
      ...(this.exitCode !== undefined && { exitCode: this.exitCode }),
      ...(this.exitSignal !== undefined && { exitSignal: this.exitSignal }),
      ...(this.lastLines !== undefined && { lastLines: this.lastLines }),
      logFile: this.logFile,
    };
  }

  #onExit(code: number | null, signal: NodeJS.Signals | null): void {
    const expected = this.#exitExpected;
    this.url = null;
    if (expected === 'killed') {
      this.state = 'killed';
    } else if (expected !== 'stopping') {
      this.state = 'exited';
      this.exitCode = code;
      this.exitSignal = signal;
      this.lastLines = readLogTail(this.logFile);
    }
    this.#options.onExit(this, expected === undefined);
  }
}
