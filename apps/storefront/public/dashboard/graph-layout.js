/**
 * Where the service graph's boxes, arrows and labels go: plain geometry, no DOM. Every edge gets
 * a route of its own and every label a spot on its own curve that no other label or box covers.
 */

export const NODE_WIDTH = 140;
export const NODE_HEIGHT = 52;
const COLUMN = 264;
const ROW = 112;
const MARGIN = 16;
/** The gap an arrowhead leaves before the box it points at. */
const ARROW_GAP = 2;
/** How far apart the ends of the arrows leaving (or entering) one side of a box are. */
const PORT_STEP = 8;
/** A same-column arc swings this far out right of its column, each further one ARC_STEP more. */
const ARC_REACH = 48;
const ARC_STEP = 34;
/** Edges to an earlier column run in lanes this far apart under the graph. */
const LANE_STEP = 46;
/** A straight arrow between stacked boxes runs this far from their left side. */
const STACKED_INSET = 26;
/** Room kept around a label. */
const LABEL_GAP = 4;
/** Where on its curve a label may sit, best first: the midpoint, then ever further from it. */
const LABEL_STOPS = [0.5, 0.42, 0.58, 0.34, 0.66, 0.26, 0.74, 0.18, 0.82];
/** Columns up to this many boxes try every order; taller ones sort by their callers' rows. */
const MAX_PERMUTED = 7;
const MAX_SEPARATION_ROUNDS = 200;

/**
 * Lays out services (`{ service, depth }`) in columns by depth and the edges (`{ caller, upstream }`)
 * between them; `labelSize(edge)` answers `{ width, height }` of an edge's label.
 * Answers `{ nodes: Map(service -> box), edges: [{ edge, route, path, label }], bounds }`, where a
 * box is `{ x, y, width, height }`, a route a cubic curve `{ kind, start, c1, c2, end }`.
 */
export function layoutGraph(services, edges, labelSize) {
  const nodes = placeNodes(services, edges);
  const drawn = edges.filter((edge) => nodes.has(edge.caller) && nodes.has(edge.upstream));
  const routes = routeEdges(drawn, nodes);
  const labels = placeLabels(routes, nodes, labelSize);
  const laidOut = routes.map((route, index) => ({
    edge: route.edge,
    route,
    path: pathOf(route),
    label: labels[index],
  }));
  return { nodes, edges: laidOut, bounds: boundsOf(nodes, laidOut) };
}

/** An SVG path for a route. */
function pathOf({ start, c1, c2, end }) {
  const point = (p) => `${round(p.x)} ${round(p.y)}`;
  return `M ${point(start)} C ${point(c1)}, ${point(c2)}, ${point(end)}`;
}

/** The point at `t` (0..1) along a route. */
export function pointOn({ start, c1, c2, end }, t) {
  const u = 1 - t;
  const a = u * u * u;
  const b = 3 * u * u * t;
  const c = 3 * u * t * t;
  const d = t * t * t;
  return {
    x: a * start.x + b * c1.x + c * c2.x + d * end.x,
    y: a * start.y + b * c1.y + c * c2.y + d * end.y,
  };
}

/** Whether two boxes share any area, with `gap` of room required between them. */
export function overlaps(one, other, gap = 0) {
  return (
    one.x < other.x + other.width + gap &&
    other.x < one.x + one.width + gap &&
    one.y < other.y + other.height + gap &&
    other.y < one.y + one.height + gap
  );
}

function round(value) {
  return Math.round(value * 10) / 10;
}

function placeNodes(services, edges) {
  const columns = new Map();
  for (const node of services) {
    if (!columns.has(node.depth)) columns.set(node.depth, []);
    columns.get(node.depth).push(node.service);
  }
  const depths = [...columns.keys()].sort((a, b) => a - b);
  const tallest = Math.max(1, ...[...columns.values()].map((names) => names.length));
  const rows = new Map();
  const nodes = new Map();
  // Left to right, so each column can be ordered against the rows of its callers.
  for (const depth of depths) {
    const names = orderColumn(columns.get(depth), edges, rows);
    const offset = (tallest - names.length) / 2;
    names.forEach((name, index) => {
      const row = offset + index;
      rows.set(name, row);
      nodes.set(name, {
        x: depth * COLUMN,
        y: row * ROW,
        width: NODE_WIDTH,
        height: NODE_HEIGHT,
        depth,
        row,
      });
    });
  }
  return nodes;
}

/**
 * The order of one column's boxes, top to bottom: calls inside the column between neighbours (a
 * short straight arrow, not an arc around the boxes between), then as few crossings with the
 * calls from the columns on the left as can be; ties keep the names' order.
 */
function orderColumn(names, edges, placedRows) {
  const sorted = [...names].sort();
  const inColumn = new Set(sorted);
  const sideways = edges.filter(
    (edge) =>
      edge.caller !== edge.upstream && inColumn.has(edge.caller) && inColumn.has(edge.upstream),
  );
  const incoming = edges.filter(
    (edge) => inColumn.has(edge.upstream) && placedRows.has(edge.caller),
  );
  if (sorted.length > MAX_PERMUTED) {
    const meanCallerRow = (name) => {
      const rows = incoming.filter((e) => e.upstream === name).map((e) => placedRows.get(e.caller));
      return rows.length === 0 ? Infinity : rows.reduce((sum, row) => sum + row, 0) / rows.length;
    };
    return sorted
      .map((name) => ({ name, row: meanCallerRow(name) }))
      .sort((a, b) => a.row - b.row || (a.name < b.name ? -1 : 1))
      .map((entry) => entry.name);
  }
  const cost = (order) => {
    const index = new Map(order.map((name, position) => [name, position]));
    let total = 0;
    for (const edge of sideways) {
      // Every box in between makes the call an arc around it: worse than any crossing.
      total += 100 * (Math.abs(index.get(edge.caller) - index.get(edge.upstream)) - 1);
    }
    for (let i = 0; i < incoming.length; i += 1) {
      for (let j = i + 1; j < incoming.length; j += 1) {
        const callers = placedRows.get(incoming[i].caller) - placedRows.get(incoming[j].caller);
        const upstreams = index.get(incoming[i].upstream) - index.get(incoming[j].upstream);
        if (callers * upstreams < 0) total += 1;
      }
    }
    return total;
  };
  let best = sorted;
  let bestCost = cost(sorted);
  for (const order of permutations(sorted)) {
    if (bestCost === 0) break;
    const orderCost = cost(order);
    if (orderCost < bestCost) {
      best = order;
      bestCost = orderCost;
    }
  }
  return best;
}

/** Every order of `items`, in lexicographic order when they come sorted. */
function* permutations(items) {
  if (items.length <= 1) {
    yield items;
    return;
  }
  for (let i = 0; i < items.length; i += 1) {
    const rest = [...items.slice(0, i), ...items.slice(i + 1)];
    for (const tail of permutations(rest)) yield [items[i], ...tail];
  }
}

function routeEdges(edges, nodes) {
  const kinds = edges.map((edge) => kindOf(nodes.get(edge.caller), nodes.get(edge.upstream)));
  // Neighbours calling each other: one straight arrow down between them, the call up an arc.
  edges.forEach((edge, index) => {
    if (kinds[index] !== 'stacked') return;
    const down = nodes.get(edge.upstream).row > nodes.get(edge.caller).row;
    const answered = edges.some((e) => e.caller === edge.upstream && e.upstream === edge.caller);
    if (!down && answered) kinds[index] = 'arc';
  });
  const ports = forwardPorts(edges, kinds, nodes);
  const arcReach = arcReaches(edges, kinds, nodes);
  const lanes = laneDepths(edges, kinds, nodes);
  const bottom = Math.max(...[...nodes.values()].map((node) => node.y + node.height));
  return edges.map((edge, index) => {
    const from = nodes.get(edge.caller);
    const to = nodes.get(edge.upstream);
    const kind = kinds[index];
    if (kind === 'forward') return { edge, kind, ...forwardCurve(from, to, ports.get(edge)) };
    if (kind === 'stacked') return { edge, kind, ...stackedLine(from, to) };
    if (kind === 'arc') return { edge, kind, ...arcCurve(from, to, arcReach.get(edge)) };
    return { edge, kind, ...laneCurve(from, to, bottom + LANE_STEP * (lanes.get(edge) + 1)) };
  });
}

function kindOf(from, to) {
  if (to.depth > from.depth) return 'forward';
  if (to.depth < from.depth) return 'lane';
  return Math.abs(to.row - from.row) === 1 ? 'stacked' : 'arc';
}

/**
 * Where each call to a later column leaves its caller's right side and enters its upstream's
 * left side: spread apart in the order of the other ends, so arrows fan out instead of sharing
 * one point.
 */
function forwardPorts(edges, kinds, nodes) {
  const ports = new Map(edges.map((edge) => [edge, { out: 0, in: 0 }]));
  const forward = edges.filter((_, index) => kinds[index] === 'forward');
  const spread = (group, side, otherEnd) => {
    const ordered = [...group].sort((a, b) => nodes.get(otherEnd(a)).y - nodes.get(otherEnd(b)).y);
    ordered.forEach((edge, index) => {
      ports.get(edge)[side] = (index - (ordered.length - 1) / 2) * PORT_STEP;
    });
  };
  for (const group of groupBy(forward, (edge) => edge.caller).values()) {
    spread(group, 'out', (edge) => edge.upstream);
  }
  for (const group of groupBy(forward, (edge) => edge.upstream).values()) {
    spread(group, 'in', (edge) => edge.caller);
  }
  return ports;
}

/** Arcs in one column nest: the shortest hugs the column, each longer one swings further out. */
function arcReaches(edges, kinds, nodes) {
  const reaches = new Map();
  const arcs = edges.filter((_, index) => kinds[index] === 'arc');
  const span = (edge) => Math.abs(nodes.get(edge.caller).y - nodes.get(edge.upstream).y);
  for (const group of groupBy(arcs, (edge) => nodes.get(edge.caller).depth).values()) {
    [...group]
      .sort((a, b) => span(a) - span(b))
      .forEach((edge, index) => reaches.set(edge, ARC_REACH + index * ARC_STEP));
  }
  return reaches;
}

/** Each call to an earlier column gets a lane of its own under the graph, short ones nearest. */
function laneDepths(edges, kinds, nodes) {
  const lanes = new Map();
  const span = (edge) => Math.abs(nodes.get(edge.caller).x - nodes.get(edge.upstream).x);
  edges
    .filter((_, index) => kinds[index] === 'lane')
    .sort((a, b) => span(a) - span(b))
    .forEach((edge, index) => lanes.set(edge, index));
  return lanes;
}

function groupBy(items, keyOf) {
  const groups = new Map();
  for (const item of items) {
    const key = keyOf(item);
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push(item);
  }
  return groups;
}

function forwardCurve(from, to, port) {
  const start = { x: from.x + from.width, y: from.y + from.height / 2 + port.out };
  const end = { x: to.x - ARROW_GAP, y: to.y + to.height / 2 + port.in };
  const bend = (end.x - start.x) / 2;
  return {
    start,
    c1: { x: start.x + bend, y: start.y },
    c2: { x: end.x - bend, y: end.y },
    end,
  };
}

/** Neighbours in one column: a short straight arrow between the boxes, its label beside it. */
function stackedLine(from, to) {
  const down = to.row > from.row;
  const x = from.x + STACKED_INSET;
  const start = { x, y: down ? from.y + from.height : from.y };
  const end = { x, y: down ? to.y - ARROW_GAP : to.y + to.height + ARROW_GAP };
  return {
    start,
    c1: { x, y: start.y + (end.y - start.y) / 3 },
    c2: { x, y: start.y + ((end.y - start.y) * 2) / 3 },
    end,
    labelBeside: true,
  };
}

/** Further apart in one column: out of the caller's right side and around into the upstream's. */
function arcCurve(from, to, reach) {
  const self = from === to;
  const start = { x: from.x + from.width, y: from.y + from.height / 2 - (self ? 10 : 0) };
  const end = { x: to.x + to.width + ARROW_GAP, y: to.y + to.height / 2 + (self ? 10 : 0) };
  // A cubic's midpoint gets 3/4 of the way to its control points.
  const pull = (reach * 4) / 3;
  return {
    start,
    c1: { x: start.x + pull, y: start.y },
    c2: { x: end.x + pull, y: end.y },
    end,
  };
}

/** Back to an earlier column: down out of the caller, along a lane under the graph, up into it. */
function laneCurve(from, to, laneY) {
  const start = { x: from.x + from.width / 2 + 8, y: from.y + from.height };
  const end = { x: to.x + to.width / 2 - 8, y: to.y + to.height + ARROW_GAP };
  // Control points placed so that the curve's midpoint runs along the lane.
  const controlY = (8 * laneY - start.y - end.y) / 6;
  return {
    start,
    c1: { x: start.x, y: controlY },
    c2: { x: end.x, y: controlY },
    end,
  };
}

/**
 * Each label at the first spot along its own curve, from the midpoint outwards, where it covers
 * no box and no label placed before it; then any that still collide are pushed apart.
 */
function placeLabels(routes, nodes, labelSize) {
  const boxes = [...nodes.values()];
  const placed = [];
  for (const route of routes) {
    const size = labelSize(route.edge);
    let best = null;
    for (const t of LABEL_STOPS) {
      const box = labelBoxAt(route, t, size);
      const covered = [...boxes, ...placed].reduce((sum, other) => sum + sharedArea(box, other), 0);
      if (best === null || covered < best.covered) best = { box, covered };
      if (covered === 0) break;
    }
    placed.push(best.box);
  }
  separate(placed, boxes);
  return placed;
}

function labelBoxAt(route, t, size) {
  const at = pointOn(route, t);
  return {
    x: route.labelBeside ? at.x + 8 : at.x - size.width / 2,
    y: at.y - size.height / 2,
    width: size.width,
    height: size.height,
  };
}

function sharedArea(one, other) {
  const gap = LABEL_GAP;
  const width =
    Math.min(one.x + one.width, other.x + other.width + gap) - Math.max(one.x, other.x - gap);
  const height =
    Math.min(one.y + one.height, other.y + other.height + gap) - Math.max(one.y, other.y - gap);
  return width > 0 && height > 0 ? width * height : 0;
}

/**
 * Pushes colliding labels apart up and down (the boxes stay put) until none collide; when boxes
 * and labels leave no room, keeping labels off each other wins over keeping them off the boxes.
 */
function separate(labels, boxes) {
  for (let round = 0; round < MAX_SEPARATION_ROUNDS; round += 1) {
    const avoidBoxes = round < MAX_SEPARATION_ROUNDS / 2;
    let moved = false;
    for (let i = 0; i < labels.length; i += 1) {
      for (let j = i + 1; j < labels.length; j += 1) {
        const [upper, lower] =
          labels[i].y <= labels[j].y ? [labels[i], labels[j]] : [labels[j], labels[i]];
        if (!overlaps(upper, lower, LABEL_GAP)) continue;
        const push = (upper.y + upper.height + LABEL_GAP - lower.y) / 2 + 0.5;
        upper.y -= push;
        lower.y += push;
        moved = true;
      }
      for (const box of avoidBoxes ? boxes : []) {
        const label = labels[i];
        if (!overlaps(label, box, LABEL_GAP)) continue;
        const up = label.y + label.height + LABEL_GAP - box.y;
        const down = box.y + box.height + LABEL_GAP - label.y;
        label.y += up < down ? -up - 0.5 : down + 0.5;
        moved = true;
      }
    }
    if (!moved) return;
  }
  stackApart(labels);
}

/** The last word when pushing did not settle: top to bottom, each label goes below any it hits. */
function stackApart(labels) {
  const settled = [];
  for (const label of [...labels].sort((a, b) => a.y - b.y)) {
    let hit = settled.find((other) => overlaps(label, other, LABEL_GAP));
    while (hit) {
      label.y = hit.y + hit.height + LABEL_GAP + 0.5;
      hit = settled.find((other) => overlaps(label, other, LABEL_GAP));
    }
    settled.push(label);
  }
}

/** The area everything drawn takes: boxes, labels and every curve. */
function boundsOf(nodes, edges) {
  if (nodes.size === 0) return { x: 0, y: 0, width: MARGIN * 2, height: MARGIN * 2 };
  const boxes = [...nodes.values(), ...edges.map((edge) => edge.label)];
  const points = edges.flatMap((edge) =>
    Array.from({ length: 21 }, (_, step) => pointOn(edge.route, step / 20)),
  );
  const xs = [...boxes.flatMap((box) => [box.x, box.x + box.width]), ...points.map((p) => p.x)];
  const ys = [...boxes.flatMap((box) => [box.y, box.y + box.height]), ...points.map((p) => p.y)];
  const x = Math.floor(Math.min(...xs) - MARGIN);
  const y = Math.floor(Math.min(...ys) - MARGIN);
  return {
    x,
    y,
    width: Math.ceil(Math.max(...xs) + MARGIN - x),
    height: Math.ceil(Math.max(...ys) + MARGIN - y),
  };
}
