import { h, setData, setText } from './dom.js';
import { ms, percent, rate } from './format.js';

/** The chaos buttons of each row, in the launcher's words. */
const CHAOS_BUTTONS = [
  { action: 'kill', label: 'kill', title: 'SIGKILL the process; it stays down until healed' },
  { action: 'slow', label: 'slow', title: 'add 300 ms to every answer' },
  { action: 'fail', label: 'fail', title: 'answer half the requests with 503' },
  { action: 'hang', label: 'hang', title: 'accept requests and never answer' },
  { action: 'heal', label: 'heal', title: 'knobs back to zero; a killed replica starts again' },
];

/** Cards and rows by name, kept between snapshots so buttons survive updates. */
const cardsByContainer = new WeakMap();

/**
 * One card per upstream with a row per replica. Updates in place: a click on a chaos button is
 * never lost to a re-render.
 */
export function renderUpstreams(container, view, onChaos) {
  let cards = cardsByContainer.get(container);
  if (!cards) {
    cards = new Map();
    cardsByContainer.set(container, cards);
  }
  const withChaos = view.launcher !== null;
  const chaosUsable = Boolean(view.launcher?.reachable);
  const wanted = new Set(view.upstreams.map((upstream) => upstream.upstream));
  for (const [name, card] of cards) {
    if (!wanted.has(name) || card.withChaos !== withChaos) {
      card.root.remove();
      cards.delete(name);
    }
  }
  if (view.upstreams.length === 0) {
    container.replaceChildren(
      h('p', {
        class: 'empty',
        text: 'No upstreams yet: a card appears once one service calls another.',
      }),
    );
    return;
  }
  container.querySelector(':scope > .empty')?.remove();
  view.upstreams.forEach((upstream, index) => {
    let card = cards.get(upstream.upstream);
    if (!card) {
      card = createCard(upstream.upstream, withChaos);
      cards.set(upstream.upstream, card);
    }
    updateCard(card, upstream, chaosUsable, onChaos);
    if (container.children[index] !== card.root) {
      container.insertBefore(card.root, container.children[index] ?? null);
    }
  });
}

function createCard(name, withChaos) {
  const meta = h('span', { class: 'card-meta' });
  const breaker = h('span', { class: 'badge', hidden: '' });
  const panic = h('span', { class: 'badge panic', text: 'panic', hidden: '' });
  const body = h('tbody');
  const head = h('tr', {}, [
    h('th', { text: 'replica' }),
    h('th', { class: 'tight', text: 'state' }),
    h('th', { class: 'tight num', text: 'EWMA' }),
    h('th', { class: 'tight', text: 'share' }),
    h('th', { class: 'tight num', text: 'in flight' }),
  ]);
  if (withChaos) head.append(h('th', { class: 'tight num', text: 'chaos' }));
  const root = h('article', { class: 'card', 'data-upstream-card': name }, [
    h('div', { class: 'card-head' }, [h('h3', { text: name }), meta, breaker, panic]),
    h('table', { class: 'rows' }, [h('thead', {}, [head]), body]),
  ]);
  return { root, meta, breaker, panic, body, rows: new Map(), withChaos };
}

function updateCard(card, upstream, chaosUsable, onChaos) {
  const callers = upstream.callers.length > 0 ? `from ${upstream.callers.join(', ')}` : '';
  setText(card.meta, `${rate(upstream.requestsPerSecond)} req/s ${callers}`.trim());
  const breakerShown = upstream.breaker === 'open' || upstream.breaker === 'halfOpen';
  card.breaker.hidden = !breakerShown;
  if (breakerShown) {
    setData(card.breaker, 'class', `badge breaker-${upstream.breaker}`);
    setText(card.breaker, upstream.breaker === 'open' ? 'breaker open' : 'breaker half-open');
  }
  card.panic.hidden = !upstream.panic;

  const wanted = new Set(upstream.endpoints.map((endpoint) => endpoint.replica));
  for (const [replica, row] of card.rows) {
    if (!wanted.has(replica)) {
      row.root.remove();
      card.rows.delete(replica);
    }
  }
  upstream.endpoints.forEach((endpoint, index) => {
    let row = card.rows.get(endpoint.replica);
    if (!row) {
      row = createRow(endpoint, card.withChaos, onChaos);
      card.rows.set(endpoint.replica, row);
    }
    updateRow(row, endpoint, chaosUsable);
    if (card.body.children[index] !== row.root) {
      card.body.insertBefore(row.root, card.body.children[index] ?? null);
    }
  });
}

function createRow(endpoint, withChaos, onChaos) {
  const knobs = h('span', { class: 'knobs' });
  const pill = h('span', { class: 'pill' });
  const ewma = h('td', { class: 'num' });
  const fill = h('span', { class: 'share-fill' });
  const shareValue = h('span', { class: 'share-value' });
  const inFlight = h('td', { class: 'num' });
  const root = h('tr', { class: 'row', 'data-upstream': endpoint.upstream }, [
    h('td', {}, [h('span', { class: 'replica-name', text: endpoint.replica }), knobs]),
    h('td', {}, [pill]),
    ewma,
    h('td', {}, [
      h('div', { class: 'share' }, [h('span', { class: 'share-bar' }, [fill]), shareValue]),
    ]),
    inFlight,
  ]);
  const buttons = [];
  if (withChaos) {
    for (const { action, label, title } of CHAOS_BUTTONS) {
      const button = h('button', { type: 'button', 'data-chaos': action, title, text: label });
      button.addEventListener('click', () => onChaos(action, endpoint.replica, button));
      buttons.push(button);
    }
    root.append(h('td', {}, [h('div', { class: 'chaos' }, buttons)]));
  }
  return { root, knobs, pill, ewma, fill, shareValue, inFlight, buttons };
}

function updateRow(row, endpoint, chaosUsable) {
  setData(row.root, 'data-replica', endpoint.replica);
  setData(row.root, 'data-state', endpoint.state);
  setData(row.root, 'data-share', endpoint.share.toFixed(3));
  setData(row.root, 'data-key', endpoint.key ?? '');
  setData(row.pill, 'class', `pill ${endpoint.state}`);
  setText(row.pill, stateText(endpoint));
  setData(
    row.pill,
    'title',
    `${endpoint.key ?? 'no endpoint'}: listed by ${endpoint.seenBy} caller(s), ejected by ${endpoint.ejectedBy}`,
  );
  setText(row.knobs, knobsText(endpoint));
  setText(row.ewma, ms(endpoint.ewmaMs));
  row.fill.style.width = `${Math.round(endpoint.share * 1000) / 10}%`;
  setText(row.shareValue, percent(endpoint.share));
  setText(row.inFlight, endpoint.inFlight);
  const down = endpoint.state === 'killed' || endpoint.state === 'down';
  for (const button of row.buttons) {
    if (button.dataset.busy === 'true') continue;
    button.disabled = !chaosUsable || (down && button.dataset.chaos !== 'heal');
  }
}

function stateText(endpoint) {
  if (endpoint.state === 'ejected' && endpoint.seenBy > 1) {
    return `ejected ${endpoint.ejectedBy}/${endpoint.seenBy}`;
  }
  return endpoint.state;
}

function knobsText(endpoint) {
  const parts = [];
  if (endpoint.process && endpoint.process !== 'running' && endpoint.state !== endpoint.process) {
    parts.push(endpoint.process);
  }
  const knobs = endpoint.knobs;
  if (knobs?.latencyMs) parts.push(`+${knobs.latencyMs} ms`);
  if (knobs?.errorRate) parts.push(`fails ${percent(knobs.errorRate)}`);
  if (knobs?.hang) parts.push('hangs');
  return parts.join(' · ');
}
