import { describe, expect, it } from 'vitest';
import { CLAIM_TTL_MS } from '../src/cart.js';
import { MemoryCartStore } from '../src/memory-cart-store.js';

describe('MemoryCartStore claims', () => {
  it('remember a checkout for 24 hours, then forget it', async () => {
    let now = 1_000_000;
    const store = new MemoryCartStore({ now: () => now });
    await store.setItem('ada', 'tea-01', 2);
    expect(await store.claim('ada', 'checkout-1')).toEqual({
      kind: 'claimed',
      items: [{ sku: 'tea-01', qty: 2 }],
    });

    now += CLAIM_TTL_MS - 1;
    expect((await store.claim('ada', 'checkout-1')).kind).toBe('replayed');

    now += 1;
    // Forgotten: the key claims what the cart holds now (nothing), and cannot put anything back.
    expect(await store.claim('ada', 'checkout-1')).toEqual({ kind: 'empty' });
    expect(await store.release('ada', 'checkout-1')).toEqual({ kind: 'unknown' });
  });

  it('forget a released checkout at the same time as any other', async () => {
    let now = 0;
    const store = new MemoryCartStore({ now: () => now, claimTtlMs: 1_000 });
    await store.setItem('ada', 'tea-01', 2);
    await store.claim('ada', 'checkout-1');
    now = 500;
    expect((await store.release('ada', 'checkout-1')).kind).toBe('released');
    expect((await store.release('ada', 'checkout-1')).kind).toBe('already-released');
    now = 1_000;
    expect(await store.release('ada', 'checkout-1')).toEqual({ kind: 'unknown' });
    expect(await store.get('ada')).toEqual([{ sku: 'tea-01', qty: 2 }]);
  });

  it('hand out copies, so changing an answer changes nothing stored', async () => {
    const store = new MemoryCartStore();
    await store.setItem('ada', 'tea-01', 2);
    const claimed = await store.claim('ada', 'checkout-1');
    if (claimed.kind !== 'claimed') throw new Error(`expected a claim, got ${claimed.kind}`);
    claimed.items[0]!.qty = 99;
    const replayed = await store.claim('ada', 'checkout-1');
    expect(replayed).toEqual({ kind: 'replayed', items: [{ sku: 'tea-01', qty: 2 }] });
  });
});
