import { describe, expect, it } from 'vitest';
import { MeshConfigError } from '../errors.js';
import { envDiscovery, parseEndpointList, staticDiscovery, upstreamEnvVariable } from './static.js';
import type { Endpoint } from '../endpoint.js';

function resolveOnce(
  discovery: ReturnType<typeof envDiscovery>,
  service: string,
): readonly Endpoint[] | undefined {
  const resolver = discovery.resolverFor(service);
  if (!resolver) return undefined;
  let seen: readonly Endpoint[] | undefined;
  resolver.subscribe((endpoints) => (seen = endpoints));
  return seen;
}

describe('parseEndpointList', () => {
  it('reads IPv4, IPv6 and host names with weights, zones, draining and labels', () => {
    expect(
      parseEndpointList(
        '10.0.0.1:8080, [::1]:9000;zone=b;weight=2, catalog-0.shop:80;version=v2;draining',
      ),
    ).toEqual([
      { address: '10.0.0.1', port: 8080 },
      { address: '::1', port: 9000, zone: 'b', weight: 2 },
      { address: 'catalog-0.shop', port: 80, draining: true, metadata: { version: 'v2' } },
    ]);
  });

  it.each([
    ['an empty list', ' , ', /is empty/],
    ['a missing port', '10.0.0.1', /entry 1 \("10.0.0.1"\) .* is not address:port/],
    ['port 0', '10.0.0.1:0', /port 0, outside 1..65535/],
    ['port 70000', '10.0.0.1:70000', /port 70000, outside/],
    ['a bracketed non-IPv6', '[10.0.0.1]:80', /not an IPv6 address/],
    ['a bad host name', 'bad_host!:80', /neither an IP address nor a host name/],
    ['a bare attribute', '10.0.0.1:80;zone', /expected key=value/],
    ['a negative weight', '10.0.0.1:80;weight=-1', /weight "-1"/],
    ['a second bad entry', '10.0.0.1:80,10.0.0.2', /entry 2/],
  ])(
    'rejects %s with ERR_INVALID_ENDPOINT_LIST and the expected format',
    (_label, text, message) => {
      const parse = (): unknown => parseEndpointList(text, 'TRELLIS_UPSTREAM_CATALOG');
      expect(parse).toThrow(MeshConfigError);
      expect(parse).toThrow(message);
      expect(parse).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ENDPOINT_LIST' }));
      expect(parse).toThrow(/write TRELLIS_UPSTREAM_CATALOG as address:port/);
    },
  );
});

describe('envDiscovery', () => {
  it('maps a service to its TRELLIS_UPSTREAM_ variable', () => {
    expect(upstreamEnvVariable('catalog')).toBe('TRELLIS_UPSTREAM_CATALOG');
    expect(upstreamEnvVariable('order-history')).toBe('TRELLIS_UPSTREAM_ORDER_HISTORY');
    const discovery = envDiscovery({ TRELLIS_UPSTREAM_CATALOG: '127.0.0.1:1,127.0.0.1:2' });
    expect(resolveOnce(discovery, 'catalog')).toEqual([
      { address: '127.0.0.1', port: 1 },
      { address: '127.0.0.1', port: 2 },
    ]);
    expect(discovery.resolverFor('cart')).toBeUndefined();
  });

  it('names the variable when its value is malformed', () => {
    const discovery = envDiscovery({ TRELLIS_UPSTREAM_CATALOG: 'nonsense' });
    expect(() => discovery.resolverFor('catalog')).toThrow(/TRELLIS_UPSTREAM_CATALOG/);
  });
});

describe('staticDiscovery', () => {
  it('serves fixed lists given as text or objects', () => {
    const discovery = staticDiscovery({
      catalog: '127.0.0.1:7000',
      cart: [{ address: '127.0.0.1', port: 7001 }],
    });
    expect(resolveOnce(discovery, 'catalog')).toEqual([{ address: '127.0.0.1', port: 7000 }]);
    expect(resolveOnce(discovery, 'cart')).toEqual([{ address: '127.0.0.1', port: 7001 }]);
    expect(discovery.resolverFor('payments')).toBeUndefined();
  });
});
