import type { RandomSource } from '../clock.js';
import type { EndpointState } from '../endpoint-state.js';
import { invalidBalancerOption } from './balancer-options.js';
import type {
  Balancer,
  BalancerContext,
  BalancerFactory,
  BalancerSpec,
  PickContext,
} from './balancer.js';
import { nextNotAvoided } from './round-robin.js';

export const weightedOptionNames = ['by', 'split', 'within'] as const;

/** Builds the balancer used inside each group; the registry's `createBalancer`. */
type BuildBalancer = (spec: BalancerSpec, context: BalancerContext) => Balancer;

function usableWeight(weight: number): boolean {
  return Number.isFinite(weight) && weight > 0;
}

/**
 * Random in proportion to each endpoint's `weight`, drawn in O(1) from an alias table (Vose).
 * Endpoints of weight 0 get traffic only when no endpoint has a positive weight, and then all
 * get equal shares.
 */
export class WeightedBalancer implements Balancer {
  readonly name = 'weighted';
  #eligible: readonly EndpointState[] = [];
  /** The endpoints the alias table draws from. */
  #drawable: readonly EndpointState[] = [];
  #probability = new Float64Array(0);
  #alias = new Int32Array(0);

  constructor(private readonly random: RandomSource) {}

  update(eligible: readonly EndpointState[], _all: readonly EndpointState[]): void {
    this.#eligible = eligible.slice();
    const weighted = eligible.filter((endpoint) => usableWeight(endpoint.weight));
    this.#drawable = weighted.length > 0 ? weighted : this.#eligible;
    const weights = this.#drawable.map((endpoint) => (weighted.length > 0 ? endpoint.weight : 1));
    this.#buildAliasTable(weights);
  }

  pick(context: PickContext): EndpointState | undefined {
    const drawable = this.#drawable;
    if (drawable.length === 0) return undefined;
    const avoid = context.avoid;
    const chosen = this.#draw();
    if (!avoid || !avoid.has(drawable[chosen].key)) return drawable[chosen];
    const second = this.#draw();
    if (!avoid.has(drawable[second].key)) return drawable[second];
    const free = nextNotAvoided(drawable, second, avoid);
    if (free >= 0) return drawable[free];
    const anyFree = nextNotAvoided(this.#eligible, 0, avoid);
    return anyFree >= 0 ? this.#eligible[anyFree] : drawable[chosen];
  }

  #draw(): number {
    const count = this.#drawable.length;
    // One random number serves both draws: its integer part picks a column, the rest a side.
    const scaled = this.random() * count;
    const column = Math.min(count - 1, Math.floor(scaled));
    return scaled - column < this.#probability[column] ? column : this.#alias[column];
  }

  #buildAliasTable(weights: readonly number[]): void {
    const count = weights.length;
    const probability = new Float64Array(count);
    const alias = new Int32Array(count);
    const total = weights.reduce((sum, weight) => sum + weight, 0);
    const scaled = Float64Array.from(weights, (weight) => (weight * count) / total);
    const small: number[] = [];
    const large: number[] = [];
    for (let index = 0; index < count; index++) {
      (scaled[index] < 1 ? small : large).push(index);
    }
    while (small.length > 0 && large.length > 0) {
      const under = small.pop() as number;
      const over = large.pop() as number;
      probability[under] = scaled[under];
      alias[under] = over;
      scaled[over] = scaled[over] + scaled[under] - 1;
      (scaled[over] < 1 ? small : large).push(over);
    }
    // Whatever is left is 1 up to rounding error.
    for (const index of large) probability[index] = 1;
    for (const index of small) probability[index] = 1;
    this.#probability = probability;
    this.#alias = alias;
  }
}

interface SplitGroup {
  readonly label: string;
  readonly share: number;
  readonly balancer: Balancer;
  eligible: EndpointState[];
  all: EndpointState[];
}

/**
 * Canary split: traffic divided between groups of endpoints by a metadata label (`by`) in the
 * given relative shares, balanced inside each group by `within`. A group with no eligible endpoint
 * gives its share to the others. Endpoints whose label has no positive share get traffic only when
 * no group with a share has an eligible endpoint; `avoid` moves a retry to another group, never
 * onto them, so a version left out of the split is not exposed by retries.
 */
export class SplitBalancer implements Balancer {
  readonly name = 'weighted';
  readonly #groups: readonly SplitGroup[];
  readonly #groupsByLabel: ReadonlyMap<string, SplitGroup>;
  readonly #unshared: Balancer;
  #present: SplitGroup[] = [];
  #cumulativeShares: number[] = [];

  constructor(
    private readonly by: string,
    split: ReadonlyMap<string, number>,
    createWithin: () => Balancer,
    private readonly random: RandomSource,
  ) {
    this.#groups = [...split]
      .filter(([, share]) => share > 0)
      .map(([label, share]) => ({ label, share, balancer: createWithin(), eligible: [], all: [] }));
    this.#groupsByLabel = new Map(this.#groups.map((group) => [group.label, group]));
    this.#unshared = createWithin();
  }

  update(eligible: readonly EndpointState[], all: readonly EndpointState[]): void {
    for (const group of this.#groups) {
      group.eligible = [];
      group.all = [];
    }
    for (const endpoint of all) this.#groupOf(endpoint)?.all.push(endpoint);
    for (const endpoint of eligible) this.#groupOf(endpoint)?.eligible.push(endpoint);
    this.#present = this.#groups.filter((group) => group.eligible.length > 0);
    let total = 0;
    this.#cumulativeShares = this.#present.map((group) => (total += group.share));
    for (const group of this.#groups) group.balancer.update(group.eligible, group.all);
    this.#unshared.update(this.#present.length > 0 ? [] : eligible, all);
  }

  pick(context: PickContext): EndpointState | undefined {
    const present = this.#present;
    if (present.length === 0) return this.#unshared.pick(context);
    const cumulative = this.#cumulativeShares;
    const target = this.random() * cumulative[cumulative.length - 1];
    let index = 0;
    while (index < present.length - 1 && target >= cumulative[index]) index++;
    const chosen = present[index].balancer.pick(context);
    const avoid = context.avoid;
    if (!chosen || !avoid || !avoid.has(chosen.key)) return chosen;
    for (const group of present) {
      if (group === present[index]) continue;
      const alternative = group.balancer.pick(context);
      if (alternative && !avoid.has(alternative.key)) return alternative;
    }
    return chosen;
  }

  #groupOf(endpoint: EndpointState): SplitGroup | undefined {
    const label = endpoint.endpoint.metadata?.[this.by];
    return label === undefined ? undefined : this.#groupsByLabel.get(label);
  }
}

function readSplit(value: unknown, context: BalancerContext): Map<string, number> {
  const allowed = 'an object of labels to relative shares, e.g. { v1: 90, v2: 10 }';
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw invalidBalancerOption('weighted', context, 'split', value, allowed);
  }
  const split = new Map(Object.entries(value));
  for (const [label, share] of split) {
    if (typeof share !== 'number' || !Number.isFinite(share) || share < 0) {
      throw invalidBalancerOption(
        'weighted',
        context,
        `split.${label}`,
        share,
        'a finite number >= 0',
      );
    }
  }
  if (![...split.values()].some((share) => share > 0)) {
    throw invalidBalancerOption(
      'weighted',
      context,
      'split',
      value,
      `${allowed}, with at least one share above 0`,
    );
  }
  return split as Map<string, number>;
}

/**
 * `{ name: 'weighted' }` balances by endpoint weight; `{ name: 'weighted', by, split, within }`
 * is a canary split by a metadata label, balanced inside each group by `within` (default
 * peak-ewma).
 */
export function weightedBalancerFactory(build: BuildBalancer): BalancerFactory {
  return (options, context) => {
    const { by, split, within } = options;
    if (by === undefined && split === undefined) {
      if (within !== undefined) {
        throw invalidBalancerOption(
          'weighted',
          context,
          'within',
          within,
          'left out unless "by" and "split" are set',
        );
      }
      return new WeightedBalancer(context.random);
    }
    if (typeof by !== 'string' || by === '') {
      throw invalidBalancerOption(
        'weighted',
        context,
        'by',
        by,
        'a metadata key such as "version", with "split"',
      );
    }
    const shares = readSplit(split, context);
    const withinSpec = (within ?? 'peak-ewma') as BalancerSpec;
    return new SplitBalancer(by, shares, () => build(withinSpec, context), context.random);
  };
}
