import { s } from './dom.js';
import { msPair, percent, rate } from './format.js';
import { NODE_HEIGHT, NODE_WIDTH, layoutGraph } from './graph-layout.js';

const COLOURS = { ok: '#2f855a', degraded: '#b7791f', failing: '#c53030', idle: '#a0aab5' };
const LABEL_HEIGHT = 34;
const LABEL_PADDING = 7;

/** Draws services as columns by call depth and the calls between them as labelled curves. */
export function renderGraph(svg, view) {
  const labels = new Map(view.edges.map((edge) => [edge, drawLabel(edge)]));
  // Labels go in first, so their boxes are sized to the text as the browser draws it.
  svg.replaceChildren(
    s(
      'g',
      { class: 'labels' },
      [...labels.values()].map((label) => label.group),
    ),
  );
  const layout = layoutGraph(view.services, view.edges, (edge) => labels.get(edge).size());

  const { x, y, width, height } = layout.bounds;
  svg.setAttribute('viewBox', `${x} ${y} ${width} ${height}`);
  // Drawn at its natural size, shrunk only when the panel is narrower.
  svg.setAttribute('width', String(width));
  svg.setAttribute('height', String(height));

  const lines = layout.edges.map(({ edge, path }) => drawLine(edge, path));
  for (const { edge, label } of layout.edges) labels.get(edge).moveTo(label);
  const nodes = view.services.map((node) => drawNode(node, layout.nodes.get(node.service)));
  // Lines first, then nodes over their ends, then labels over everything.
  svg.replaceChildren(
    markers(),
    s('g', { class: 'edges' }, lines),
    s('g', { class: 'nodes' }, nodes),
    s(
      'g',
      { class: 'labels' },
      layout.edges.map(({ edge }) => labels.get(edge).group),
    ),
  );
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

function summaryOf(edge) {
  return (
    `${edge.caller} → ${edge.upstream}: ${rate(edge.requestsPerSecond)} req/s, ` +
    `${percent(edge.errorRate)} errors, p50/p99 ${msPair(edge.p50Ms, edge.p99Ms)}, ` +
    `breaker ${edge.breaker}${edge.panic ? ', panic' : ''}`
  );
}

function drawLine(edge, path) {
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
  return s('g', attributes, [
    s('title', { text: summaryOf(edge) }),
    s('path', {
      class: 'edge-line',
      d: path,
      'stroke-width': width.toFixed(2),
      'marker-end': `url(#arrow-${edge.health})`,
    }),
  ]);
}

/** An edge's label: `size()` measures its text, `moveTo(box)` puts it in place. */
function drawLabel(edge) {
  const top = `${rate(edge.requestsPerSecond)}/s`;
  const errors = percent(edge.errorRate);
  const bottom = msPair(edge.p50Ms, edge.p99Ms);
  const firstLine = s('text', { class: 'edge-label', x: LABEL_PADDING, y: 14 }, [
    s('tspan', { class: 'rps', text: top }),
    s('tspan', { text: ' · ' }),
    s('tspan', { class: 'err', text: errors }),
  ]);
  const secondLine = s('text', { class: 'edge-label', x: LABEL_PADDING, y: 28, text: bottom });
  const box = s('rect', { class: 'edge-label-box', height: LABEL_HEIGHT, rx: 6 });
  const group = s(
    'g',
    {
      class: 'edge',
      'data-edge-label': `${edge.caller}->${edge.upstream}`,
      'data-health': edge.health,
    },
    [s('title', { text: summaryOf(edge) }), box, firstLine, secondLine],
  );
  // Without a rendered page to measure in (a hidden panel), a generous guess per character.
  const guess = Math.max(top.length + errors.length + 3, bottom.length) * 7;
  return {
    group,
    size() {
      const measured = Math.max(
        firstLine.getComputedTextLength(),
        secondLine.getComputedTextLength(),
      );
      const text = measured > 0 ? measured : guess;
      return { width: Math.ceil(text) + LABEL_PADDING * 2, height: LABEL_HEIGHT };
    },
    moveTo({ x, y, width }) {
      box.setAttribute('width', String(width));
      group.setAttribute('transform', `translate(${x.toFixed(1)} ${y.toFixed(1)})`);
    },
  };
}
