import type { RandomSource } from '../clock.js';
import type { EndpointState } from '../endpoint-state.js';
import type { Balancer, PickContext } from './balancer.js';
import { PeakEwmaBalancer } from './peak-ewma.js';
import { nextNotAvoided } from './round-robin.js';

const minimumTableSize = 65_537;
const slotsPerEndpoint = 100;
const maxWeightRatio = 1024;
const offsetSeed = 0x9e3779b9;
const skipSeed = 0x85ebca6b;
const requestSeed = 0xc2b2ae35;

/** 32-bit string hash: FNV-1a over UTF-16 code units, then murmur3's finalizer for avalanche. */
function hashString(text: string, seed: number): number {
  let hash = (0x811c9dc5 ^ seed) >>> 0;
  for (let index = 0; index < text.length; index++) {
    hash ^= text.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193);
  }
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return hash >>> 0;
}

function isPrime(value: number): boolean {
  if (value < 2) return false;
  if (value % 2 === 0) return value === 2;
  for (let divisor = 3; divisor * divisor <= value; divisor += 2) {
    if (value % divisor === 0) return false;
  }
  return true;
}

const primeAbove = new Map<number, number>();

/**
 * Maglev lookup table size for a number of endpoints: the smallest prime at or above the power of
 * two that holds 100 slots per endpoint, and at least 65537. Tying the size to powers of two
 * rather than to the exact count keeps it unchanged across ordinary membership changes (a new
 * size reshuffles every key), and makes it a function of the count alone, so every client maps a
 * key to the same endpoint. At 10,000 endpoints the table has 1,048,583 slots (4 MB).
 */
export function maglevTableSize(endpointCount: number): number {
  let power = 65_536;
  while (power < endpointCount * slotsPerEndpoint) power *= 2;
  let size = primeAbove.get(power);
  if (size === undefined) {
    size = Math.max(power, minimumTableSize);
    while (!isPrime(size)) size++;
    primeAbove.set(power, size);
  }
  return size;
}

/** An endpoint's share of table slots: its weight when positive and finite, else none. */
function slotWeight(endpoint: EndpointState): number {
  const weight = endpoint.weight;
  return Number.isFinite(weight) && weight > 0 ? weight : 0;
}

/** `a x b mod m` for a, b < m < 2^26: exact in doubles, and faster than `%` on large products. */
function multiplyMod(a: number, b: number, modulus: number): number {
  const product = a * b;
  return product - Math.floor(product / modulus) * modulus;
}

/** The x with `value x x = 1 mod modulus`, for a prime modulus (extended Euclid). */
function modularInverse(value: number, modulus: number): number {
  let remainder = value;
  let nextRemainder = modulus;
  let coefficient = 1;
  let nextCoefficient = 0;
  while (nextRemainder !== 0) {
    const quotient = Math.floor(remainder / nextRemainder);
    const newRemainder = remainder - quotient * nextRemainder;
    const newCoefficient = coefficient - quotient * nextCoefficient;
    remainder = nextRemainder;
    nextRemainder = newRemainder;
    coefficient = nextCoefficient;
    nextCoefficient = newCoefficient;
  }
  return ((coefficient % modulus) + modulus) % modulus;
}

/**
 * Fills a Maglev table: each endpoint walks its own permutation of the slots (offset + j x skip,
 * a full cycle because the size is prime) and, in turns, claims the first slot of it still free.
 * Turns come in rounds; with weights scaled so the largest is 1, an endpoint's k-th turn falls in
 * round floor(k / weight), so weight 3 takes three turns for every one of weight 1. Endpoints wait
 * in a ring of per-round buckets, so a round costs only the turns taken in it.
 */
function buildMaglevTable(endpoints: readonly EndpointState[], size: number): Int32Array {
  const count = endpoints.length;
  let weights = endpoints.map(slotWeight);
  if (!weights.some((weight) => weight > 0)) weights = weights.map(() => 1);
  const largest = weights.reduce((most, weight) => Math.max(most, weight), 0);
  // Bounds the ring of rounds: anything lighter counts as 1/1024 of the heaviest endpoint.
  const lightest = largest / maxWeightRatio;
  weights = weights.map((weight) => (weight > 0 ? Math.max(weight, lightest) : 0));
  const smallest = weights.reduce(
    (least, weight) => (weight > 0 ? Math.min(least, weight) : least),
    largest,
  );
  const roundsBetweenTurns = Float64Array.from(weights, (weight) =>
    weight > 0 ? largest / weight : 0,
  );
  const ring: number[][] = Array.from({ length: Math.ceil(largest / smallest) + 1 }, () => []);
  const offset = new Int32Array(count);
  const skip = new Int32Array(count);
  for (let index = 0; index < count; index++) {
    if (weights[index] === 0) continue;
    const key = endpoints[index].key;
    offset[index] = hashString(key, offsetSeed) % size;
    skip[index] = (hashString(key, skipSeed) % (size - 1)) + 1;
    ring[0].push(index);
  }
  const everyone = ring[0].slice();
  const equalWeights = largest === smallest;
  const position = Int32Array.from(offset);
  const taken = new Uint32Array(Math.ceil(size / 32));
  const turnsTaken = new Float64Array(count);
  const inverseSkip = new Float64Array(count);
  const table = new Int32Array(size);
  // Walking a permutation costs size / free probes, so once few slots are free it is cheaper to
  // scan them for the one earliest in the permutation: j = (slot - offset) / skip mod size.
  const scanBelow = Math.ceil(2 * Math.sqrt(size));
  let free: number[] | undefined;
  let filled = 0;

  const claimEarliestFree = (index: number, slots: number[]): number => {
    if (inverseSkip[index] === 0) inverseSkip[index] = modularInverse(skip[index], size);
    const inverse = inverseSkip[index];
    let earliest = 0;
    let earliestStep = Infinity;
    for (let candidate = 0; candidate < slots.length; candidate++) {
      const distance = slots[candidate] - offset[index];
      const step = multiplyMod(distance < 0 ? distance + size : distance, inverse, size);
      if (step < earliestStep) {
        earliest = candidate;
        earliestStep = step;
      }
    }
    const slot = slots[earliest];
    slots[earliest] = slots[slots.length - 1];
    slots.pop();
    return slot;
  };

  for (let round = 0; ; round++) {
    const turns = equalWeights ? everyone : ring[round % ring.length];
    for (let turn = 0; turn < turns.length; turn++) {
      const index = turns[turn];
      if (free) {
        table[claimEarliestFree(index, free)] = index;
      } else {
        let slot = position[index];
        const step = skip[index];
        while ((taken[slot >>> 5] & (1 << (slot & 31))) !== 0) {
          slot += step;
          if (slot >= size) slot -= size;
        }
        taken[slot >>> 5] |= 1 << (slot & 31);
        table[slot] = index;
        const next = slot + step;
        position[index] = next >= size ? next - size : next;
      }
      if (++filled === size) return table;
      if (!free && size - filled <= scanBelow) {
        free = [];
        for (let slot = 0; slot < size; slot++) {
          if ((taken[slot >>> 5] & (1 << (slot & 31))) === 0) free.push(slot);
        }
      }
      if (equalWeights) continue;
      turnsTaken[index]++;
      const dueRound = Math.floor(turnsTaken[index] * roundsBetweenTurns[index]);
      ring[dueRound % ring.length].push(index);
    }
    if (!equalWeights) turns.length = 0;
  }
}

function byKey(a: EndpointState, b: EndpointState): number {
  return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}

function sameMembers(a: readonly EndpointState[], b: readonly EndpointState[]): boolean {
  if (a.length !== b.length) return false;
  for (let index = 0; index < a.length; index++) {
    if (a[index].key !== b[index].key || slotWeight(a[index]) !== slotWeight(b[index])) {
      return false;
    }
  }
  return true;
}

/**
 * Maglev consistent hashing on `hashKey`: the same key reaches the same endpoint while it stays
 * eligible, and a change of one in N endpoints moves about 1/N of the keys. The table depends only
 * on the endpoint keys and weights (endpoints are sorted by key first), so every client agrees.
 * Requests without a key are balanced by peak-EWMA; a key whose endpoint is in `avoid` goes to the
 * next distinct endpoint along the table, the same one on every retry.
 */
export class ConsistentHashBalancer implements Balancer {
  readonly name = 'consistent-hash';
  #endpoints: readonly EndpointState[] = [];
  #table: Int32Array = new Int32Array(0);
  /** Endpoints that own table slots, by key. */
  #slotted = new Set<string>();
  readonly #withoutKey: PeakEwmaBalancer;

  constructor(random: RandomSource) {
    this.#withoutKey = new PeakEwmaBalancer(random);
  }

  update(eligible: readonly EndpointState[], all: readonly EndpointState[]): void {
    this.#withoutKey.update(eligible, all);
    const sorted = eligible.slice().sort(byKey);
    const unchanged = sameMembers(sorted, this.#endpoints);
    this.#endpoints = sorted;
    if (unchanged) return;
    if (sorted.length === 0) {
      this.#table = new Int32Array(0);
      this.#slotted = new Set();
      return;
    }
    this.#table = buildMaglevTable(sorted, maglevTableSize(sorted.length));
    const anyWeighted = sorted.some((endpoint) => slotWeight(endpoint) > 0);
    this.#slotted = new Set(
      sorted.filter((endpoint) => !anyWeighted || slotWeight(endpoint) > 0).map((e) => e.key),
    );
  }

  pick(context: PickContext): EndpointState | undefined {
    const endpoints = this.#endpoints;
    if (endpoints.length === 0) return undefined;
    if (context.hashKey === undefined) return this.#withoutKey.pick(context);
    const table = this.#table;
    let slot = hashString(context.hashKey, requestSeed) % table.length;
    const chosen = endpoints[table[slot]];
    const avoid = context.avoid;
    if (!avoid || !avoid.has(chosen.key)) return chosen;
    if (!this.#anySlottedFree(avoid)) {
      const free = nextNotAvoided(endpoints, 0, avoid);
      return free >= 0 ? endpoints[free] : chosen;
    }
    for (;;) {
      slot = slot + 1 === table.length ? 0 : slot + 1;
      const next = endpoints[table[slot]];
      if (!avoid.has(next.key)) return next;
    }
  }

  #anySlottedFree(avoid: ReadonlySet<string>): boolean {
    let avoided = 0;
    for (const key of avoid) if (this.#slotted.has(key)) avoided++;
    return avoided < this.#slotted.size;
  }
}
