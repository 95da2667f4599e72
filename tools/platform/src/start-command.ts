import { join, relative } from 'node:path';
import { buildProjects } from './build.js';
import type { PlatformEvent } from './events.js';
import { startPlatform, type Platform, type PlatformOptions } from './platform.js';
import { DEFAULT_REPLICAS, SERVICES } from './services.js';
import { painter } from './terminal.js';

export interface StartCommandOptions {
  repoRoot: string;
  /** Build the apps and the launcher with nx first (default true). */
  build?: boolean;
  /** Passed on to `startPlatform`; the registry defaults to `<repoRoot>/.trellis/registry`. */
  platform?: Partial<PlatformOptions>;
  out?: NodeJS.WriteStream;
}

/** What `npm start` builds: every service and the launcher (nx adds the libraries they use). */
export const BUILD_PROJECTS = [
  ...SERVICES.map((service) => `@trellis/${service}`),
  '@trellis/platform',
];

/** Signals closer together than this are one Ctrl-C (see onSignal). */
const SAME_PRESS_MS = 500;

/**
 * `npm start`: build, start every replica with progress, print where the shop is, and stop
 * everything cleanly on Ctrl-C or SIGTERM. Resolves with the exit code once stopped.
 */
export async function runStart(options: StartCommandOptions): Promise<number> {
  const out = options.out ?? process.stdout;
  const paint = painter(out);
  const say = (line = '') => out.write(`${line}\n`);

  const interrupted = new AbortController();
  let starting: Promise<Platform> | undefined;
  let stopping: Promise<number> | undefined;
  let stopped: (code: number) => void = () => undefined;
  const stopRequested = new Promise<number>((resolve) => (stopped = resolve));
  const stopAll = async (): Promise<number> => {
    // An interrupted start stops what it started before it rejects.
    const platform = await starting?.catch(() => undefined);
    await platform?.stop();
    say(paint.green('Stopped: every replica has exited; nothing is left running.'));
    return 0;
  };
  let firstSignalAt = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    // npm forwards the terminal's Ctrl-C to us as well: the same press arrives twice, ms apart.
    if (stopping && Date.now() - firstSignalAt < SAME_PRESS_MS) return;
    if (stopping) {
      // A second Ctrl-C: leave now; the exit hook still SIGKILLs every replica.
      say(paint.red('Stopping at once.'));
      process.exit(130);
    }
    say(
      `\n${signal === 'SIGINT' ? 'Ctrl-C' : signal}: stopping every replica (Ctrl-C again to force)...`,
    );
    firstSignalAt = Date.now();
    interrupted.abort(new Error(`interrupted by ${signal}`));
    stopping = stopAll();
    void stopping.then(stopped);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    if (options.build !== false) {
      say(paint.bold('Building the shop...'));
      const result = await buildProjects(options.repoRoot, BUILD_PROJECTS, (step) => {
        const count = step.total > 0 ? `[${step.done}/${step.total}] ` : '';
        const mark = step.failed
          ? paint.red('failed')
          : step.cached
            ? paint.dim('cached')
            : 'built';
        say(`  ${count}${step.project} ${mark}`);
      });
      if (interrupted.signal.aborted) return await stopRequested;
      if (!result.ok) {
        const failed = result.steps.filter((step) => step.failed);
        say(
          paint.red(
            `\nThe build failed${failed.length > 0 ? ` in ${failed.map((step) => step.project).join(', ')}` : ''}:\n`,
          ),
        );
        say(
          failed.length > 0 ? failed.map((step) => step.output).join('\n\n') : result.output.trim(),
        );
        return 1;
      }
    }

    const counts = { ...DEFAULT_REPLICAS, ...options.platform?.replicas };
    const total = Object.values(counts).reduce((sum, count) => sum + count, 0);
    let ready = 0;
    let started = false;
    say(paint.bold(`\nStarting ${total} replicas...`));
    const onEvent = (event: PlatformEvent) => {
      options.platform?.onEvent?.(event);
      switch (event.type) {
        case 'replica-ready':
          ready += 1;
          say(started ? `  ${event.message}` : `  [${ready}/${total}] ${event.message}`);
          break;
        case 'replica-exited':
          say(paint.red(`  ${event.message}`));
          for (const line of event.lastLines.slice(-5)) say(paint.dim(`      ${line}`));
          break;
        case 'port-taken':
        case 'replica-killed':
          say(paint.yellow(`  ${event.message}`));
          break;
        case 'replica-stopped':
          say(paint.dim(`  ${event.message}`));
          break;
      }
    };
    starting = startPlatform({
      registryDir: join(options.repoRoot, '.trellis', 'registry'),
      ...options.platform,
      repoRoot: options.repoRoot,
      onEvent,
      signal: interrupted.signal,
    });
    const platform = await starting;
    started = true;
    const stateDir = options.platform?.stateDir ?? join(options.repoRoot, '.trellis');
    say(banner(platform, stateDir, ready, total, paint.bold));
    return await stopRequested;
  } catch (error) {
    if (interrupted.signal.aborted) return await stopRequested;
    say(paint.red(`\nCould not start the shop: ${(error as Error).message}`));
    return 1;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

function banner(
  platform: Platform,
  stateDir: string,
  ready: number,
  total: number,
  bold: (text: string) => string,
): string {
  const logs = relative(process.cwd(), join(stateDir, 'logs'));
  const up = ready === total ? `all ${total} replicas up` : `${ready} of ${total} replicas up`;
  return [
    '',
    bold(`The shop is running (${up}).`),
    '',
    `  Storefront  ${platform.storefrontUrl ?? '(no storefront replica)'}`,
    `  Dashboard   ${platform.dashboardUrl ?? '(no storefront replica)'}`,
    `  Logs        ${logs}/<replica>.log`,
    '',
    '  Steer it from another terminal:',
    '    npx trellis status                      every replica, its state and knobs; the load',
    '    npx trellis chaos kill catalog-1        then: npx trellis chaos heal catalog-1',
    '    npx trellis chaos slow catalog-2 300ms  or: fail payments-1 50%, hang shipping-1',
    '    npx trellis scale catalog=5',
    '    npx trellis load 50rps                  0 pauses the load',
    '    npx trellis help',
    '',
    '  Ctrl-C stops everything.',
    '',
  ].join('\n');
}
