import { s } from './dom.js';
import { msPair, percent, rate } from './format.js';

const COLUMN = 250;
const NODE_WIDTH = 140;
const NODE_HEIGHT = 52;
const ROW = 100;
const PAD = 28;
/** How far an edge between two services of one column swings out to the right. */
const LOOP = 70;
const COLOURS = { ok: '#2f855a', degraded: '#b7791f', failing: '#c53030', idle: '#a0aab5' };

/** Draws services as columns by call depth and the calls between them as labelled curves. */
export function renderGraph(svg, view) {
  const positions = layout(view.services);
  const columns = Math.max(1, ...view.services.map((node) => node.depth + 1));
  const rows = Math.max(1, ...countPerColumn(view.services));
  const width = PAD * 2 + (columns - 1) * COLUMN + NODE_WIDTH + LOOP;
  const height = PAD * 2 + (rows - 1) * ROW + NODE_HEIGHT;
  svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
  // Drawn at its natural size, shrunk only when the panel is narrower.
  svg.setAttribute('width', String(width));
  svg.setAttribute('height', String(height));

  const edges = view.edges
    .filter((edge) => positions.has(edge.caller) && positions.has(edge.upstream))
    .map((edge) => drawEdge(edge, positions.get(edge.caller), positions.get(edge.upstream)));
  const nodes = view.services.map((node) => drawNode(node, positions.get(node.service)));
  // Lines first, then nodes over their ends, then labels over everything.
  svg.replaceChildren(
    markers(),
    s(
      'g',
      { class: 'edges' },
      edges.map((edge) => edge.line),
    ),
    s('g', { class: 'nodes' }, nodes),
    s(
      'g',
      { class: 'labels' },
      edges.map((edge) => edge.label),
    ),
  );
}

function countPerColumn(services) {
  const counts = new Map();
  for (const node of services) counts.set(node.depth, (counts.get(node.depth) ?? 0) + 1);
  return [...counts.values()];
}

/** Columns by depth; inside a column, by name, centred against the tallest column. */
function layout(services) {
  const byDepth = new Map();
  for (const node of services) {
    if (!byDepth.has(node.depth)) byDepth.set(node.depth, []);
    byDepth.get(node.depth).push(node.service);
  }
  const tallest = Math.max(1, ...[...byDepth.values()].map((column) => column.length));
  const positions = new Map();
  for (const [depth, names] of byDepth) {
    names.sort();
    const offset = ((tallest - names.length) * ROW) / 2;
    names.forEach((name, index) => {
      const x = PAD + depth * COLUMN;
      const y = PAD + offset + index * ROW;
      positions.set(name, { x, y, depth, cy: y + NODE_HEIGHT / 2 });
    });
  }
  return positions;
}

function markers() {
  return s(
    'defs',
    {},
    Object.entries(COLOURS).map(([health, colour]) =>
      s(
        'marker',
        {
          id: `arrow-${health}`,
          viewBox: '0 0 10 10',
          refX: 9,
          refY: 5,
          // The same arrow on thin and thick edges.
          markerUnits: 'userSpaceOnUse',
          markerWidth: 10,
          markerHeight: 10,
          orient: 'auto-start-reverse',
        },
        [s('path', { d: 'M 0 0 L 10 5 L 0 10 z', fill: colour })],
      ),
    ),
  );
}

function nodeHealth(node) {
  if (node.replicas === 0) return 'idle';
  if (node.up === 0) return 'failing';
  if (node.up < node.replicas) return 'degraded';
  return 'ok';
}

function drawNode(node, at) {
  const health = nodeHealth(node);
  const status =
    node.replicas === 0
      ? 'no replicas found'
      : `${node.up}/${node.replicas} up${node.unreachable ? ` · ${node.unreachable} unreachable` : ''}`;
  return s(
    'g',
    {
      class: 'node',
      'data-service': node.service,
      'data-health': health,
      transform: `translate(${at.x} ${at.y})`,
    },
    [
      s('title', { text: `${node.service}: ${status}` }),
      s('rect', { class: 'node-box', width: NODE_WIDTH, height: NODE_HEIGHT, rx: 9 }),
      s('text', { class: 'node-name', x: 14, y: 22, text: node.service }),
      s('text', { class: 'node-sub', x: 14, y: 40, text: status }),
    ],
  );
}

function drawEdge(edge, from, to) {
  let path;
  let labelX;
  let labelY;
  if (to.depth > from.depth) {
    const sx = from.x + NODE_WIDTH;
    const ex = to.x - 2;
    const bend = (ex - sx) / 2;
    path = `M ${sx} ${from.cy} C ${sx + bend} ${from.cy}, ${ex - bend} ${to.cy}, ${ex} ${to.cy}`;
    labelX = (sx + ex) / 2;
    labelY = (from.cy + to.cy) / 2;
  } else {
    // Same column or backwards: a loop out to the right, into the upstream's right side.
    const sx = from.x + NODE_WIDTH;
    const ex = to.x + NODE_WIDTH + 2;
    path = `M ${sx} ${from.cy} C ${sx + LOOP} ${from.cy}, ${ex + LOOP} ${to.cy}, ${ex} ${to.cy}`;
    labelX = (sx + ex) / 2 + (LOOP * 3) / 4;
    labelY = (from.cy + to.cy) / 2;
  }
  const width = 1.5 + Math.min(3.5, Math.log10(1 + edge.requestsPerSecond) * 1.6);
  const attributes = {
    class: 'edge',
    'data-edge': `${edge.caller}->${edge.upstream}`,
    'data-rps': edge.requestsPerSecond.toFixed(2),
    'data-error-rate': edge.errorRate.toFixed(4),
    'data-p50-ms': edge.p50Ms === null ? '' : edge.p50Ms.toFixed(2),
    'data-p99-ms': edge.p99Ms === null ? '' : edge.p99Ms.toFixed(2),
    'data-health': edge.health,
    'data-breaker': edge.breaker,
  };
  const summary =
    `${edge.caller} → ${edge.upstream}: ${rate(edge.requestsPerSecond)} req/s, ` +
    `${percent(edge.errorRate)} errors, p50/p99 ${msPair(edge.p50Ms, edge.p99Ms)}, ` +
    `breaker ${edge.breaker}${edge.panic ? ', panic' : ''}`;
  const line = s('g', attributes, [
    s('title', { text: summary }),
    s('path', {
      class: 'edge-line',
      d: path,
      'stroke-width': width.toFixed(2),
      'marker-end': `url(#arrow-${edge.health})`,
    }),
  ]);
  const top = `${rate(edge.requestsPerSecond)}/s`;
  const errors = percent(edge.errorRate);
  const bottom = msPair(edge.p50Ms, edge.p99Ms);
  const boxWidth = Math.max(top.length + errors.length + 3, bottom.length) * 6.3 + 14;
  const label = s(
    'g',
    {
      class: 'edge',
      'data-edge-label': `${edge.caller}->${edge.upstream}`,
      'data-health': edge.health,
      transform: `translate(${labelX - boxWidth / 2} ${labelY - 16})`,
    },
    [
      s('title', { text: summary }),
      s('rect', { class: 'edge-label-box', width: boxWidth, height: 32, rx: 6 }),
      s('text', { class: 'edge-label', x: 7, y: 13 }, [
        s('tspan', { class: 'rps', text: top }),
        s('tspan', { text: ' · ' }),
        s('tspan', { class: 'err', text: errors }),
      ]),
      s('text', { class: 'edge-label', x: 7, y: 26, text: bottom }),
    ],
  );
  return { line, label };
}
