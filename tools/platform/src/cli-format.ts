import type { ChaosResult, Knobs, LoadStatus, PlatformStatus, ReplicaStatus } from './status.js';
import type { Painter } from './terminal.js';

const PLAIN: Painter = {
  green: (text) => text,
  red: (text) => text,
  yellow: (text) => text,
  dim: (text) => text,
  bold: (text) => text,
};

/** `latency 300ms, errors 50%, hang`, or `-` when every knob is off. */
export function formatKnobs(knobs: Knobs | null): string {
  if (knobs === null) return '-';
  const parts = [
    knobs.latencyMs > 0 ? `latency ${knobs.latencyMs}ms` : '',
    knobs.errorRate > 0 ? `errors ${Math.round(knobs.errorRate * 1_000) / 10}%` : '',
    knobs.hang ? 'hang' : '',
  ].filter(Boolean);
  return parts.length > 0 ? parts.join(', ') : '-';
}

function stateText(replica: ReplicaStatus): string {
  const restarted = replica.restarts > 0 ? ` (restarted ${replica.restarts}x)` : '';
  if (replica.state === 'exited' && replica.exitCode != null) {
    return `exited (code ${replica.exitCode})${restarted}`;
  }
  if (replica.state === 'exited' && replica.exitSignal != null) {
    return `exited (${replica.exitSignal})${restarted}`;
  }
  return `${replica.state}${restarted}`;
}

function stateColour(replica: ReplicaStatus, paint: Painter): (text: string) => string {
  if (replica.state === 'running') return paint.green;
  if (replica.state === 'killed' || replica.state === 'exited') return paint.red;
  return paint.yellow;
}

/** Columns padded to their widest cell; colour codes are added after padding, so they line up. */
function table(
  rows: string[][],
  colourCell: (row: number, column: number, text: string) => string,
) {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return rows
    .map((row, rowIndex) =>
      row
        .map((cell, column) => {
          const padded = column === row.length - 1 ? cell : cell.padEnd(widths[column]!);
          return colourCell(rowIndex, column, padded);
        })
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

export function formatLoad(load: LoadStatus | null): string {
  if (load === null) return 'load: no loadgen replica is running';
  const rate = load.rps === 0 ? 'paused' : `${load.rps} journeys/s`;
  const kinds = Object.entries(load.byKind)
    .map(([kind, counts]) => `${kind} ${counts.ok}/${counts.sent}`)
    .join(', ');
  const inFlight = load.inFlight ? `, ${load.inFlight} under way` : '';
  const lines = [
    `load: ${rate}, mix ${load.mix}`,
    `  sent ${load.sent}, ok ${load.ok}, failed ${load.failed}${inFlight} (ok/sent: ${kinds})`,
  ];
  const recent = load.recentFailures.slice(-3);
  if (recent.length > 0) {
    lines.push('  recent failures:');
    for (const failure of recent) {
      const time = failure.at.slice(11, 19);
      lines.push(`    ${time} ${failure.kind} ${failure.status ?? '-'} ${failure.message}`);
    }
  }
  return lines.join('\n');
}

/** `trellis status`: one row per replica, then what went wrong with exited ones, then the load. */
export function formatStatus(status: PlatformStatus, paint: Painter = PLAIN): string {
  const rows: string[][] = [['SERVICE', 'REPLICA', 'STATE', 'PID', 'URL', 'KNOBS']];
  const states: (ReplicaStatus | undefined)[] = [undefined];
  for (const service of status.services) {
    for (const replica of service.replicas) {
      rows.push([
        service.service,
        replica.replica,
        stateText(replica),
        replica.pid === null ? '-' : String(replica.pid),
        replica.url ?? '-',
        formatKnobs(replica.knobs),
      ]);
      states.push(replica);
    }
  }
  const lines = [
    `storefront: ${status.storefrontUrl ?? '-'}   dashboard: ${status.dashboardUrl ?? '-'}`,
    '',
  ];
  if (rows.length === 1) {
    lines.push('no replicas');
  } else {
    lines.push(
      table(rows, (row, column, text) => {
        if (row === 0) return paint.bold(text);
        return column === 2 ? stateColour(states[row]!, paint)(text) : text;
      }),
    );
  }
  for (const service of status.services) {
    for (const replica of service.replicas) {
      if (replica.state !== 'exited' || !replica.lastLines?.length) continue;
      lines.push('', `${replica.replica} ${stateText(replica)}; the end of ${replica.logFile}:`);
      for (const line of replica.lastLines) lines.push(`  ${line}`);
    }
  }
  lines.push('', formatLoad(status.load));
  return lines.join('\n');
}

export function formatChaos(result: ChaosResult): string {
  switch (result.action) {
    case 'kill':
      return `${result.replica} killed; it stays down until \`trellis chaos heal ${result.replica}\``;
    case 'heal':
      return `${result.replica} healed: running, knobs ${formatKnobs(result.knobs)}`;
    default:
      return `${result.replica}: knobs ${formatKnobs(result.knobs)}`;
  }
}
