import { spawn } from 'node:child_process';
import { join } from 'node:path';

/** One finished build task, as nx reports it. */
export interface BuildStep {
  project: string;
  cached: boolean;
  failed: boolean;
  /** The task's own output (the compiler's), without nx's header. */
  output: string;
  /** Tasks finished so far, and how many there are in all (0 when nx has not said yet). */
  done: number;
  total: number;
}

export interface BuildResult {
  ok: boolean;
  steps: BuildStep[];
  /** Everything nx printed, for when no single task is to blame. */
  output: string;
}

const TASK_HEADER = /^> nx run (\S+?):build(?:\s+\[(.+)\])?\s*$/;
// "for 2 projects and 3 tasks they depend on", or "for project @trellis/x and 2 tasks it depends on".
const TOTAL =
  /Running target build for (?:(\d+) projects|project \S+)(?: and (\d+) tasks? (?:they|it) depends? on)?/;
const TASK_FAILED = /exited with non-zero status code/;

/**
 * Reads `nx run-many -t build --outputStyle=static` as it streams: nx prints each task's output
 * under a `> nx run <project>:build` header once the task is done, so a header closes the task
 * before it; a task whose output says it exited non-zero failed.
 */
export class NxBuildOutput {
  readonly steps: BuildStep[] = [];
  #all = '';
  #pending = '';
  #total = 0;
  #current: { project: string; cached: boolean; lines: string[] } | undefined;
  readonly #onStep: (step: BuildStep) => void;

  constructor(onStep: (step: BuildStep) => void = () => undefined) {
    this.#onStep = onStep;
  }

  get output(): string {
    return this.#all;
  }

  feed(text: string): void {
    this.#all += text;
    const lines = (this.#pending + text).split('\n');
    this.#pending = lines.pop()!;
    for (const line of lines) this.#line(line.replace(/\r$/, ''));
  }

  end(): void {
    if (this.#pending) this.#line(this.#pending);
    this.#pending = '';
    this.#finishTask();
  }

  #line(line: string): void {
    const total = TOTAL.exec(line);
    if (total && this.#total === 0) {
      this.#total = Number(total[1] ?? 1) + Number(total[2] ?? 0);
      return;
    }
    const header = TASK_HEADER.exec(line);
    if (header) {
      this.#finishTask();
      this.#current = { project: header[1]!, cached: header[2] !== undefined, lines: [] };
      return;
    }
    // nx's closing summary is not part of the last task's output.
    if (/^\s*NX\s{2,}/.test(line)) {
      this.#finishTask();
      return;
    }
    this.#current?.lines.push(line);
  }

  #finishTask(): void {
    const task = this.#current;
    if (!task) return;
    this.#current = undefined;
    const output = task.lines.join('\n').trim();
    const step: BuildStep = {
      project: task.project,
      cached: task.cached,
      failed: TASK_FAILED.test(output),
      output,
      done: this.steps.length + 1,
      total: this.#total,
    };
    this.steps.push(step);
    this.#onStep(step);
  }
}

/**
 * Builds `projects` (and what they depend on) with nx, reporting each task as it finishes. The
 * sync generators are skipped: they only rewrite the root project references, which a build does
 * not read, and would stop a run in a workspace that is not synced yet.
 */
export function buildProjects(
  repoRoot: string,
  projects: readonly string[],
  onStep?: (step: BuildStep) => void,
): Promise<BuildResult> {
  const parser = new NxBuildOutput(onStep);
  const child = spawn(
    process.execPath,
    [
      join(repoRoot, 'node_modules', '.bin', 'nx'),
      'run-many',
      '-t',
      'build',
      '-p',
      projects.join(','),
      '--outputStyle=static',
      '--skipSync',
    ],
    {
      cwd: repoRoot,
      env: {
        ...process.env,
        NX_TUI: 'false',
        NX_NO_CLOUD: 'true',
        // No daemon left running after `npm start` ends.
        NX_DAEMON: 'false',
        FORCE_COLOR: '0',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  child.stdout.setEncoding('utf8').on('data', (text: string) => parser.feed(text));
  child.stderr.setEncoding('utf8').on('data', (text: string) => parser.feed(text));
  return new Promise((resolve) => {
    let settled = false;
    const finish = (ok: boolean) => {
      if (settled) return;
      settled = true;
      parser.end();
      resolve({ ok, steps: parser.steps, output: parser.output });
    };
    child.once('error', (error) => {
      parser.feed(`could not run nx: ${error.message}\n`);
      finish(false);
    });
    child.once('close', (code) => {
      // nx answers 0 with "No tasks were run" when no project matched: that built nothing.
      finish(code === 0 && parser.steps.length > 0 && !parser.steps.some((step) => step.failed));
    });
  });
}
