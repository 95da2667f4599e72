// Starts one loadgen replica: it walks the shop through the storefront until it is stopped.
import { Counter } from 'prom-client';
import { runService } from '@trellis/shop-kit';
import { buildApp } from './app.js';
import { loadConfig, type LoadgenConfig } from './config.js';
import { LoadGenerator } from './load-generator.js';

// runService reads the environment (exiting 2 on a wrong value) before it builds the app.
let config: LoadgenConfig | undefined;

void runService({
  service: 'loadgen',
  loadConfig: (env) => (config = loadConfig(env)),
  buildApp: (parts) => {
    const journeys = new Counter({
      name: 'loadgen_journeys_total',
      help: 'Journeys the loadgen finished, by kind and outcome',
      labelNames: ['kind', 'outcome'],
      registers: [parts.metrics],
    });
    const generator = new LoadGenerator({
      storefront: parts.mesh.client('storefront'),
      rps: config!.rps,
      mix: config!.mix,
      maxInFlight: config!.maxInFlight,
      users: config!.users,
      onJourneyEnd: (kind, outcome) => journeys.inc({ kind, outcome }),
    });
    // The drain runs on the same signals; no new journeys start once it has begun.
    for (const signal of ['SIGTERM', 'SIGINT'] as const)
      process.once(signal, () => generator.stop());
    generator.start();
    return buildApp({ ...parts, generator });
  },
});
