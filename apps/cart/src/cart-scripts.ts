import { LuaScript } from './lua-script.js';

// Each script reads a cart's hash (sku -> qty) and, for claims, the claim's JSON string
// `{ "state": "claimed" | "released", "items": [{ "sku", "qty" }] }`, and answers
// `{ outcome, payload }`, where payload is a cart as a flat HGETALL list or a claim's JSON.

/** KEYS: cart. ARGV: sku, qty, most lines. Sets one line unless it would be one line too many. */
export const setItemScript = new LuaScript(
  'set-item',
  `
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0
  and redis.call('HLEN', KEYS[1]) >= tonumber(ARGV[3]) then
  return { 'full' }
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return { 'set', redis.call('HGETALL', KEYS[1]) }
`,
);

/**
 * KEYS: cart, claim. ARGV: the claim's time to live in ms. The first call under a key moves every
 * line into the claim and empties the cart; later calls answer the claim as it was made.
 */
export const claimScript = new LuaScript(
  'claim',
  `
local existing = redis.call('GET', KEYS[2])
if existing then return { 'replayed', existing } end
local fields = redis.call('HGETALL', KEYS[1])
if #fields == 0 then return { 'empty' } end
local items = {}
for index = 1, #fields, 2 do
  items[#items + 1] = { sku = fields[index], qty = tonumber(fields[index + 1]) }
end
local claim = cjson.encode({ state = 'claimed', items = items })
redis.call('SET', KEYS[2], claim, 'PX', ARGV[1])
redis.call('DEL', KEYS[1])
return { 'claimed', claim }
`,
);

/**
 * KEYS: cart, claim. ARGV: the most of one product. Adds a claim's lines back to the cart once
 * (capped), and marks the claim released, keeping its expiry.
 */
export const releaseScript = new LuaScript(
  'release',
  `
local stored = redis.call('GET', KEYS[2])
if not stored then return { 'unknown' } end
local claim = cjson.decode(stored)
if claim.state == 'released' then
  return { 'already-released', redis.call('HGETALL', KEYS[1]) }
end
for _, item in ipairs(claim.items) do
  local current = tonumber(redis.call('HGET', KEYS[1], item.sku) or '0')
  redis.call('HSET', KEYS[1], item.sku, tostring(math.min(current + item.qty, tonumber(ARGV[1]))))
end
claim.state = 'released'
redis.call('SET', KEYS[2], cjson.encode(claim), 'KEEPTTL')
return { 'released', redis.call('HGETALL', KEYS[1]) }
`,
);
