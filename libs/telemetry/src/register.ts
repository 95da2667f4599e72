// ESM preload: `node --import @trellis/telemetry/register app.js`.
//
// Under ESM, patching a package such as express needs a module loader hook: without it `import
// express from 'express'` hands the app an unpatched module and Express spans never appear. The
// hook is registered here, before the instrumentations are created and before any app module
// is imported, and told to wrap only the modules an instrumentation asked for.
import { createRequire, register } from 'node:module';
import { pathToFileURL } from 'node:url';
import { diag } from '@opentelemetry/api';
import { installDefaultDiagLogger, isTelemetryDisabled, startTelemetry } from './sdk.js';

interface AddHookMessageChannel {
  registerOptions: { data?: unknown; transferList?: unknown[] };
  waitForAllMessagesAcknowledged(): Promise<void>;
}

/**
 * Registers the loader hook of the very `@opentelemetry/instrumentation` (and so the very
 * `import-in-the-middle`) the instrumentations use, found from where they are installed: the
 * hook and the instrumentations must share one copy for the hook to see their requests.
 */
async function registerLoaderHook(): Promise<() => Promise<void>> {
  const fromHere = createRequire(import.meta.url);
  const fromInstrumentation = createRequire(
    fromHere.resolve('@opentelemetry/instrumentation-express'),
  );
  const hookPath = fromInstrumentation.resolve('@opentelemetry/instrumentation/hook.mjs');
  const iitmPath = createRequire(hookPath).resolve('import-in-the-middle');
  const iitm = (await import(pathToFileURL(iitmPath).href)) as {
    createAddHookMessageChannel(): AddHookMessageChannel;
  };
  const { registerOptions, waitForAllMessagesAcknowledged } = iitm.createAddHookMessageChannel();
  register(pathToFileURL(hookPath), import.meta.url, registerOptions);
  return waitForAllMessagesAcknowledged;
}

if (isTelemetryDisabled()) {
  startTelemetry(); // records `disabled`; starts nothing
} else {
  installDefaultDiagLogger();
  let loaderReady: () => Promise<void> = () => Promise.resolve();
  try {
    loaderReady = await registerLoaderHook();
  } catch (error) {
    diag.warn(
      `@trellis/telemetry: no ESM loader hook (${String(error)}); modules imported as ESM will not be instrumented`,
    );
  }
  startTelemetry();
  // Every module an instrumentation asked for is known to the hook before the app imports it.
  await loaderReady();
}
