import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Endpoint } from '../src/endpoint.js';
import { MeshClosedError } from '../src/errors.js';
import type { MeshLogger } from '../src/logger.js';
import { DnsResolver, dnsDiscovery, type DnsResolverOptions } from '../src/resolvers/dns.js';
import type { Resolver } from '../src/resolvers/resolver.js';
import { Dnsmasq, findDnsmasq } from './support/dnsmasq.js';

const dnsmasqBinary = findDnsmasq();
const onCi = Boolean(process.env.CI);
const installAdvice =
  'dnsmasq is not installed: install it (Debian/Ubuntu: apt-get install dnsmasq) to run the DNS resolver tests against a real DNS server';
if (!dnsmasqBinary && !onCi) {
  console.warn(`Skipping the dnsmasq-backed DNS resolver tests: ${installAdvice}`);
}

const HOSTS = `
127.0.0.10 catalog.test
127.0.0.11 catalog.test
127.0.0.20 catalog-a.test
127.0.0.21 catalog-b.test
127.0.0.22 catalog-backup.test
::1 catalog6.test
127.0.0.30 dual.test
::1 dual.test
`;

const SRV_HOSTS = [
  '_http._tcp.catalog.test,catalog-a.test,8081,0,10',
  '_http._tcp.catalog.test,catalog-b.test,8082,0,0',
  '_http._tcp.catalog.test,catalog-backup.test,9090,1,10',
];

interface LogEntry {
  readonly level: 'debug' | 'info' | 'warn' | 'error';
  readonly fields: Record<string, unknown>;
  readonly message: string;
}

function recordingLogger(): MeshLogger & { readonly entries: LogEntry[] } {
  const entries: LogEntry[] = [];
  const record =
    (level: LogEntry['level']) =>
    (fields: object, message: string): void => {
      entries.push({ level, fields: fields as Record<string, unknown>, message });
    };
  return {
    entries,
    debug: record('debug'),
    info: record('info'),
    warn: record('warn'),
    error: record('error'),
  };
}

/** Every set a resolver pushes, in order. */
function recordPushes(resolver: Resolver): (readonly Endpoint[])[] {
  const pushes: (readonly Endpoint[])[] = [];
  resolver.subscribe((endpoints) => pushes.push(endpoints));
  return pushes;
}

async function waitFor<T>(what: string, probe: () => T | undefined, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline)
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function sorted(endpoints: readonly Endpoint[]): Endpoint[] {
  const key = (endpoint: Endpoint): string => `${endpoint.address}:${endpoint.port}`;
  return [...endpoints].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

function warnings(logger: { readonly entries: LogEntry[] }): LogEntry[] {
  return logger.entries.filter((entry) => entry.level === 'warn');
}

describe.skipIf(!dnsmasqBinary && !onCi)('DnsResolver against dnsmasq', () => {
  let dnsmasq: Dnsmasq;
  let logger: ReturnType<typeof recordingLogger>;
  const resolvers: { close(): Promise<void> }[] = [];

  function resolver(options: DnsResolverOptions): DnsResolver {
    const created = new DnsResolver({ servers: [dnsmasq.server], logger, ...options });
    resolvers.push(created);
    return created;
  }

  beforeAll(() => {
    if (!dnsmasqBinary) throw new Error(installAdvice);
  });

  beforeEach(async () => {
    logger = recordingLogger();
    dnsmasq = await Dnsmasq.start(dnsmasqBinary ?? 'dnsmasq', {
      hosts: HOSTS,
      srvHosts: SRV_HOSTS,
    });
  });

  afterEach(async () => {
    await Promise.all(resolvers.splice(0).map((created) => created.close()));
    await dnsmasq?.dispose();
  });

  it('resolves the A records of a host name into endpoints on the given port', async () => {
    const catalog = resolver({ host: 'catalog.test', port: 8080 });
    const pushes = recordPushes(catalog);

    const first = await waitFor('the first endpoint set', () => pushes[0]);

    expect(catalog.description).toBe('dns:catalog.test:8080');
    expect(sorted(first)).toEqual([
      { address: '127.0.0.10', port: 8080 },
      { address: '127.0.0.11', port: 8080 },
    ]);
  });

  it('delivers the known set at once to a later subscriber', async () => {
    const catalog = resolver({ host: 'catalog.test', port: 8080 });
    const early = recordPushes(catalog);
    await waitFor('the first endpoint set', () => early[0]);

    const late = recordPushes(catalog);

    expect(late).toHaveLength(1);
    expect(late[0]).toHaveLength(2);
  });

  it('pushes the new set within about the TTL after the hosts file changes', async () => {
    const catalog = resolver({ host: 'catalog.test', port: 8080 });
    const pushes = recordPushes(catalog);
    await waitFor('the first endpoint set', () => pushes[0]);

    const changedAt = Date.now();
    await dnsmasq.replaceHosts('127.0.0.10 catalog.test\n127.0.0.12 catalog.test\n');
    const second = await waitFor('the changed endpoint set', () => pushes[1]);
    const elapsedMs = Date.now() - changedAt;

    expect(sorted(second)).toEqual([
      { address: '127.0.0.10', port: 8080 },
      { address: '127.0.0.12', port: 8080 },
    ]);
    // TTL 1 s, refresh floor 1 s: the change shows within one refresh plus query time.
    expect(elapsedMs).toBeLessThan(2_500);
  });

  it('re-resolves on the TTL but pushes only when the set changed', async () => {
    const catalog = resolver({ host: 'catalog.test', port: 8080, minRefreshMs: 200 });
    const pushes = recordPushes(catalog);
    await waitFor('the first endpoint set', () => pushes[0]);

    await sleep(2_500);
    const lookups = logger.entries.filter((entry) => entry.message.endsWith('resolved'));

    // TTL 1 s: lookups at 0, ~1 and ~2 s.
    expect(lookups.length).toBeGreaterThanOrEqual(3);
    expect(lookups.every((entry) => entry.fields['refreshInMs'] === 1_000)).toBe(true);
    expect(pushes).toHaveLength(1);
  });

  it('resolves SRV records into endpoints with the SRV ports and weights, lowest priority only', async () => {
    const catalog = resolver({ srv: '_http._tcp.catalog.test' });
    const pushes = recordPushes(catalog);

    const first = await waitFor('the SRV endpoint set', () => pushes[0]);

    expect(catalog.description).toBe('dns-srv:_http._tcp.catalog.test');
    expect(sorted(first)).toEqual([
      { address: '127.0.0.20', port: 8081, weight: 10 },
      // SRV weight 0 means "no preference", which balancers read as 1.
      { address: '127.0.0.21', port: 8082, weight: 1 },
    ]);
  });

  it('resolves AAAA records with family 6', async () => {
    const catalog = resolver({ host: 'catalog6.test', port: 8080, family: 6 });
    const pushes = recordPushes(catalog);

    const first = await waitFor('the AAAA endpoint set', () => pushes[0]);

    expect(first).toEqual([{ address: '::1', port: 8080 }]);
  });

  it('takes the union of A and AAAA records with family "both"', async () => {
    const dual = resolver({ host: 'dual.test', port: 8080, family: 'both' });
    const pushes = recordPushes(dual);

    const first = await waitFor('the dual-stack endpoint set', () => pushes[0]);

    expect(sorted(first)).toEqual([
      { address: '127.0.0.30', port: 8080 },
      { address: '::1', port: 8080 },
    ]);
  });

  it('accepts family "both" for a name with A records only (AAAA answers no data)', async () => {
    const catalog = resolver({ host: 'catalog.test', port: 8080, family: 'both' });
    const pushes = recordPushes(catalog);

    const first = await waitFor('the endpoint set', () => pushes[0]);

    expect(first).toHaveLength(2);
    expect(warnings(logger)).toHaveLength(0);
  });

  it('keeps the last good set when the DNS server dies, warns once, retries with backoff and recovers', async () => {
    const catalog = resolver({
      host: 'catalog.test',
      port: 8080,
      minRefreshMs: 100,
      maxRefreshMs: 400,
    });
    const pushes = recordPushes(catalog);
    await waitFor('the first endpoint set', () => pushes[0]);

    await dnsmasq.stop();
    const warning = await waitFor('a warning', () => warnings(logger)[0]);
    await waitFor('three retries', () => {
      const retries = logger.entries.filter((entry) => entry.message.includes('still failing'));
      return retries.length >= 3 ? retries : undefined;
    });

    expect(warning.fields).toMatchObject({
      name: 'catalog.test',
      server: dnsmasq.server,
      code: 'ECONNREFUSED',
      keptEndpoints: 2,
    });
    expect(warning.message).toContain('keeping the last 2 endpoint(s)');
    expect(
      logger.entries
        .filter((entry) => entry.fields['code'] !== undefined)
        .map((entry) => entry.fields['retryInMs'])
        .slice(0, 4),
    ).toEqual([100, 200, 400, 400]);
    expect(warnings(logger)).toHaveLength(1);
    expect(pushes).toHaveLength(1);

    await dnsmasq.restart();
    await waitFor('recovery', () =>
      logger.entries.find((entry) => entry.message.endsWith('resolves again')),
    );
    expect(pushes).toHaveLength(1);
  });

  it('keeps the last good set when the name stops existing, and says so', async () => {
    const dual = resolver({ host: 'dual.test', port: 8080 });
    const pushes = recordPushes(dual);
    await waitFor('the first endpoint set', () => pushes[0]);

    await dnsmasq.replaceHosts('127.0.0.20 catalog-a.test\n');
    const warning = await waitFor('a warning', () => warnings(logger)[0]);

    expect(warning.fields).toMatchObject({ name: 'dual.test', code: 'ENOTFOUND' });
    expect(warning.message).toContain('now says dual.test has no records');
    expect(warning.message).toContain('keeping the last 1 endpoint(s)');
    expect(pushes).toEqual([[{ address: '127.0.0.30', port: 8080 }]]);
  });

  it('warns that a missing name does not resolve, pushes nothing and rejects nothing', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => {
      unhandled.push(reason);
    };
    process.on('unhandledRejection', onUnhandled);
    try {
      const missing = resolver({ host: 'missing.test', port: 8080 });
      const pushes = recordPushes(missing);

      const warning = await waitFor('a warning', () => warnings(logger)[0]);
      await sleep(100);

      expect(warning.fields).toMatchObject({
        name: 'missing.test',
        server: dnsmasq.server,
        code: 'ENOTFOUND',
        keptEndpoints: 0,
      });
      expect(warning.message).toContain('DNS name missing.test does not resolve');
      expect(warning.message).toContain('check the spelling and namespace of the name');
      expect(pushes).toHaveLength(0);
      expect(unhandled).toHaveLength(0);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('stops refreshing once closed, and close can be called twice', async () => {
    const catalog = resolver({ host: 'catalog.test', port: 8080 });
    const pushes = recordPushes(catalog);
    await waitFor('the first endpoint set', () => pushes[0]);

    await catalog.close();
    await catalog.close();
    await dnsmasq.replaceHosts('127.0.0.12 catalog.test\n');
    await sleep(1_500);

    expect(pushes).toHaveLength(1);
  });

  it('maps service names to cached resolvers through a host template', async () => {
    const discovery = dnsDiscovery({
      hostTemplate: '{service}.test',
      port: 8080,
      servers: [dnsmasq.server],
      logger,
    });
    resolvers.push({ close: async () => discovery.close?.() });

    const catalog = discovery.resolverFor('catalog');
    const pushes = catalog ? recordPushes(catalog) : [];
    const first = await waitFor('the endpoint set', () => pushes[0]);

    expect(discovery.description).toBe('dns:{service}.test:8080');
    expect(catalog?.description).toBe('dns:catalog.test:8080');
    expect(discovery.resolverFor('catalog')).toBe(catalog);
    expect(first).toHaveLength(2);
  });

  it('maps service names through an SRV template, and refuses new services once closed', async () => {
    const discovery = dnsDiscovery({
      srvTemplate: '_http._tcp.{service}.test',
      servers: [dnsmasq.server],
      logger,
    });

    const catalog = discovery.resolverFor('catalog');
    const pushes = catalog ? recordPushes(catalog) : [];
    const first = await waitFor('the SRV endpoint set', () => pushes[0]);
    await discovery.close?.();

    expect(catalog?.description).toBe('dns-srv:_http._tcp.catalog.test');
    expect(first.map((endpoint) => endpoint.port).sort()).toEqual([8081, 8082]);
    expect(() => discovery.resolverFor('catalog')).toThrow(MeshClosedError);
  });
});

describe('DnsResolver options', () => {
  function configError(create: () => unknown): unknown {
    try {
      create();
    } catch (error) {
      return error;
    }
    return undefined;
  }

  const rejected = {
    name: 'MeshConfigError',
    code: 'ERR_INVALID_DNS_CONFIG',
    advice: expect.stringMatching(/\w/),
  };

  it.each<[string, Record<string, unknown>]>([
    ['an empty host name', { host: '', port: 8080 }],
    ['a host name with a space', { host: 'catalog shop.test', port: 8080 }],
    ['a host name with an empty label', { host: 'catalog..test', port: 8080 }],
    ['a host name label over 63 characters', { host: `${'a'.repeat(64)}.test`, port: 8080 }],
    ['an IP address as host name', { host: '10.0.0.1', port: 8080 }],
    ['an empty SRV name', { srv: '' }],
    ['both host and srv', { host: 'catalog.test', port: 8080, srv: '_http._tcp.catalog.test' }],
    ['neither host nor srv', { port: 8080 }],
    ['a missing port', { host: 'catalog.test' }],
    ['port 0', { host: 'catalog.test', port: 0 }],
    ['port 65536', { host: 'catalog.test', port: 65_536 }],
    ['a fractional port', { host: 'catalog.test', port: 80.5 }],
    ['a port given as a string', { host: 'catalog.test', port: '8080' }],
    [
      'minRefreshMs above maxRefreshMs',
      { host: 'catalog.test', port: 8080, minRefreshMs: 5_000, maxRefreshMs: 1_000 },
    ],
    ['a zero minRefreshMs', { host: 'catalog.test', port: 8080, minRefreshMs: 0 }],
    ['an unknown family', { host: 'catalog.test', port: 8080, family: 5 }],
    ['an empty servers list', { host: 'catalog.test', port: 8080, servers: [] }],
    ['a server given by host name', { host: 'catalog.test', port: 8080, servers: ['dns.example'] }],
    [
      'a server with port 99999',
      { host: 'catalog.test', port: 8080, servers: ['127.0.0.1:99999'] },
    ],
    ['a server with an empty port', { host: 'catalog.test', port: 8080, servers: ['127.0.0.1:'] }],
    [
      'a server given as a URL',
      { host: 'catalog.test', port: 8080, servers: ['udp://127.0.0.1:53'] },
    ],
  ])('rejects %s with ERR_INVALID_DNS_CONFIG', (_case, options) => {
    expect(
      configError(() => new DnsResolver(options as unknown as DnsResolverOptions)),
    ).toMatchObject(rejected);
  });

  it.each<[string, Record<string, unknown>]>([
    ['a host template without {service}', { hostTemplate: 'catalog.test', port: 8080 }],
    ['an SRV template without {service}', { srvTemplate: '_http._tcp.catalog.test' }],
    [
      'both templates',
      { hostTemplate: '{service}.test', port: 8080, srvTemplate: '_http._tcp.{service}.test' },
    ],
    ['a host template without a port', { hostTemplate: '{service}.test' }],
    ['a template that cannot make a host name', { hostTemplate: '{service} .test', port: 8080 }],
  ])('rejects a discovery with %s', (_case, options) => {
    expect(configError(() => dnsDiscovery(options as never))).toMatchObject(rejected);
  });

  it.each<[string, DnsResolverOptions]>([
    ['an IPv4 server', { host: 'catalog.test', port: 8080, servers: ['10.96.0.10'] }],
    [
      'an IPv4 server with a port',
      { host: 'catalog.test', port: 8080, servers: ['127.0.0.1:5353'] },
    ],
    [
      'a bracketed IPv6 server with a port',
      { host: 'catalog.test', port: 8080, servers: ['[fd00::10]:53'] },
    ],
    ['a bare IPv6 server', { host: 'catalog.test', port: 8080, servers: ['fd00::10'] }],
    ['a fully qualified host name', { host: 'catalog.shop.svc.cluster.local.', port: 8080 }],
  ])('accepts %s', (_case, options) => {
    expect(configError(() => new DnsResolver(options))).toBeUndefined();
  });
});
