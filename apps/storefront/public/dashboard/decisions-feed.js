import { h } from './dom.js';
import { clock } from './format.js';

/**
 * The merged decisions, newest first. A run of the same decision by the same caller (a burst of
 * retries) shows as one line with a count, so one noisy replica does not bury the rest.
 */
export function renderDecisions(list, decisions) {
  const signature = decisions.map((decision) => decision.id).join('\n');
  if (list.dataset.signature === signature) return;
  list.dataset.signature = signature;
  if (decisions.length === 0) {
    list.replaceChildren(
      h('li', {
        class: 'empty',
        text: 'Nothing yet: ejections, retries, hedges and breaker changes show up here.',
      }),
    );
    return;
  }
  list.replaceChildren(...runs(decisions).map(({ decision, count }) => item(decision, count)));
}

function runs(decisions) {
  const grouped = [];
  for (const decision of decisions) {
    const last = grouped.at(-1);
    if (last && sameDecision(last.decision, decision)) last.count += 1;
    else grouped.push({ decision, count: 1 });
  }
  return grouped;
}

function sameDecision(a, b) {
  return (
    a.type === b.type &&
    a.callerReplica === b.callerReplica &&
    a.upstream === b.upstream &&
    a.detail === b.detail
  );
}

function item(decision, count) {
  const type = [decision.type];
  if (count > 1) type.push(h('span', { class: 'decision-count', text: `×${count}` }));
  return h('li', { class: 'decision', 'data-event-type': decision.type, 'data-count': count }, [
    h('time', { datetime: new Date(decision.at).toISOString(), text: clock(decision.at) }),
    h('span', { class: 'decision-type' }, type),
    h('span', { class: 'decision-who', text: `${decision.callerReplica} → ${decision.upstream}` }),
    h('p', { class: 'decision-detail', text: decision.detail }),
  ]);
}
