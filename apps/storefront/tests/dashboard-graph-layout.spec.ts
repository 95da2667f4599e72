import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

interface Point {
  x: number;
  y: number;
}
interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}
interface Route {
  kind: 'forward' | 'stacked' | 'arc' | 'lane';
  start: Point;
  c1: Point;
  c2: Point;
  end: Point;
}
interface GraphEdge {
  caller: string;
  upstream: string;
}
interface GraphService {
  service: string;
  depth: number;
}
interface Layout {
  nodes: Map<string, Box & { depth: number; row: number }>;
  edges: { edge: GraphEdge; route: Route; path: string; label: Box }[];
  bounds: Box;
}
/** The browser module, plain JavaScript served as is: its shape, as this file uses it. */
interface GraphLayoutModule {
  layoutGraph(
    services: GraphService[],
    edges: GraphEdge[],
    labelSize: (edge: GraphEdge) => { width: number; height: number },
  ): Layout;
  pointOn(route: Route, t: number): Point;
  overlaps(one: Box, other: Box, gap?: number): boolean;
}

let graph: GraphLayoutModule;
beforeAll(async () => {
  // A path held in a variable: the module has no type declarations, the interface above is its.
  const modulePath = join(__dirname, '..', 'public', 'dashboard', 'graph-layout.js');
  graph = (await import(modulePath)) as GraphLayoutModule;
});

const SHOP_SERVICES: GraphService[] = [
  { service: 'loadgen', depth: 0 },
  { service: 'storefront', depth: 1 },
  { service: 'catalog', depth: 2 },
  { service: 'cart', depth: 2 },
  { service: 'checkout', depth: 2 },
  { service: 'payments', depth: 3 },
  { service: 'shipping', depth: 3 },
];
const SHOP_EDGES: GraphEdge[] = [
  ['checkout', 'cart'],
  ['checkout', 'catalog'],
  ['checkout', 'payments'],
  ['checkout', 'shipping'],
  ['loadgen', 'storefront'],
  ['storefront', 'cart'],
  ['storefront', 'catalog'],
  ['storefront', 'checkout'],
].map(([caller, upstream]) => ({ caller: caller!, upstream: upstream! }));

/** A label as wide as `2,655/s · 12%` over `1235/5679 ms`, about the widest the page draws. */
const WIDE_LABEL = () => ({ width: 104, height: 34 });
const SHORT_LABEL = () => ({ width: 72, height: 34 });

function nameOf(edge: GraphEdge): string {
  return `${edge.caller}->${edge.upstream}`;
}

function labelCollisions(layout: Layout): string[] {
  const collisions: string[] = [];
  layout.edges.forEach((one, i) => {
    for (const other of layout.edges.slice(i + 1)) {
      if (graph.overlaps(one.label, other.label)) {
        collisions.push(`${nameOf(one.edge)} / ${nameOf(other.edge)}`);
      }
    }
  });
  return collisions;
}

function labelsOverBoxes(layout: Layout): string[] {
  return layout.edges.flatMap(({ edge, label }) =>
    [...layout.nodes]
      .filter(([, box]) => graph.overlaps(label, box))
      .map(([service]) => `${nameOf(edge)} over ${service}`),
  );
}

function samples(route: Route, from = 0, to = 1, steps = 200): Point[] {
  return Array.from({ length: steps + 1 }, (_, step) =>
    graph.pointOn(route, from + ((to - from) * step) / steps),
  );
}

function inside(point: Point, box: Box, margin = 0): boolean {
  return (
    point.x > box.x - margin &&
    point.x < box.x + box.width + margin &&
    point.y > box.y - margin &&
    point.y < box.y + box.height + margin
  );
}

describe('the service graph layout', () => {
  it('gives each of the shop edges a label of its own: none covers another or a box', () => {
    for (const labelSize of [SHORT_LABEL, WIDE_LABEL]) {
      const layout = graph.layoutGraph(SHOP_SERVICES, SHOP_EDGES, labelSize);
      expect(layout.edges.map(({ edge }) => nameOf(edge))).toEqual(SHOP_EDGES.map(nameOf));
      expect(labelCollisions(layout)).toEqual([]);
      expect(labelsOverBoxes(layout)).toEqual([]);
    }
  });

  it('puts every label on its own curve, at the midpoint when nothing is in the way', () => {
    const layout = graph.layoutGraph(SHOP_SERVICES, SHOP_EDGES, SHORT_LABEL);
    for (const { edge, route, label } of layout.edges) {
      const onCurve = samples(route).some((point) => inside(point, label, 10));
      expect(onCurve, nameOf(edge)).toBe(true);
    }
    // The four calls out of checkout, labelled in one spot each before, now far apart.
    const fromCheckout = layout.edges.filter(({ edge }) => edge.caller === 'checkout');
    expect(fromCheckout).toHaveLength(4);
    fromCheckout.forEach((one, i) => {
      for (const other of fromCheckout.slice(i + 1)) {
        expect(graph.overlaps(one.label, other.label, 8), nameOf(other.edge)).toBe(false);
      }
    });
  });

  it('puts checkout between cart and catalog, so its calls to them are short straight arrows', () => {
    const layout = graph.layoutGraph(SHOP_SERVICES, SHOP_EDGES, SHORT_LABEL);
    const column = ['cart', 'catalog', 'checkout']
      .map((service) => ({ service, row: layout.nodes.get(service)!.row }))
      .sort((a, b) => a.row - b.row)
      .map((node) => node.service);
    expect(column).toEqual(['cart', 'checkout', 'catalog']);
    for (const upstream of ['cart', 'catalog']) {
      const { route } = layout.edges.find(
        ({ edge }) => edge.caller === 'checkout' && edge.upstream === upstream,
      )!;
      expect(route.kind).toBe('stacked');
      expect(route.start.x).toBe(route.end.x);
    }
  });

  it('runs no edge through a box other than its own two ends', () => {
    const layout = graph.layoutGraph(SHOP_SERVICES, SHOP_EDGES, SHORT_LABEL);
    for (const { edge, route } of layout.edges) {
      const others = [...layout.nodes].filter(
        ([service]) => service !== edge.caller && service !== edge.upstream,
      );
      for (const point of samples(route)) {
        const crossed = others.filter(([, box]) => inside(point, box));
        expect(
          crossed.map(([service]) => service),
          nameOf(edge),
        ).toEqual([]);
      }
    }
  });

  it('routes calls between boxes of one column that are not neighbours as distinct arcs', () => {
    // hub can be the neighbour of two of the three it calls: the third takes an arc, and so do
    // the calls back up between neighbours that already have an arrow down.
    const services = ['root', 'hub', 'one', 'two', 'three'].map((service, index) => ({
      service,
      depth: index === 0 ? 0 : 1,
    }));
    const edges = [
      ['root', 'hub'],
      ['root', 'one'],
      ['root', 'two'],
      ['root', 'three'],
      ['hub', 'one'],
      ['hub', 'two'],
      ['hub', 'three'],
      ['one', 'hub'],
      ['two', 'hub'],
    ].map(([caller, upstream]) => ({ caller: caller!, upstream: upstream! }));
    const layout = graph.layoutGraph(services, edges, WIDE_LABEL);
    const arcs = layout.edges.filter(({ route }) => route.kind === 'arc');
    expect(arcs.length).toBeGreaterThanOrEqual(2);
    const reaches = arcs.map(({ route }) => Math.max(...samples(route).map((p) => p.x)));
    expect(new Set(reaches.map(Math.round)).size).toBe(arcs.length);
    expect(new Set(layout.edges.map(({ path }) => path)).size).toBe(edges.length);
    expect(labelCollisions(layout)).toEqual([]);
    // Everything drawn fits in the bounds the picture is given.
    for (const { route, label } of layout.edges) {
      for (const point of samples(route, 0, 1, 20))
        expect(inside(point, layout.bounds, 1)).toBe(true);
      expect(inside({ x: label.x, y: label.y }, layout.bounds, 1)).toBe(true);
    }
  });

  it('never lets two labels overlap, whatever the graph', () => {
    // A fixed seed: the same hundred graphs every run.
    let seed = 7;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed / 2_147_483_648;
    };
    for (let round = 0; round < 100; round += 1) {
      const count = 2 + Math.floor(random() * 9);
      const services = Array.from({ length: count }, (_, index) => ({
        service: `s${index}`,
        depth: Math.floor(random() * 4),
      }));
      const edges: GraphEdge[] = [];
      for (const caller of services) {
        for (const upstream of services) {
          if (random() < 0.3) edges.push({ caller: caller.service, upstream: upstream.service });
        }
      }
      const layout = graph.layoutGraph(services, edges, () => ({
        width: 60 + Math.floor(random() * 50),
        height: 34,
      }));
      expect(labelCollisions(layout), JSON.stringify({ services, edges })).toEqual([]);
    }
  });

  it('leaves out edges to services it has no box for, and draws an empty graph', () => {
    const layout = graph.layoutGraph(
      [{ service: 'storefront', depth: 0 }],
      [{ caller: 'storefront', upstream: 'gone' }],
      SHORT_LABEL,
    );
    expect(layout.edges).toEqual([]);
    expect(graph.layoutGraph([], [], SHORT_LABEL).bounds.width).toBeGreaterThan(0);
  });
});
