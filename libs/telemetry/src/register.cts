// CommonJS preload: `node --require @trellis/telemetry/register app.cjs`. CommonJS modules are
// patched as they are required, so no loader hook is needed here.
import { startTelemetry } from './sdk.js';

startTelemetry();
