import { closeSync, openSync, readSync, statSync } from 'node:fs';

const TAIL_BYTES = 16 * 1024;
const LINE_WIDTH = 300;

/** A log line made readable: a pino JSON line becomes its message (and error), others stay as is. */
export function readableLogLine(line: string): string {
  let text = line;
  try {
    const entry = JSON.parse(line) as { msg?: unknown; err?: { message?: unknown } };
    if (typeof entry.msg === 'string') {
      const error = typeof entry.err?.message === 'string' ? entry.err.message : undefined;
      text = error && !entry.msg.includes(error) ? `${entry.msg}: ${error}` : entry.msg;
    }
  } catch {
    // Not JSON: a stack trace or a plain line, shown as it is.
  }
  return text.length > LINE_WIDTH ? `${text.slice(0, LINE_WIDTH - 3)}...` : text;
}

/** The last `count` non-empty lines of a log file, made readable; [] when there is none. */
export function readLogTail(file: string, count = 10): string[] {
  let descriptor: number;
  try {
    descriptor = openSync(file, 'r');
  } catch {
    return [];
  }
  try {
    const size = statSync(file).size;
    const length = Math.min(size, TAIL_BYTES);
    const buffer = Buffer.alloc(length);
    readSync(descriptor, buffer, 0, length, size - length);
    const lines = buffer.toString('utf8').split('\n');
    // The first line may be cut in the middle when the file is longer than the tail.
    if (size > length) lines.shift();
    return lines
      .filter((line) => line.trim() !== '')
      .slice(-count)
      .map(readableLogLine);
  } finally {
    closeSync(descriptor);
  }
}
