/* global document, EventSource */
import { sendChaos } from './chaos.js';
import { renderDecisions } from './decisions-feed.js';
import { h, setData, setText } from './dom.js';
import { rate } from './format.js';
import { renderGraph } from './service-graph.js';
import { renderUpstreams } from './upstream-cards.js';
import { renderJourneys } from './user-journeys.js';

/** No snapshot for this long on an open stream means it is dead: open a new one. */
const STALE_AFTER_MS = 10_000;
const RECONNECT_MIN_MS = 1_000;
const RECONNECT_MAX_MS = 15_000;

const page = {
  live: document.querySelector('[data-testid="dashboard-live"]'),
  liveLabel: document.querySelector('.live-label'),
  rps: document.getElementById('total-rps'),
  errors: document.getElementById('total-errors'),
  replicasTotal: document.getElementById('total-replicas'),
  journeys: document.getElementById('journeys'),
  journeysOk: document.getElementById('journeys-ok'),
  journeysFailed: document.getElementById('journeys-failed'),
  journeysRate: document.getElementById('journeys-rate'),
  failuresPanel: document.getElementById('journey-failures-panel'),
  failuresNote: document.getElementById('journey-failures-note'),
  failures: document.getElementById('journey-failures'),
  graph: document.getElementById('graph'),
  replicas: document.getElementById('replicas'),
  upstreams: document.getElementById('upstreams'),
  chaosNote: document.getElementById('chaos-note'),
  windowNote: document.getElementById('window-note'),
  decisions: document.getElementById('decisions'),
  toast: document.getElementById('toast'),
};

let source;
let staleTimer;
let reconnectTimer;
let reconnectDelay = RECONNECT_MIN_MS;
let toastTimer;

function setConnected(connected, label) {
  setData(page.live, 'data-connected', connected ? 'true' : 'false');
  setText(page.liveLabel, label);
}

/** EventSource retries by itself after a dropped stream, but not after a refusal (503): we do. */
function connect() {
  clearTimeout(reconnectTimer);
  source?.close();
  source = new EventSource('/dashboard/events');
  source.addEventListener('open', () => {
    reconnectDelay = RECONNECT_MIN_MS;
    setConnected(true, 'live');
    watchStaleness();
  });
  source.addEventListener('snapshot', (event) => {
    setConnected(true, 'live');
    watchStaleness();
    render(JSON.parse(event.data));
  });
  source.addEventListener('error', () => {
    setConnected(false, 'reconnecting…');
    if (source.readyState === EventSource.CLOSED) scheduleReconnect();
  });
}

function scheduleReconnect() {
  clearTimeout(reconnectTimer);
  reconnectTimer = setTimeout(connect, reconnectDelay);
  reconnectDelay = Math.min(RECONNECT_MAX_MS, reconnectDelay * 2);
}

function watchStaleness() {
  clearTimeout(staleTimer);
  staleTimer = setTimeout(() => {
    setConnected(false, 'no news: reconnecting…');
    connect();
  }, STALE_AFTER_MS);
}

function render(view) {
  setText(page.rps, rate(view.totals.requestsPerSecond));
  setText(page.errors, rate(view.totals.errorsPerSecond));
  page.errors.classList.toggle('bad', view.totals.errorsPerSecond > 0);
  setText(page.replicasTotal, `${view.totals.replicasUp}/${view.totals.replicasTotal}`);
  page.replicasTotal.classList.toggle('bad', view.totals.replicasUp < view.totals.replicasTotal);
  renderJourneys(page, view);
  setText(
    page.windowNote,
    `Calls between services over the last ${Math.round(view.windowMs / 1000)} s, summed over every replica.`,
  );
  renderGraph(page.graph, view);
  renderReplicas(view.instances);
  renderUpstreams(page.upstreams, view, onChaos);
  renderChaosNote(view.launcher);
  renderDecisions(page.decisions, view.decisions);
}

function renderReplicas(instances) {
  page.replicas.replaceChildren(
    ...instances.map((instance) => {
      const status = !instance.reachable
        ? 'unreachable'
        : instance.draining
          ? 'draining'
          : instance.ready
            ? 'ready'
            : 'not-ready';
      const extra = instance.reachable
        ? `${instance.inFlight} in flight${instance.shed ? ` · ${instance.shed} shed` : ''}`
        : instance.error;
      return h(
        'span',
        {
          class: 'chip',
          'data-instance': instance.replica,
          'data-service': instance.service,
          'data-status': status,
          title: `${instance.service} ${instance.key} (${instance.instance ?? 'no instance id'}): ${status}`,
        },
        [h('strong', { text: instance.replica }), h('span', { class: 'chip-extra', text: extra })],
      );
    }),
  );
}

function renderChaosNote(launcher) {
  if (launcher === null) {
    setText(page.chaosNote, 'Chaos controls need the local launcher: run the shop with npm start.');
  } else if (!launcher.reachable) {
    setText(page.chaosNote, `The launcher does not answer (${launcher.error}); chaos is off.`);
  } else {
    setText(
      page.chaosNote,
      'Break a replica and watch the meshes route around it: slow adds 300 ms, fail answers half the requests with 503, hang never answers, heal undoes it all.',
    );
  }
}

async function onChaos(action, replica, button) {
  button.dataset.busy = 'true';
  button.disabled = true;
  const result = await sendChaos(action, replica);
  delete button.dataset.busy;
  button.disabled = false;
  showToast(result.message, !result.ok);
}

function showToast(message, isError) {
  clearTimeout(toastTimer);
  page.toast.textContent = message;
  page.toast.classList.toggle('error', isError);
  page.toast.hidden = false;
  toastTimer = setTimeout(() => {
    page.toast.hidden = true;
  }, 4_000);
}

connect();
