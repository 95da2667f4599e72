import { describe, expect, it } from 'vitest';
import { DEFAULT_MIX_TEXT, formatMix, parseMix, pickJourney } from '../src/load-mix.js';

describe('parseMix', () => {
  it('reads the default mix and writes it back the same', () => {
    const mix = parseMix(DEFAULT_MIX_TEXT);
    expect(mix).toEqual({ browse: 70, cart: 20, checkout: 10 });
    expect(formatMix(mix)).toBe(DEFAULT_MIX_TEXT);
  });

  it('gives kinds left out weight 0, in any order, with spaces around the parts', () => {
    expect(parseMix(' checkout = 1 , browse=3')).toEqual({ browse: 3, cart: 0, checkout: 1 });
    expect(formatMix(parseMix('cart=5'))).toBe('browse=0,cart=5,checkout=0');
  });

  it.each([
    ['', /the mix is empty/],
    ['browse', /"browse" is not kind=weight/],
    ['browse=70,', /"" is not kind=weight/],
    ['browse=-1', /"browse=-1" is not kind=weight/],
    ['browse=1.5', /"browse=1.5" is not kind=weight/],
    ['browse=12345', /"browse=12345" is not kind=weight/],
    ['search=10', /"search" is not a journey \(known: browse, cart, checkout\)/],
    ['cart=1,cart=2', /"cart" is given twice/],
    ['browse=0,cart=0', /every weight is 0/],
  ])('refuses %j: %s', (text, problem) => {
    expect(() => parseMix(text)).toThrow(problem);
    expect(() => parseMix(text)).toThrow(/like "browse=70,cart=20,checkout=10"/);
  });
});

describe('pickJourney', () => {
  it('picks each kind in proportion to its weight', () => {
    const mix = parseMix('browse=50,cart=30,checkout=20');
    expect(pickJourney(mix, 0)).toBe('browse');
    expect(pickJourney(mix, 0.49)).toBe('browse');
    expect(pickJourney(mix, 0.5)).toBe('cart');
    expect(pickJourney(mix, 0.79)).toBe('cart');
    expect(pickJourney(mix, 0.8)).toBe('checkout');
    expect(pickJourney(mix, 0.999_999)).toBe('checkout');
  });

  it('never picks a kind with weight 0', () => {
    const mix = parseMix('browse=0,cart=1,checkout=0');
    for (const roll of [0, 0.25, 0.5, 0.75, 0.999_999]) expect(pickJourney(mix, roll)).toBe('cart');
  });
});
