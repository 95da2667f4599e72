import { isIP } from 'node:net';
import type { Endpoint } from '../endpoint.js';
import { MeshConfigError } from '../errors.js';
import type { Discovery, EndpointListener, Resolver } from './resolver.js';

const HOSTNAME =
  /^(?=.{1,253}$)([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)(\.[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$/;
const ENDPOINT_FORMAT =
  'address:port[;weight=N][;zone=Z][;draining][;label=value...], separated by commas';

/** A fixed endpoint set; it never changes, so it never fails. */
export class StaticResolver implements Resolver {
  readonly description: string;
  readonly #endpoints: readonly Endpoint[];

  constructor(endpoints: readonly Endpoint[], description = 'static') {
    this.#endpoints = Object.freeze([...endpoints]);
    this.description = description;
  }

  subscribe(listener: EndpointListener): () => void {
    listener(this.#endpoints);
    return () => undefined;
  }

  async close(): Promise<void> {}
}

/**
 * Parses an endpoint list such as `10.0.0.1:8080,10.0.0.2:8080;zone=b;version=v2,[::1]:9000`.
 * Throws MeshConfigError naming the bad entry, so a typo fails at startup, not at the first call.
 */
export function parseEndpointList(text: string, source = 'endpoint list'): Endpoint[] {
  const entries = text
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry.length > 0);
  if (entries.length === 0) {
    throw invalidList(source, `${source} is empty`);
  }
  return entries.map((entry, index) => parseEntry(entry, index, source));
}

function parseEntry(entry: string, index: number, source: string): Endpoint {
  const [hostPort = '', ...attributes] = entry.split(';').map((part) => part.trim());
  const where = `entry ${index + 1} ("${entry}") of ${source}`;
  const match = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(hostPort);
  if (!match) {
    throw invalidList(source, `${where} is not address:port`);
  }
  const address = match[1] ?? match[2] ?? '';
  if (match[1] !== undefined && isIP(address) !== 6) {
    throw invalidList(
      source,
      `${where} has "${address}" in brackets, which is not an IPv6 address`,
    );
  }
  if (match[1] === undefined && isIP(address) === 0 && !HOSTNAME.test(address)) {
    throw invalidList(
      source,
      `${where} has "${address}", which is neither an IP address nor a host name`,
    );
  }
  const port = Number(match[3]);
  if (port < 1 || port > 65535) {
    throw invalidList(source, `${where} has port ${port}, outside 1..65535`);
  }
  let weight: number | undefined;
  let zone: string | undefined;
  let draining = false;
  const metadata: Record<string, string> = {};
  for (const attribute of attributes) {
    const [key = '', value] = attribute.split('=', 2).map((part) => part.trim());
    if (key === 'draining' && value === undefined) {
      draining = true;
    } else if (value === undefined || key === '' || value === '') {
      throw invalidList(source, `${where} has "${attribute}", expected key=value`);
    } else if (key === 'weight') {
      weight = Number(value);
      if (!Number.isFinite(weight) || weight < 0) {
        throw invalidList(source, `${where} has weight "${value}", expected a number >= 0`);
      }
    } else if (key === 'zone') {
      zone = value;
    } else {
      metadata[key] = value;
    }
  }
  return {
    address,
    port,
    ...(weight !== undefined ? { weight } : {}),
    ...(zone !== undefined ? { zone } : {}),
    ...(draining ? { draining } : {}),
    ...(Object.keys(metadata).length > 0 ? { metadata } : {}),
  };
}

function invalidList(source: string, message: string): MeshConfigError {
  return new MeshConfigError('ERR_INVALID_ENDPOINT_LIST', message, {
    advice: `write ${source} as ${ENDPOINT_FORMAT}`,
  });
}

/** The variable that lists a service's endpoints: `catalog` -> `TRELLIS_UPSTREAM_CATALOG`. */
export function upstreamEnvVariable(service: string): string {
  return `TRELLIS_UPSTREAM_${service.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
}

/** Discovery from environment variables (`TRELLIS_UPSTREAM_<SERVICE>=host:port,...`), 12-factor style. */
export function envDiscovery(env: NodeJS.ProcessEnv = process.env): Discovery {
  return {
    description: 'env',
    resolverFor(service) {
      const variable = upstreamEnvVariable(service);
      const value = env[variable];
      if (value === undefined) return undefined;
      return new StaticResolver(parseEndpointList(value, variable), `env:${variable}`);
    },
  };
}

/** Discovery from a fixed map of service -> endpoints (objects or `host:port,...` text). */
export function staticDiscovery(services: Record<string, string | readonly Endpoint[]>): Discovery {
  const resolvers = new Map<string, StaticResolver>();
  for (const [service, endpoints] of Object.entries(services)) {
    const list =
      typeof endpoints === 'string'
        ? parseEndpointList(endpoints, `endpoints of "${service}"`)
        : endpoints;
    resolvers.set(service, new StaticResolver(list, `static:${service}`));
  }
  return { description: 'static', resolverFor: (service) => resolvers.get(service) };
}
