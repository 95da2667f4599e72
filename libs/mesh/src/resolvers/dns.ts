import { promises as dns } from 'node:dns';
import { isIP } from 'node:net';
import { endpointKey, type Endpoint } from '../endpoint.js';
import { MeshClosedError, MeshConfigError } from '../errors.js';
import { stderrLogger, type MeshLogger } from '../logger.js';
import type { Discovery, EndpointListener, Resolver } from './resolver.js';

/** Which address records to ask for: A (4), AAAA (6), or the union of both. */
export type DnsFamily = 4 | 6 | 'both';

/** Settings shared by every kind of DNS lookup. */
export interface DnsLookupOptions {
  /** `ip` or `ip:port` (IPv6 as `[ip]:port`), e.g. `['127.0.0.1:5353']`; the system's when omitted. */
  readonly servers?: readonly string[];
  /** Address records to ask for; default 4. */
  readonly family?: DnsFamily;
  /** Floor for re-resolution and the first retry delay after a failure; default 1 s. */
  readonly minRefreshMs?: number;
  /** Ceiling for re-resolution and for the retry backoff; default 30 s. */
  readonly maxRefreshMs?: number;
  /** How long one query attempt waits for an answer; default 2 s. */
  readonly queryTimeoutMs?: number;
  readonly logger?: MeshLogger;
}

/** A/AAAA records of `host`, every address served on `port`. */
export interface DnsAddressOptions extends DnsLookupOptions {
  readonly host: string;
  readonly port: number;
  readonly srv?: never;
}

/** SRV records of `srv` (e.g. `_http._tcp.catalog.shop.svc.cluster.local`): ports and weights from DNS. */
export interface DnsSrvOptions extends DnsLookupOptions {
  readonly srv: string;
  readonly host?: never;
  readonly port?: never;
}

export type DnsResolverOptions = DnsAddressOptions | DnsSrvOptions;

/** Host names per service from a template in which `{service}` stands for the service name. */
export interface DnsAddressDiscoveryOptions extends DnsLookupOptions {
  readonly hostTemplate: string;
  readonly port: number;
  readonly srvTemplate?: never;
}

export interface DnsSrvDiscoveryOptions extends DnsLookupOptions {
  readonly srvTemplate: string;
  readonly hostTemplate?: never;
  readonly port?: never;
}

export type DnsDiscoveryOptions = DnsAddressDiscoveryOptions | DnsSrvDiscoveryOptions;

const INVALID_DNS_CONFIG = 'ERR_INVALID_DNS_CONFIG';
const SERVICE_PLACEHOLDER = '{service}';
const DEFAULT_MIN_REFRESH_MS = 1_000;
const DEFAULT_MAX_REFRESH_MS = 30_000;
const DEFAULT_QUERY_TIMEOUT_MS = 2_000;
const QUERY_TRIES = 2;
const HOST_LABEL = /^[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?$/i;
/** Answers that say the name or its records do not exist, as opposed to the lookup failing. */
const DEFINITIVE_ABSENCE = new Set(['ENOTFOUND', 'ENODATA']);

type DnsQuery =
  | { readonly kind: 'address'; readonly host: string; readonly port: number }
  | { readonly kind: 'srv'; readonly name: string };

interface DnsSettings {
  readonly query: DnsQuery;
  readonly families: readonly (4 | 6)[];
  readonly servers: readonly string[] | undefined;
  readonly minRefreshMs: number;
  readonly maxRefreshMs: number;
  readonly queryTimeoutMs: number;
  readonly logger: MeshLogger;
}

interface AddressRecord {
  readonly address: string;
  readonly ttl: number;
}

interface DnsAnswer {
  readonly endpoints: readonly Endpoint[];
  /** Smallest TTL in the answer, or undefined when the answer carried none. */
  readonly ttlSeconds: number | undefined;
}

/**
 * Discovery for one service from DNS: A/AAAA records of a host name, or SRV records of a named
 * port. Re-resolves when the answer's TTL runs out, and keeps the last good set through failures.
 */
export class DnsResolver implements Resolver {
  readonly description: string;
  private readonly settings: DnsSettings;
  private readonly dns: dns.Resolver;
  private readonly listeners = new Set<EndpointListener>();
  private endpoints: readonly Endpoint[] | undefined;
  private signature = '';
  private started = false;
  private closed = false;
  private timer: NodeJS.Timeout | undefined;
  private refreshing: Promise<void> = Promise.resolve();
  private nextRetryMs: number;
  /** Error code of the failure streak in progress, so a streak is warned about once. */
  private failingWith: string | undefined;

  constructor(options: DnsResolverOptions) {
    this.settings = validateOptions(options);
    this.description =
      this.settings.query.kind === 'address'
        ? `dns:${this.settings.query.host}:${this.settings.query.port}`
        : `dns-srv:${this.settings.query.name}`;
    this.nextRetryMs = this.settings.minRefreshMs;
    this.dns = new dns.Resolver({ timeout: this.settings.queryTimeoutMs, tries: QUERY_TRIES });
    if (this.settings.servers) this.dns.setServers(this.settings.servers);
  }

  subscribe(listener: EndpointListener): () => void {
    if (this.closed) return () => undefined;
    this.listeners.add(listener);
    if (this.endpoints) this.notify(listener, this.endpoints);
    if (!this.started) {
      this.started = true;
      this.refreshing = this.refresh();
    }
    return () => {
      this.listeners.delete(listener);
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.timer);
    this.listeners.clear();
    this.dns.cancel();
    await this.refreshing;
  }

  private async refresh(): Promise<void> {
    let delayMs: number;
    try {
      const answer = await this.lookup();
      if (this.closed) return;
      delayMs = this.accept(answer);
    } catch (error) {
      if (this.closed) return;
      delayMs = this.reportFailure(error);
    }
    this.timer = setTimeout(() => {
      this.refreshing = this.refresh();
    }, delayMs);
    // Discovery alone must never keep the process alive.
    this.timer.unref();
  }

  private lookup(): Promise<DnsAnswer> {
    const query = this.settings.query;
    return query.kind === 'address'
      ? this.lookupAddressEndpoints(query.host, query.port)
      : this.lookupSrvEndpoints(query.name);
  }

  private async lookupAddressEndpoints(host: string, port: number): Promise<DnsAnswer> {
    const records = await this.lookupAddresses(host);
    return {
      endpoints: records.map(({ address }) => ({ address, port })),
      ttlSeconds: smallestTtl(records),
    };
  }

  private async lookupSrvEndpoints(name: string): Promise<DnsAnswer> {
    // A target of "." means the service is decidedly not available there (RFC 2782).
    const records = (await this.dns.resolveSrv(name)).filter(
      (record) => record.name !== '' && record.name !== '.',
    );
    // Higher priority values are backups, to be used only when every lower one is gone.
    const topPriority = Math.min(...records.map((record) => record.priority));
    const chosen = records.filter((record) => record.priority === topPriority);
    const targets = [...new Set(chosen.map((record) => record.name))];
    const addressesByTarget = new Map(
      await Promise.all(
        targets.map(async (target) => [target, await this.lookupTargetAddresses(target)] as const),
      ),
    );
    const endpointsByKey = new Map<string, Endpoint>();
    const ttls: AddressRecord[] = [];
    for (const record of chosen) {
      const addresses = addressesByTarget.get(record.name) ?? [];
      ttls.push(...addresses);
      for (const { address } of addresses) {
        const endpoint = { address, port: record.port, weight: record.weight || 1 };
        const key = endpointKey(endpoint);
        const twin = endpointsByKey.get(key);
        endpointsByKey.set(
          key,
          twin ? { ...endpoint, weight: (twin.weight ?? 1) + endpoint.weight } : endpoint,
        );
      }
    }
    if (endpointsByKey.size === 0) throw noRecordsError(`no SRV target of ${name} has addresses`);
    return { endpoints: [...endpointsByKey.values()], ttlSeconds: smallestTtl(ttls) };
  }

  /** A target that no longer exists is left out; any other failure fails the whole answer. */
  private async lookupTargetAddresses(target: string): Promise<readonly AddressRecord[]> {
    try {
      return await this.lookupAddresses(target);
    } catch (error) {
      if (DEFINITIVE_ABSENCE.has(errorCode(error))) return [];
      throw error;
    }
  }

  private async lookupAddresses(name: string): Promise<readonly AddressRecord[]> {
    const outcomes = await Promise.allSettled(
      this.settings.families.map((family) =>
        family === 4
          ? this.dns.resolve4(name, { ttl: true })
          : this.dns.resolve6(name, { ttl: true }),
      ),
    );
    const records: AddressRecord[] = [];
    let absence: unknown;
    for (const outcome of outcomes) {
      if (outcome.status === 'fulfilled') records.push(...outcome.value);
      else if (DEFINITIVE_ABSENCE.has(errorCode(outcome.reason))) absence ??= outcome.reason;
      // A partial answer would shrink the set for no reason other than a lost packet.
      else throw outcome.reason;
    }
    if (records.length === 0) throw absence ?? noRecordsError(`${name} has no address records`);
    return records;
  }

  /** Takes a good answer; returns when to refresh it. */
  private accept(answer: DnsAnswer): number {
    const { minRefreshMs, maxRefreshMs, logger } = this.settings;
    const refreshInMs =
      answer.ttlSeconds === undefined
        ? maxRefreshMs
        : Math.min(maxRefreshMs, Math.max(minRefreshMs, answer.ttlSeconds * 1_000));
    if (this.failingWith !== undefined) {
      logger.info(
        { resolver: this.description, name: this.queriedName, endpoints: answer.endpoints.length },
        `DNS name ${this.queriedName} resolves again`,
      );
    }
    this.failingWith = undefined;
    this.nextRetryMs = minRefreshMs;
    logger.debug(
      { resolver: this.description, endpoints: answer.endpoints.length, refreshInMs },
      `DNS name ${this.queriedName} resolved`,
    );
    const signature = endpointSetSignature(answer.endpoints);
    if (this.endpoints && signature === this.signature) return refreshInMs;
    this.endpoints = answer.endpoints;
    this.signature = signature;
    for (const listener of [...this.listeners]) this.notify(listener, answer.endpoints);
    return refreshInMs;
  }

  /** Logs a failed lookup, once per streak; returns when to retry. */
  private reportFailure(error: unknown): number {
    const { maxRefreshMs, logger } = this.settings;
    const retryInMs = this.nextRetryMs;
    this.nextRetryMs = Math.min(retryInMs * 2, maxRefreshMs);
    const code = errorCode(error);
    const name = this.queriedName;
    const server = this.serverDescription();
    const fields = {
      resolver: this.description,
      name,
      server,
      code,
      retryInMs,
      keptEndpoints: this.endpoints?.length ?? 0,
    };
    if (code === this.failingWith) {
      logger.debug(fields, `DNS lookup of ${name} still failing (${code}), retrying`);
      return retryInMs;
    }
    this.failingWith = code;
    logger.warn(fields, this.failureMessage(name, server, code, retryInMs));
    return retryInMs;
  }

  private failureMessage(name: string, server: string, code: string, retryInMs: number): string {
    const retry = `retrying in ${retryInMs} ms`;
    if (!this.endpoints) {
      return (
        `DNS name ${name} does not resolve via ${server} (${code}), so it has no endpoints yet; ` +
        `check ${checkFor(code, this.settings.query.kind)}; ${retry}`
      );
    }
    const kept = `keeping the last ${this.endpoints.length} endpoint(s)`;
    if (DEFINITIVE_ABSENCE.has(code)) {
      return (
        `DNS server ${server} now says ${name} has no records (${code}); ${kept}, ` +
        `since a flapping DNS server must not empty a working set; ${retry}`
      );
    }
    return `DNS lookup of ${name} via ${server} failed (${code}); ${kept}; ${retry}`;
  }

  private notify(listener: EndpointListener, endpoints: readonly Endpoint[]): void {
    try {
      listener(endpoints);
    } catch (error) {
      this.settings.logger.error(
        { resolver: this.description, err: error },
        'An endpoint listener threw; other listeners still get the update',
      );
    }
  }

  private get queriedName(): string {
    const query = this.settings.query;
    return query.kind === 'address' ? query.host : query.name;
  }

  private serverDescription(): string {
    const servers = this.dns.getServers();
    return servers.length > 0 ? servers.join(', ') : 'the system resolver';
  }
}

/** Finds each service at DNS names built from a template, one cached resolver per service. */
export function dnsDiscovery(options: DnsDiscoveryOptions): Discovery {
  return new DnsDiscovery(options);
}

class DnsDiscovery implements Discovery {
  readonly description: string;
  private readonly resolvers = new Map<string, DnsResolver>();
  private closed = false;

  constructor(private readonly options: DnsDiscoveryOptions) {
    const hasSrvTemplate = options.srvTemplate !== undefined;
    if (hasSrvTemplate === (options.hostTemplate !== undefined)) {
      throw invalidConfig(
        hasSrvTemplate
          ? 'DNS discovery options give both hostTemplate and srvTemplate'
          : 'DNS discovery options give no template',
        'give either hostTemplate and port (A/AAAA records) or srvTemplate (SRV records, which carry the ports)',
      );
    }
    const template = hasSrvTemplate ? options.srvTemplate : options.hostTemplate;
    if (typeof template !== 'string' || !template.includes(SERVICE_PLACEHOLDER)) {
      throw invalidConfig(
        `DNS discovery template ${JSON.stringify(template)} has no ${SERVICE_PLACEHOLDER} placeholder`,
        `give a template such as "${SERVICE_PLACEHOLDER}.shop.svc.cluster.local" (hostTemplate, with port) or "_http._tcp.${SERVICE_PLACEHOLDER}.shop.svc.cluster.local" (srvTemplate)`,
      );
    }
    // Whatever a real service name cannot fix is reported now rather than at the first request.
    validateOptions(this.resolverOptionsFor('service'));
    this.description = hasSrvTemplate
      ? `dns-srv:${options.srvTemplate}`
      : `dns:${options.hostTemplate}:${options.port}`;
  }

  resolverFor(service: string): Resolver {
    if (this.closed) throw new MeshClosedError(service);
    let resolver = this.resolvers.get(service);
    if (!resolver) {
      resolver = new DnsResolver(this.resolverOptionsFor(service));
      this.resolvers.set(service, resolver);
    }
    return resolver;
  }

  async close(): Promise<void> {
    this.closed = true;
    const resolvers = [...this.resolvers.values()];
    this.resolvers.clear();
    await Promise.all(resolvers.map((resolver) => resolver.close()));
  }

  private resolverOptionsFor(service: string): DnsResolverOptions {
    const { hostTemplate, srvTemplate, port, ...lookup } = this.options;
    return srvTemplate !== undefined
      ? { ...lookup, srv: srvTemplate.replaceAll(SERVICE_PLACEHOLDER, service) }
      : {
          ...lookup,
          host: (hostTemplate ?? '').replaceAll(SERVICE_PLACEHOLDER, service),
          port: port as number,
        };
  }
}

function validateOptions(options: DnsResolverOptions): DnsSettings {
  const hasHost = options.host !== undefined;
  const hasSrv = options.srv !== undefined;
  if (hasHost === hasSrv) {
    throw invalidConfig(
      hasHost ? 'DNS resolver options give both host and srv' : 'DNS resolver options give no name',
      'give either host and port (A/AAAA records) or srv (SRV records, which carry the ports)',
    );
  }
  const minRefreshMs = options.minRefreshMs ?? DEFAULT_MIN_REFRESH_MS;
  const maxRefreshMs = options.maxRefreshMs ?? DEFAULT_MAX_REFRESH_MS;
  const queryTimeoutMs = options.queryTimeoutMs ?? DEFAULT_QUERY_TIMEOUT_MS;
  checkPositiveDuration('minRefreshMs', minRefreshMs);
  checkPositiveDuration('maxRefreshMs', maxRefreshMs);
  checkPositiveDuration('queryTimeoutMs', queryTimeoutMs);
  if (minRefreshMs > maxRefreshMs) {
    throw invalidConfig(
      `DNS minRefreshMs (${minRefreshMs}) is greater than maxRefreshMs (${maxRefreshMs})`,
      'make minRefreshMs at most maxRefreshMs: TTLs are clamped into [minRefreshMs, maxRefreshMs]',
    );
  }
  return {
    query: hasSrv ? { kind: 'srv', name: checkName(options.srv) } : checkAddressQuery(options),
    families: checkFamily(options.family ?? 4),
    servers: options.servers === undefined ? undefined : checkServers(options.servers),
    minRefreshMs,
    maxRefreshMs,
    queryTimeoutMs,
    logger: options.logger ?? stderrLogger,
  };
}

function checkAddressQuery(options: DnsResolverOptions): DnsQuery {
  const host = checkName(options.host);
  const port = options.port;
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw invalidConfig(
      `DNS resolver port ${String(port)} for ${host} is not a port number`,
      'give the port the service listens on, an integer from 1 to 65535; use srv to take ports from SRV records',
    );
  }
  return { kind: 'address', host, port };
}

function checkName(name: unknown): string {
  if (typeof name !== 'string' || name.length === 0) {
    throw invalidConfig(
      'DNS name is empty',
      'give the DNS name of the service, e.g. "catalog.shop.svc.cluster.local"',
    );
  }
  if (isIP(name) !== 0) {
    throw invalidConfig(
      `DNS name ${name} is an IP address`,
      'an address needs no DNS: list it as a static endpoint instead',
    );
  }
  const bare = name.endsWith('.') ? name.slice(0, -1) : name;
  if (bare.length > 253 || !bare.split('.').every((label) => HOST_LABEL.test(label))) {
    throw invalidConfig(
      `DNS name ${JSON.stringify(name)} is not a valid host name`,
      'use dot-separated labels of 1 to 63 letters, digits, "-" or "_", at most 253 characters in all',
    );
  }
  return name;
}

function checkFamily(family: unknown): readonly (4 | 6)[] {
  if (family === 4 || family === 6) return [family];
  if (family === 'both') return [4, 6];
  throw invalidConfig(
    `DNS family ${JSON.stringify(family)} is not one of 4, 6 or "both"`,
    'use 4 for A records, 6 for AAAA records, or "both" for the union of the two',
  );
}

function checkServers(servers: readonly unknown[]): readonly string[] {
  if (!Array.isArray(servers) || servers.length === 0) {
    throw invalidConfig(
      'DNS servers list is empty',
      'list servers as "ip" or "ip:port", or leave servers out to use the system resolver',
    );
  }
  for (const server of servers) {
    if (!isServerAddress(server)) {
      throw invalidConfig(
        `DNS server ${JSON.stringify(server)} is not an "ip" or "ip:port"`,
        'give servers by address, e.g. "10.96.0.10", "127.0.0.1:5353" or "[fd00::10]:53"; host names cannot be used to find the DNS server itself',
      );
    }
  }
  return servers as readonly string[];
}

function isServerAddress(server: unknown): boolean {
  if (typeof server !== 'string') return false;
  if (isIP(server) !== 0) return true;
  const withPort = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(server);
  if (withPort) {
    const [, ipv6, ipv4, port] = withPort;
    const validHost = ipv6 !== undefined ? isIP(ipv6) === 6 : isIP(ipv4 ?? '') === 4;
    return validHost && Number(port) >= 1 && Number(port) <= 65535;
  }
  const bracketed = /^\[([^\]]+)\]$/.exec(server);
  return bracketed !== null && isIP(bracketed[1] ?? '') === 6;
}

function checkPositiveDuration(option: string, value: unknown): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw invalidConfig(
      `DNS ${option} ${String(value)} is not a positive number of milliseconds`,
      `give ${option} in milliseconds, greater than 0`,
    );
  }
}

function invalidConfig(message: string, advice: string): MeshConfigError {
  return new MeshConfigError(INVALID_DNS_CONFIG, message, { advice });
}

function checkFor(code: string, kind: DnsQuery['kind']): string {
  switch (code) {
    case 'ENOTFOUND':
      return 'the spelling and namespace of the name, and that the service exists';
    case 'ENODATA':
      return kind === 'srv'
        ? 'that the SRV name (e.g. _http._tcp.<service>) matches a named port of the service, and that its targets have address records'
        : 'that the name has records of the family asked for (family 4, 6 or "both")';
    default:
      return 'that the DNS server is reachable and answering, and the servers option';
  }
}

function smallestTtl(records: readonly AddressRecord[]): number | undefined {
  return records.length > 0 ? Math.min(...records.map((record) => record.ttl)) : undefined;
}

function endpointSetSignature(endpoints: readonly Endpoint[]): string {
  return endpoints
    .map((endpoint) => `${endpointKey(endpoint)}/${endpoint.weight ?? 1}`)
    .sort()
    .join(',');
}

function errorCode(error: unknown): string {
  const code = (error as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string') return code;
  return error instanceof Error ? error.name : 'UNKNOWN';
}

function noRecordsError(message: string): Error {
  return Object.assign(new Error(message), { code: 'ENODATA' });
}
