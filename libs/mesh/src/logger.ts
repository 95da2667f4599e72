/** The subset of a pino logger the mesh writes to; pass your pino instance as is. */
export interface MeshLogger {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

const noop = (): void => undefined;

/** Default logger: warnings and errors as one JSON line each on stderr, nothing else. */
export const stderrLogger: MeshLogger = {
  debug: noop,
  info: noop,
  warn: (obj, msg) => writeLine('warn', obj, msg),
  error: (obj, msg) => writeLine('error', obj, msg),
};

export const silentLogger: MeshLogger = { debug: noop, info: noop, warn: noop, error: noop };

function writeLine(level: string, obj: object, msg: string): void {
  const fields = obj instanceof Error ? { err: { message: obj.message } } : obj;
  process.stderr.write(
    `${JSON.stringify({ level, time: Date.now(), name: 'trellis-mesh', msg, ...fields })}\n`,
  );
}
