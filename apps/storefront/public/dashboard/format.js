/** Requests per second: one decimal below 10, none above. */
export function rate(value) {
  if (!value) return '0';
  return value < 10 ? value.toFixed(1) : Math.round(value).toLocaleString('en');
}

/** A 0..1 ratio as a percentage. */
export function percent(ratio) {
  if (!ratio) return '0%';
  const value = ratio * 100;
  return value < 10 ? `${value.toFixed(1)}%` : `${Math.round(value)}%`;
}

/** Milliseconds, or a dash when there were no calls. */
export function ms(value) {
  if (value === null || value === undefined) return '–';
  if (value < 1) return `${value.toFixed(2)} ms`;
  return value < 10 ? `${value.toFixed(1)} ms` : `${Math.round(value).toLocaleString('en')} ms`;
}

/** Shortest form for edge labels: `3/18 ms`. */
export function msPair(p50, p99) {
  if (p50 === null || p99 === null) return '– ms';
  const short = (value) => (value < 10 ? value.toFixed(1) : String(Math.round(value)));
  return `${short(p50)}/${short(p99)} ms`;
}

export function clock(epochMs) {
  return new Date(epochMs).toLocaleTimeString('en-GB', { hour12: false });
}

/** A count with thousands separators: `12,345`. */
export function count(value) {
  return value.toLocaleString('en');
}
