import { MeshConfigError } from '../errors.js';
import type { Balancer, BalancerContext, BalancerFactory, BalancerSpec } from './balancer.js';
import { ConsistentHashBalancer } from './consistent-hash.js';
import { LeastRequestBalancer } from './least-request.js';
import { PeakEwmaBalancer } from './peak-ewma.js';
import { RandomBalancer } from './random.js';
import { RoundRobinBalancer } from './round-robin.js';
import { weightedBalancerFactory, weightedOptionNames } from './weighted.js';
import { zoneAwareBalancerFactory, zoneAwareOptionNames } from './zone-aware.js';

/** The balancer an upstream uses when its configuration names none. */
export const defaultBalancer: BalancerSpec = 'peak-ewma';

function invalidOptions(context: BalancerContext, message: string, advice: string) {
  return new MeshConfigError('ERR_INVALID_BALANCER_OPTIONS', message, {
    upstream: context.upstream,
    advice,
  });
}

/** Rejects options a built-in balancer does not know, so a misspelt option is not ignored. */
function acceptingOnly(
  name: string,
  known: readonly string[],
  factory: BalancerFactory,
): BalancerFactory {
  return (options, context) => {
    for (const option of Object.keys(options)) {
      if (!known.includes(option)) {
        throw invalidOptions(
          context,
          `Balancer "${name}" has no option "${option}"`,
          known.length === 0
            ? `"${name}" takes no options: use the name alone`
            : `the options of "${name}" are ${known.join(', ')}`,
        );
      }
    }
    return factory(options, context);
  };
}

/** Each built-in strategy: its name, the options it accepts, and its factory. */
const builtins: [string, readonly string[], BalancerFactory][] = [
  ['round-robin', [], (_options, context) => new RoundRobinBalancer(context.random)],
  ['random', [], (_options, context) => new RandomBalancer(context.random)],
  ['least-request', [], (_options, context) => new LeastRequestBalancer(context.random)],
  ['peak-ewma', [], (_options, context) => new PeakEwmaBalancer(context.random)],
  ['consistent-hash', [], (_options, context) => new ConsistentHashBalancer(context.random)],
  ['weighted', weightedOptionNames, weightedBalancerFactory(createBalancer)],
  ['zone-aware', zoneAwareOptionNames, zoneAwareBalancerFactory(createBalancer)],
];

const registry = new Map<string, BalancerFactory>(
  builtins.map(([name, options, factory]) => [name, acceptingOnly(name, options, factory)]),
);

/** Names `createBalancer` accepts: the built-ins and any registered since. */
export function balancerNames(): string[] {
  return [...registry.keys()];
}

/**
 * Makes a balancer available by name, in upstream configuration and in `within` specs. Names are
 * unique: a built-in cannot be replaced.
 */
export function registerBalancer(name: string, factory: BalancerFactory): void {
  if (typeof name !== 'string' || name === '' || typeof factory !== 'function') {
    throw new MeshConfigError('ERR_INVALID_BALANCER_OPTIONS', 'Cannot register a balancer', {
      advice: 'pass a non-empty name and a factory function (options, context) => Balancer',
    });
  }
  if (registry.has(name)) {
    throw new MeshConfigError('ERR_DUPLICATE_BALANCER', `A balancer named "${name}" exists`, {
      advice: `choose another name; taken: ${balancerNames().join(', ')}`,
    });
  }
  registry.set(name, factory);
}

function readSpec(
  spec: unknown,
  context: BalancerContext,
): { name: string; options: Record<string, unknown> } {
  if (typeof spec === 'string') return { name: spec, options: {} };
  if (spec !== null && typeof spec === 'object' && !Array.isArray(spec)) {
    const { name, ...options } = spec as Record<string, unknown>;
    if (typeof name === 'string') return { name, options };
  }
  const given = spec === null ? 'null' : Array.isArray(spec) ? 'an array' : typeof spec;
  throw invalidOptions(
    context,
    `A balancer spec must be a name or an object with a string "name", not ${given}`,
    `give a balancer name such as "peak-ewma", or an object { name: "weighted", ...options }`,
  );
}

/** Builds the balancer a spec names, with its options validated. */
export function createBalancer(spec: BalancerSpec, context: BalancerContext): Balancer {
  const { name, options } = readSpec(spec, context);
  const factory = registry.get(name);
  if (!factory) {
    throw new MeshConfigError(
      'ERR_UNKNOWN_BALANCER',
      `Unknown balancer "${name}"; known balancers: ${balancerNames().join(', ')}`,
      {
        upstream: context.upstream,
        advice: 'use one of the known names, or register your own with registerBalancer() first',
      },
    );
  }
  return factory(options, context);
}
