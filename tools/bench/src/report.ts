/** Writes results: one JSON per scenario, SVG bar charts, and a markdown summary of all of them. */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  median,
  SCENARIOS,
  type ScenarioName,
  type ScenarioResult,
  type Variant,
} from './results.js';

export function writeScenario(outDir: string, result: ScenarioResult): void {
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, `${result.scenario}.json`), `${JSON.stringify(result, null, 2)}\n`);
}

function readScenario(outDir: string, name: ScenarioName): ScenarioResult | undefined {
  const file = join(outDir, `${name}.json`);
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as ScenarioResult) : undefined;
}

const escape = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

const COLORS = ['#4c78a8', '#f58518', '#54a24b', '#e45756', '#72b7b2'];

/** A horizontal grouped bar chart: one group per label, one bar per series. */
export function barChart(
  title: string,
  unit: string,
  series: string[],
  rows: { label: string; values: number[] }[],
): string {
  const labelWidth = 210;
  const chartWidth = 460;
  const barHeight = 14;
  const groupGap = 10;
  const top = 48;
  const groupHeight = series.length * barHeight + groupGap;
  const height = top + rows.length * groupHeight + 24;
  const max = Math.max(1e-9, ...rows.flatMap((row) => row.values.filter(Number.isFinite)));
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${labelWidth + chartWidth + 110}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="10" y="20" font-size="14" font-weight="bold">${escape(title)}</text>`,
  ];
  series.forEach((name, i) => {
    const x = labelWidth + i * 110;
    parts.push(
      `<rect x="${x}" y="30" width="10" height="10" fill="${COLORS[i % COLORS.length]}"/>`,
      `<text x="${x + 14}" y="39">${escape(name)}</text>`,
    );
  });
  rows.forEach((row, r) => {
    const y0 = top + r * groupHeight;
    parts.push(
      `<text x="${labelWidth - 8}" y="${y0 + (series.length * barHeight) / 2 + 4}" text-anchor="end">${escape(row.label)}</text>`,
    );
    row.values.forEach((value, i) => {
      const width = Number.isFinite(value) ? Math.max(1, (value / max) * chartWidth) : 0;
      const y = y0 + i * barHeight;
      parts.push(
        `<rect x="${labelWidth}" y="${y}" width="${width.toFixed(1)}" height="${barHeight - 2}" fill="${COLORS[i % COLORS.length]}"/>`,
        `<text x="${labelWidth + width + 4}" y="${y + barHeight - 4}">${escape(format(value))} ${escape(unit)}</text>`,
      );
    });
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}

function format(value: number): string {
  if (!Number.isFinite(value)) return 'n/a';
  if (value === 0) return '0';
  if (Math.abs(value) >= 100) return value.toFixed(0);
  if (Math.abs(value) >= 1) return value.toFixed(2);
  return value.toPrecision(3);
}

function chartsFor(result: ScenarioResult): { file: string; svg: string }[] {
  const v = result.variants;
  const latency = (title: string, file: string, variants: Variant[]) => ({
    file,
    svg: barChart(
      title,
      'ms',
      ['p50', 'p99', 'p99.9'],
      variants.map((x) => ({ label: x.name, values: [x.p50_ms, x.p99_ms, x.p999_ms] })),
    ),
  });
  switch (result.scenario) {
    case 'overhead':
      return [
        latency('overhead: latency at a fixed rate (open loop)', 'overhead-latency.svg', v),
        {
          file: 'overhead-throughput.svg',
          svg: barChart(
            'overhead: max throughput (closed loop)',
            'req/s',
            ['rps'],
            v.map((x) => ({ label: x.name, values: [x.rps] })),
          ),
        },
        {
          file: 'overhead-cpu.svg',
          svg: barChart(
            'overhead: client + proxy CPU per 10k requests',
            's',
            ['cpu s / 10k'],
            v.map((x) => ({ label: x.name, values: [x.cpu_s_per_10k] })),
          ),
        },
      ];
    case 'slow-replica':
      return [latency('slow-replica: one of 5 replicas 20x slower', 'slow-replica-latency.svg', v)];
    case 'failover':
      return [
        latency('failover: latency over the run', 'failover-latency.svg', v),
        {
          file: 'failover-stop.svg',
          svg: barChart(
            'failover: time until no traffic goes to the failed replica',
            'ms',
            ['stop_ms'],
            v.map((x) => ({ label: x.name, values: [Number(x['stop_ms'])] })),
          ),
        },
      ];
    case 'rolling-restart':
      return [latency('rolling-restart: latency over the run', 'rolling-restart-latency.svg', v)];
    case 'scale':
      return [
        {
          file: 'scale-pick.svg',
          svg: barChart(
            'scale: cost of one pick',
            'ns',
            ['pick'],
            v.map((x) => ({ label: x.name, values: [Number(x['pick_ns'])] })),
          ),
        },
        {
          file: 'scale-update.svg',
          svg: barChart(
            'scale: full endpoint update',
            'ms',
            ['update'],
            v.map((x) => ({ label: x.name, values: [Number(x['update_ms'])] })),
          ),
        },
      ];
  }
}

type Verdict = { target: string; measured: string; met: boolean | undefined };

/** The same ratio round by round (slices of a round run back to back), to show the machine's drift. */
function roundSpread(variant: Variant, baseline: Variant): string {
  const mine = variant['closed_round_rps'];
  const theirs = baseline['closed_round_rps'];
  if (!Array.isArray(mine) || !Array.isArray(theirs) || mine.length !== theirs.length) return '';
  const shares = mine
    .map((rps, round) => Number(rps) / Number(theirs[round]))
    .filter((share) => Number.isFinite(share));
  if (shares.length < 2) return '';
  const percent = (share: number) => `${(share * 100).toFixed(0)}%`;
  return `; round by round ${percent(Math.min(...shares))}-${percent(Math.max(...shares))}, median ${percent(median(shares))}`;
}

function find(result: ScenarioResult | undefined, name: string): Variant | undefined {
  return result?.variants.find((v) => v.name === name);
}

function verdicts(results: Partial<Record<ScenarioName, ScenarioResult>>): Verdict[] {
  const out: Verdict[] = [];
  const na = (target: string, why: string) => out.push({ target, measured: why, met: undefined });
  const o = results.overhead;
  const direct = find(o, 'direct-undici');
  const trellis = find(o, 'trellis');
  const proxies = ['nginx-hop', 'haproxy-hop']
    .map((n) => find(o, n))
    .filter((x) => x !== undefined);
  if (direct && trellis) {
    const addedUs = (trellis.p50_ms - direct.p50_ms) * 1_000;
    out.push({
      target: 'Trellis adds <= 50 us at p50 over direct undici',
      measured: `${addedUs >= 0 ? '+' : ''}${addedUs.toFixed(0)} us (p50 ${trellis.p50_ms} ms vs ${direct.p50_ms} ms)`,
      met: addedUs <= 50,
    });
    const share = trellis.rps / direct.rps;
    out.push({
      target: 'Trellis keeps >= 90% of direct undici throughput',
      measured: `${(share * 100).toFixed(1)}% (${trellis.rps} vs ${direct.rps} req/s)${roundSpread(trellis, direct)}`,
      met: share >= 0.9,
    });
    if (proxies.length > 0) {
      const lat = proxies.every((p) => trellis.p50_ms < p.p50_ms && trellis.p99_ms < p.p99_ms);
      out.push({
        target: 'Trellis beats both proxy hops on latency (p50 and p99)',
        measured: [trellis, ...proxies]
          .map((x) => `${x.name} ${x.p50_ms}/${x.p99_ms} ms`)
          .join('; '),
        met: lat,
      });
      const cpu = proxies.every((p) => trellis.cpu_s_per_10k < p.cpu_s_per_10k);
      out.push({
        target: 'Trellis beats both proxy hops on CPU per request (client + proxy)',
        measured: [trellis, ...proxies].map((x) => `${x.name} ${x.cpu_s_per_10k} s/10k`).join('; '),
        met: cpu,
      });
    } else na('Trellis beats both proxy hops on latency and CPU', 'proxies not run');
  } else na('overhead targets', 'scenario not run');

  const s = results['slow-replica'];
  const base = find(s, 'healthy-baseline');
  const ewma = find(s, 'trellis-peak-ewma');
  if (base && ewma) {
    const ratio = ewma.p99_ms / base.p99_ms;
    out.push({
      target: 'slow replica: peak-EWMA p99 <= 1.3x the all-healthy p99',
      measured: `${ratio.toFixed(2)}x (${ewma.p99_ms} ms vs ${base.p99_ms} ms)`,
      met: ratio <= 1.3,
    });
    const haproxy = ['haproxy-roundrobin', 'haproxy-leastconn', 'haproxy-random2']
      .map((n) => find(s, n))
      .filter((x) => x !== undefined);
    if (haproxy.length > 0) {
      out.push({
        target: "slow replica: peak-EWMA p99 below every HAProxy balancer's p99",
        measured: [ewma, ...haproxy].map((x) => `${x.name} ${x.p99_ms} ms`).join('; '),
        met: haproxy.every((h) => ewma.p99_ms < h.p99_ms),
      });
    } else na("slow replica: peak-EWMA p99 below every HAProxy balancer's", 'HAProxy not run');
  } else na('slow-replica targets', 'scenario not run');

  const f = results.failover;
  if (f && f.variants.length > 0) {
    out.push({
      target: 'failover: zero failed idempotent requests',
      measured: f.variants.map((x) => `${x.name}: ${x.errors} of ${x.requests}`).join('; '),
      met: f.variants.every((x) => x.errors === 0),
    });
    out.push({
      target: 'failover: traffic to the failed replica stops within 1 s',
      measured: f.variants.map((x) => `${x.name}: ${String(x['stop_ms'])} ms`).join('; '),
      met: f.variants.every((x) => Number(x['stop_ms']) <= 1_000),
    });
  } else na('failover targets', 'scenario not run');

  const r = find(results['rolling-restart'], 'trellis');
  if (r) {
    out.push({
      target: 'rolling restart: zero failed requests',
      measured: `${r.errors} of ${r.requests}`,
      met: r.errors === 0,
    });
  } else na('rolling-restart target', 'scenario not run');

  const big = find(results.scale, 'peak-ewma-10000');
  if (big) {
    out.push({
      target: 'scale: pick <= 2 us at 10,000 endpoints (peak-EWMA)',
      measured: `${String(big['pick_ns'])} ns`,
      met: Number(big['pick_ns']) <= 2_000,
    });
    const all10k = (results.scale?.variants ?? []).filter((x) => x['endpoints'] === 10_000);
    out.push({
      target: 'scale: a full update of 10,000 endpoints < 100 ms',
      measured: all10k.map((x) => `${x.name} ${String(x['update_ms'])} ms`).join('; '),
      met: all10k.every((x) => Number(x['update_ms']) < 100),
    });
  } else na('scale targets', 'scenario not run');
  return out;
}

function table(result: ScenarioResult): string {
  const extraKeys: Record<ScenarioName, string[]> = {
    overhead: ['client_cpu_s_per_10k', 'proxy_cpu_s_per_10k'],
    'slow-replica': [],
    failover: ['stop_ms', 'victim_requests_after_event'],
    'rolling-restart': [],
    scale: ['endpoints', 'pick_ns', 'heap_mb', 'update_ms'],
  };
  const columns = [
    'name',
    'p50_ms',
    'p99_ms',
    'p999_ms',
    'rps',
    'requests',
    'errors',
    'cpu_s_per_10k',
    ...extraKeys[result.scenario],
  ];
  const lines = [
    `| ${columns.join(' | ')} |`,
    `| ${columns.map((c) => (c === 'name' ? '---' : '---:')).join(' | ')} |`,
  ];
  for (const variant of result.variants) {
    lines.push(`| ${columns.map((c) => String(variant[c] ?? '')).join(' | ')} |`);
  }
  return lines.join('\n');
}

/** Charts for one scenario, and the summary over every scenario result in the directory. */
export function writeSummary(outDir: string, quick: boolean): void {
  const results: Partial<Record<ScenarioName, ScenarioResult>> = {};
  for (const name of SCENARIOS) {
    const result = readScenario(outDir, name);
    if (result) results[name] = result;
  }
  const sections: string[] = [];
  for (const name of SCENARIOS) {
    const result = results[name];
    if (!result) continue;
    const charts = chartsFor(result);
    for (const chart of charts) writeFileSync(join(outDir, chart.file), chart.svg);
    sections.push(
      `## ${name}\n\n${table(result)}\n\n${charts.map((c) => `![${c.file}](${c.file})`).join('\n')}` +
        (result.skipped?.length
          ? `\n\nSkipped: ${result.skipped.map((x) => `${x.name} (${x.reason})`).join(', ')}`
          : ''),
    );
  }
  const first = Object.values(results)[0];
  const rows = verdicts(results).map(
    (v) =>
      `| ${v.target} | ${v.measured} | ${v.met === undefined ? 'not measured' : v.met ? 'met' : '**not met**'} |`,
  );
  const markdown = `# Benchmark results

${quick ? '**Smoke run (`--quick`): figures are not meaningful, only the harness is.**\n\n' : ''}Machine: ${first ? `${first.machine.cpus} CPUs, Node.js ${first.machine.node}` : 'n/a'}.
The load generator, the replicas and the proxies share these CPUs. How to read and reproduce
these figures: [docs/performance.md](../../docs/performance.md). Times are milliseconds; CPU is
client (+ proxy, for the proxy hops) CPU seconds per 10,000 requests.

## Targets

| target | measured | status |
| --- | --- | --- |
${rows.join('\n')}

${sections.join('\n\n')}
`;
  writeFileSync(join(outDir, 'README.md'), markdown);
}
