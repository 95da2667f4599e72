import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';
import { promises as dns } from 'node:dns';
import { accessSync, constants } from 'node:fs';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

/** Domain dnsmasq answers for alone, so unknown names under it are NXDOMAIN rather than REFUSED. */
export const TEST_DOMAIN = 'test';

export interface DnsmasqConfig {
  /** Contents of the hosts file dnsmasq serves, `/etc/hosts` format. */
  readonly hosts: string;
  /** `srv-host` values: `<name>,<target>,<port>,<priority>,<weight>`. */
  readonly srvHosts?: readonly string[];
}

/** Where dnsmasq is installed; it usually lives in an sbin directory that users lack on PATH. */
export function findDnsmasq(): string | undefined {
  const directories = [
    ...(process.env.PATH ?? '').split(delimiter),
    '/usr/sbin',
    '/sbin',
    '/usr/local/sbin',
  ];
  for (const directory of directories.filter(Boolean)) {
    const candidate = join(directory, 'dnsmasq');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      continue;
    }
  }
  return undefined;
}

/** A dnsmasq serving one test's records on a loopback port of its own. */
export class Dnsmasq {
  private process: ChildProcess | undefined;
  private output = '';

  private constructor(
    private readonly binary: string,
    private readonly directory: string,
    readonly port: number,
  ) {}

  /** Starts dnsmasq and returns once it answers queries. */
  static async start(binary: string, config: DnsmasqConfig): Promise<Dnsmasq> {
    const directory = await mkdtemp(join(tmpdir(), 'dnsmasq-'));
    // Started as root, dnsmasq drops to an unprivileged user that must still read its files.
    await chmod(directory, 0o755);
    const srvLines = (config.srvHosts ?? []).map((srv) => `srv-host=${srv}\n`).join('');
    await writeFile(join(directory, 'dnsmasq.conf'), srvLines, { mode: 0o644 });
    // A port free a moment ago can be taken before dnsmasq binds it: try a few.
    for (let attempt = 1; ; attempt++) {
      const dnsmasq = new Dnsmasq(binary, directory, await freeDnsPort());
      await dnsmasq.setHostsFile(config.hosts);
      try {
        await dnsmasq.launch();
        return dnsmasq;
      } catch (error) {
        if (attempt >= 5 || !dnsmasq.output.includes('Address already in use')) throw error;
      }
    }
  }

  /** `ip:port` to give a resolver as its server. */
  get server(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** Replaces the hosts file and makes dnsmasq reload it (SIGHUP). */
  async replaceHosts(hosts: string): Promise<void> {
    await this.setHostsFile(hosts);
    this.process?.kill('SIGHUP');
  }

  /** Starts dnsmasq again on the same port after `stop`. */
  async restart(): Promise<void> {
    await this.launch();
  }

  /** SIGTERM, then SIGKILL if dnsmasq has not exited within a second. */
  async stop(): Promise<void> {
    const running = this.process;
    this.process = undefined;
    if (!running || running.exitCode !== null || running.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => running.once('exit', () => resolve()));
    running.kill('SIGTERM');
    const killTimer = setTimeout(() => running.kill('SIGKILL'), 1_000);
    await exited;
    clearTimeout(killTimer);
  }

  /** Stops dnsmasq and removes its files. */
  async dispose(): Promise<void> {
    await this.stop();
    await rm(this.directory, { recursive: true, force: true });
  }

  private async setHostsFile(hosts: string): Promise<void> {
    await writeFile(join(this.directory, 'hosts'), hosts, { mode: 0o644 });
  }

  private async launch(): Promise<void> {
    this.output = '';
    const child = spawn(
      this.binary,
      [
        '--keep-in-foreground',
        `--conf-file=${join(this.directory, 'dnsmasq.conf')}`,
        '--no-resolv',
        '--no-hosts',
        '--bind-interfaces',
        '--listen-address=127.0.0.1',
        `--port=${this.port}`,
        `--addn-hosts=${join(this.directory, 'hosts')}`,
        '--local-ttl=1',
        `--local=/${TEST_DOMAIN}/`,
        `--pid-file=${join(this.directory, 'dnsmasq.pid')}`,
        '--log-facility=-',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.process = child;
    const collect = (chunk: Buffer): void => {
      this.output += chunk.toString();
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    await this.waitUntilAnswering(child);
  }

  private async waitUntilAnswering(child: ChildProcess): Promise<void> {
    const probe = new dns.Resolver({ timeout: 200, tries: 1 });
    probe.setServers([this.server]);
    const deadline = Date.now() + 5_000;
    while (Date.now() < deadline) {
      if (child.exitCode !== null || child.signalCode !== null) break;
      try {
        await probe.resolve4(`dnsmasq-ready.${TEST_DOMAIN}`);
        return;
      } catch (error) {
        // Any DNS answer, NXDOMAIN included, means dnsmasq is serving.
        if ((error as { code?: string }).code === 'ENOTFOUND') return;
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await this.stop();
    throw new Error(`dnsmasq did not start answering on ${this.server}:\n${this.output}`);
  }
}

/** A port free for both UDP and TCP right now (dnsmasq binds both), found by binding UDP to port 0. */
async function freeDnsPort(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const socket = createSocket('udp4');
      socket.once('error', reject);
      socket.bind(0, '127.0.0.1', () => {
        const { port: bound } = socket.address();
        socket.close(() => resolve(bound));
      });
    });
    const tcpFree = await new Promise<boolean>((resolve) => {
      const server = createServer();
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
    });
    if (tcpFree) return port;
  }
}
