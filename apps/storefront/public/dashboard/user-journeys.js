import { h, setData, setText } from './dom.js';
import { clock, count, rate } from './format.js';

/** How many of the loadgen's recent failures the panel lists. */
export const FAILURES_SHOWN = 5;

/**
 * What the header and the failures panel show of the loadgen's user journeys, from the view; null
 * without a launcher or a loadgen, which hides both.
 */
export function journeySummary(view) {
  const load = view.launcher?.load;
  if (!load) return null;
  const rateText = load.journeysPerSecond === null ? '' : `${rate(load.journeysPerSecond)}/s`;
  const ended = rateText
    ? ` ${rateText} ended over the last ${Math.round(view.windowMs / 1000)} s`
    : '';
  return {
    ok: { text: count(load.ok), value: String(load.ok) },
    failed: { text: count(load.failed), value: String(load.failed), bad: load.failed > 0 },
    rate: rateText,
    title:
      `The loadgen's simulated users since it started: ${count(load.sent)} journeys sent, ` +
      `${count(load.inFlight)} under way.${ended} (it starts ${rate(load.rps)}/s).`,
    failures: runs(load.recentFailures.slice(0, FAILURES_SHOWN)).map(({ failure, times }) => ({
      at: failure.at,
      time: Number.isNaN(Date.parse(failure.at)) ? '' : clock(Date.parse(failure.at)),
      kind: failure.kind,
      statusCode: failure.status,
      status: failure.status === null ? 'no answer' : String(failure.status),
      message: failure.message,
      count: times,
    })),
    failuresNote:
      load.failed > FAILURES_SHOWN
        ? `The last ${FAILURES_SHOWN} of ${count(load.failed)}, newest first: what the users saw.`
        : 'Newest first: what the users saw.',
  };
}

/** Consecutive failures alike (a burst during an outage) show once, with a count. */
function runs(failures) {
  const grouped = [];
  for (const failure of failures) {
    const last = grouped.at(-1);
    if (
      last &&
      last.failure.kind === failure.kind &&
      last.failure.status === failure.status &&
      last.failure.message === failure.message
    ) {
      last.times += 1;
    } else grouped.push({ failure, times: 1 });
  }
  return grouped;
}

/**
 * The journeys in the header (`data-total="journeys-ok"` / `"journeys-failed"`, the number in
 * `data-value`) and the panel of recent failures, shown only when a journey failed.
 */
export function renderJourneys(page, view) {
  const summary = journeySummary(view);
  page.journeys.hidden = summary === null;
  page.failuresPanel.hidden = summary === null || summary.failures.length === 0;
  if (summary === null) return;
  setText(page.journeysOk, summary.ok.text);
  setData(page.journeysOk, 'data-value', summary.ok.value);
  setText(page.journeysFailed, summary.failed.text);
  setData(page.journeysFailed, 'data-value', summary.failed.value);
  page.journeysFailed.classList.toggle('bad', summary.failed.bad);
  setText(page.journeysRate, summary.rate ? `· ${summary.rate}` : '');
  setData(page.journeys, 'title', summary.title);
  setText(page.failuresNote, summary.failuresNote);
  renderFailures(page.failures, summary.failures);
}

function renderFailures(list, failures) {
  const signature = failures
    .map((failure) => `${failure.at} ${failure.count} ${failure.message}`)
    .join('\n');
  if (list.dataset.signature === signature) return;
  list.dataset.signature = signature;
  list.replaceChildren(
    ...failures.map((failure) =>
      h(
        'li',
        {
          class: 'failure',
          'data-journey-failure': failure.kind,
          'data-status': failure.statusCode ?? '',
          'data-count': failure.count,
          title: failure.message,
        },
        [
          h('time', { datetime: failure.at, text: failure.time }),
          h('span', { class: 'failure-kind', text: failure.kind }),
          h(
            'span',
            { class: 'failure-status', text: failure.status },
            failure.count > 1
              ? [h('span', { class: 'failure-count', text: `×${failure.count}` })]
              : [],
          ),
          h('p', { class: 'failure-message', text: failure.message }),
        ],
      ),
    ),
  );
}
