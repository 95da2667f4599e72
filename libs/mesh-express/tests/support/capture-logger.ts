import type { ServerLogger } from '../../src/index.js';

export interface LogEntry {
  level: 'debug' | 'info' | 'warn' | 'error';
  fields: Record<string, unknown>;
  msg: string;
}

/** A logger that keeps what it is given, for assertions. */
export function captureLogger(): ServerLogger & { entries: LogEntry[]; messages(): string[] } {
  const entries: LogEntry[] = [];
  const at =
    (level: LogEntry['level']) =>
    (fields: object, msg: string): void => {
      entries.push({ level, fields: fields as Record<string, unknown>, msg });
    };
  return {
    entries,
    messages: () => entries.map((entry) => entry.msg),
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
  };
}
