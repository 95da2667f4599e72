import type { EdgeView, InstanceView, ServiceNode } from './dashboard-view.js';

/**
 * The graph's nodes: every configured service and every one an edge names, each in the column of
 * its shortest call path from an entry point (a service nobody calls), so the shop reads
 * loadgen -> storefront -> checkout/cart/catalog -> shipping/payments.
 */
export function computeServiceNodes(
  services: readonly string[],
  edges: readonly EdgeView[],
  instances: readonly InstanceView[],
): ServiceNode[] {
  const names = new Set([...services, ...edges.flatMap((edge) => [edge.caller, edge.upstream])]);
  const depths = callDepths([...names], edges);
  return [...names].map((service) => {
    const own = instances.filter((instance) => instance.service === service);
    return {
      service,
      depth: depths.get(service) ?? 0,
      replicas: own.length,
      up: own.filter((instance) => instance.reachable && instance.ready).length,
      unreachable: own.filter((instance) => !instance.reachable).length,
    };
  });
}

function callDepths(names: readonly string[], edges: readonly EdgeView[]): Map<string, number> {
  const called = new Set(edges.filter((e) => e.caller !== e.upstream).map((e) => e.upstream));
  const depths = new Map<string, number>();
  let frontier = names.filter((name) => !called.has(name));
  for (const name of frontier) depths.set(name, 0);
  for (let depth = 1; frontier.length > 0; depth += 1) {
    const next: string[] = [];
    for (const edge of edges) {
      if (frontier.includes(edge.caller) && !depths.has(edge.upstream)) {
        depths.set(edge.upstream, depth);
        next.push(edge.upstream);
      }
    }
    frontier = next;
  }
  return depths;
}
