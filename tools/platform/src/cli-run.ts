import { parseCliArgs, HELP, UsageError, type CliCommand } from './cli-args.js';
import { formatChaos, formatLoad, formatStatus } from './cli-format.js';
import { ControlClient, ControlRequestError, NoLauncherError } from './control-client.js';
import { locateLauncher } from './launcher-file.js';
import type { ChaosResult, LoadStatus, PlatformStatus } from './status.js';
import { painter } from './terminal.js';

export interface CliIo {
  cwd: string;
  env: NodeJS.ProcessEnv;
  stdout: { write(text: string): unknown; isTTY?: boolean };
  stderr: { write(text: string): unknown; isTTY?: boolean };
}

async function run(
  command: Exclude<CliCommand, { command: 'help' }>,
  client: ControlClient,
  io: CliIo,
) {
  const paint = painter(io.stdout, io.env);
  switch (command.command) {
    case 'status': {
      const status = await client.get<PlatformStatus>('/status');
      return command.json ? JSON.stringify(status, null, 2) : formatStatus(status, paint);
    }
    case 'scale': {
      let status: PlatformStatus | undefined;
      for (const target of command.targets) {
        status = await client.post<PlatformStatus>('/scale', target);
      }
      const scaled = new Set(command.targets.map((target) => target.service));
      return formatStatus(
        { ...status!, services: status!.services.filter((service) => scaled.has(service.service)) },
        paint,
      );
    }
    case 'chaos':
      return formatChaos(await client.post<ChaosResult>('/chaos', command.chaos));
    case 'load': {
      const body =
        command.mix === undefined ? { rps: command.rps } : { rps: command.rps, mix: command.mix };
      return formatLoad(await client.post<LoadStatus>('/load', body));
    }
  }
}

/** Runs `trellis <argv>`; resolves with the exit code (0 done, 1 failed, 2 bad arguments). */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  let command: CliCommand;
  try {
    command = parseCliArgs(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.stderr.write(`trellis: ${error.message}\n`);
    return 2;
  }
  if (command.command === 'help') {
    io.stdout.write(`${HELP}\n`);
    return 0;
  }
  const launcher = locateLauncher(io.cwd, io.env);
  if (!launcher) {
    io.stderr.write(`trellis: ${new NoLauncherError().message}\n`);
    return 1;
  }
  try {
    io.stdout.write(
      `${await run(command, new ControlClient(launcher.url, launcher.source), io)}\n`,
    );
    return 0;
  } catch (error) {
    if (error instanceof NoLauncherError || error instanceof ControlRequestError) {
      io.stderr.write(`trellis: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
}
