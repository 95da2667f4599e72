import { diag, DiagConsoleLogger, DiagLogLevel } from '@opentelemetry/api';
import { ExpressInstrumentation } from '@opentelemetry/instrumentation-express';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { isInsideMeshAttempt } from '@trellis/mesh';

/**
 * Where the process's telemetry stands:
 * - `off`: nothing started it (no preload, no `startTelemetry()`);
 * - `disabled`: `OTEL_SDK_DISABLED=true`, nothing was started;
 * - `running`: the SDK is exporting;
 * - `failed`: starting threw; the app runs without telemetry (a warning was logged);
 * - `shut-down`: `shutdownTelemetry()` was called; spans are flushed and nothing more is exported.
 */
export type TelemetryStatus = 'off' | 'disabled' | 'running' | 'failed' | 'shut-down';

interface TelemetryRuntime {
  status: TelemetryStatus;
  sdk?: NodeSDK;
  shutdown?: Promise<void>;
}

// Kept on the global object so a second copy of this package in the process sees the same SDK.
const RUNTIME_KEY = Symbol.for('trellis.telemetry.runtime');
type GlobalWithRuntime = typeof globalThis & { [RUNTIME_KEY]?: TelemetryRuntime };

function runtime(): TelemetryRuntime {
  const holder = globalThis as GlobalWithRuntime;
  holder[RUNTIME_KEY] ??= { status: 'off' };
  return holder[RUNTIME_KEY];
}

/** True when `OTEL_SDK_DISABLED` is `true` (any case), as the OpenTelemetry specification reads it. */
export function isTelemetryDisabled(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true';
}

export function telemetryStatus(): TelemetryStatus {
  return runtime().status;
}

let defaultDiagLoggerInstalled = false;

/**
 * NodeSDK installs a diagnostic logger only when `OTEL_LOG_LEVEL` is set. Without one, export
 * failures and rejected settings would go unseen: default to warnings and errors, on stderr.
 */
export function installDefaultDiagLogger(): void {
  if (defaultDiagLoggerInstalled || process.env.OTEL_LOG_LEVEL !== undefined) return;
  defaultDiagLoggerInstalled = true;
  diag.setLogger(new DiagConsoleLogger(), {
    logLevel: DiagLogLevel.WARN,
    suppressOverrideMessage: true,
  });
}

/** The instrumentations every Trellis service gets: inbound and outbound HTTP, Express, fetch/undici. */
function instrumentations() {
  return [
    new HttpInstrumentation(),
    new ExpressInstrumentation(),
    new UndiciInstrumentation({
      // The mesh makes its own CLIENT span per attempt (with retry and endpoint attributes)
      // and injects the trace headers itself: one span per attempt, not two.
      ignoreRequestHook: () => isInsideMeshAttempt(),
    }),
  ];
}

/**
 * Starts the OpenTelemetry SDK for this process, configured only by the standard `OTEL_*`
 * variables. The preload (`@trellis/telemetry/register`) calls it before any app module loads;
 * call it yourself only where a preload is impossible, and before anything imports `http` or
 * `express`. Idempotent: a second call returns the current status and starts nothing.
 */
export function startTelemetry(): TelemetryStatus {
  const state = runtime();
  if (state.status !== 'off') return state.status;
  if (isTelemetryDisabled()) {
    state.status = 'disabled';
    return state.status;
  }
  installDefaultDiagLogger();
  try {
    const sdk = new NodeSDK({ instrumentations: instrumentations() });
    sdk.start();
    state.sdk = sdk;
    state.status = 'running';
  } catch (error) {
    diag.warn(
      `@trellis/telemetry: could not start OpenTelemetry, the process runs without it: ${String(error)}`,
    );
    state.status = 'failed';
    return state.status;
  }
  installShutdownHooks();
  return state.status;
}

/**
 * Flushes every span still buffered and stops the SDK. Call it at the end of a graceful drain,
 * after the server stopped taking requests and in-flight work finished, and await it before
 * `process.exit()`. Safe to call more than once (the same promise), when telemetry is off or
 * disabled (resolves at once), and it never rejects: an export that fails is logged as a warning.
 * How long it may take is bounded by `OTEL_BSP_EXPORT_TIMEOUT` and `OTEL_EXPORTER_OTLP_TIMEOUT`.
 */
export function shutdownTelemetry(): Promise<void> {
  const state = runtime();
  if (state.shutdown) return state.shutdown;
  const sdk = state.sdk;
  if (!sdk) return Promise.resolve();
  state.status = 'shut-down';
  state.shutdown = sdk.shutdown().catch((error: unknown) => {
    diag.warn(`@trellis/telemetry: shutting down OpenTelemetry failed: ${String(error)}`);
  });
  return state.shutdown;
}

/**
 * SIGTERM: if the app installed no SIGTERM listener of its own, flush, then let the signal do
 * what it does by default (terminate). An app with its own drain keeps control: it must call
 * `shutdownTelemetry()` itself. A natural end (the event loop empties) flushes too.
 */
function installShutdownHooks(): void {
  let flushing = false;
  const onSigterm = (): void => {
    const appListeners = process.listeners('SIGTERM').filter((listener) => listener !== onSigterm);
    if (appListeners.length > 0) return;
    const terminate = (): void => {
      process.removeListener('SIGTERM', onSigterm);
      process.kill(process.pid, 'SIGTERM');
    };
    // A second SIGTERM while flushing: stop waiting.
    if (flushing) return terminate();
    flushing = true;
    void shutdownTelemetry().finally(terminate);
  };
  process.on('SIGTERM', onSigterm);
  process.once('beforeExit', () => void shutdownTelemetry());
}
