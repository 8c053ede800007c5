import { createHash } from 'node:crypto';

/** The one method the scripts need from an ioredis Redis or Cluster client. */
export interface CommandClient {
  call(command: string, ...args: (string | number)[]): Promise<unknown>;
}

/** A Lua script sent by EVALSHA, falling back to EVAL once when the server does not know it (after a restart). */
export class LuaScript {
  readonly source: string;
  readonly sha: string;

  constructor(source: string) {
    this.source = source;
    this.sha = createHash('sha1').update(source).digest('hex');
  }

  async run(client: CommandClient, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
    try {
      return await client.call('EVALSHA', this.sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return client.call('EVAL', this.source, keys.length, ...keys, ...args);
    }
  }
}

// Shared by the scripts below: the owner record of a key, or nil when the key is missing,
// not a string, or not JSON (a foreign writer's value is never ours).
const readOwner = `
local function read_owner(key)
  local raw = redis.pcall('GET', key)
  if type(raw) ~= 'string' then return nil, raw end
  local ok, owner = pcall(cjson.decode, raw)
  if ok and type(owner) == 'table' then return owner, raw end
  return nil, raw
end
`;

/**
 * Takes the election if it is free. In the same atomic step it draws the fencing token:
 * INCR of the counter, raised to the server's clock in microseconds (TIME) when that is
 * larger, and the counter is SET to the token drawn. A restart without persistence loses the
 * counter, but the clock has moved on past every token handed out before (each token is at
 * most "issue time in us" plus the number of acquisitions that shared a microsecond), so the
 * next token is still larger. 2^53 us is the year 2255: the token stays exact in Lua's doubles.
 *
 * A missing counter also means the store may have lost its state (a restart without
 * persistence): a leader from before may still believe it leads, up to one ttl after its
 * last renewal, which the old server answered before it went down. So while the server has
 * been up for less than one ttl (plus the second its whole-second uptime may overstate),
 * nobody takes an election whose counter is missing: the script answers as if the key were
 * held, for the rest of that time (Redlock's "delayed
 * restart", done by the store). A server up for longer, or an election that has a counter,
 * pays nothing.
 *
 * A key already holding this campaign's nonce is ours from an attempt whose reply was lost;
 * it is adopted (ttl restarted) instead of waiting out its ttl.
 *
 * KEYS: owner, counter. ARGV: id, nonce, ttl ms, channel, has-value ('1'|'0'), value.
 * Returns {1, token} when taken, {0, pttl} when held by another (or quarantined).
 */
export const acquireScript = new LuaScript(`${readOwner}
local owner, raw = read_owner(KEYS[1])
if raw then
  if owner and owner.nonce == ARGV[2] and type(owner.token) == 'string' then
    redis.call('PEXPIRE', KEYS[1], ARGV[3])
    return {1, owner.token}
  end
  return {0, redis.call('PTTL', KEYS[1])}
end
if redis.call('EXISTS', KEYS[2]) == 0 then
  -- uptime_in_seconds is the difference of two whole-second clock readings (start, now), so
  -- it can read up to 1 s more than the server has really been up: that second is added.
  local uptime = tonumber(string.match(redis.call('INFO', 'server'), 'uptime_in_seconds:(%d+)') or '0')
  local quarantine = tonumber(ARGV[3]) + 1000 - uptime * 1000
  if quarantine > 0 then return {0, quarantine} end
end
local now = redis.call('TIME')
local floor = tonumber(now[1]) * 1000000 + tonumber(now[2])
local token = redis.call('INCR', KEYS[2])
if token < floor then
  token = floor
  redis.call('SET', KEYS[2], string.format('%.0f', token))
end
local tokenText = string.format('%.0f', token)
local record = {id = ARGV[1], token = tokenText, nonce = ARGV[2]}
if ARGV[5] == '1' then record.value = ARGV[6] end
redis.call('SET', KEYS[1], cjson.encode(record), 'PX', ARGV[3])
redis.call('PUBLISH', ARGV[4], 'acquired:' .. tokenText)
return {1, tokenText}
`);

/**
 * Renews every key of one batch that still holds the token this client was given.
 * KEYS: owner keys. ARGV: ttl ms, then one token per key.
 * Returns one result per key: 1 renewed, 0 the key is gone, -1 it belongs to someone else.
 */
export const renewScript = new LuaScript(`${readOwner}
local results = {}
for i, key in ipairs(KEYS) do
  local owner, raw = read_owner(key)
  if not raw then
    results[i] = 0
  elseif owner and owner.token == ARGV[i + 1] then
    redis.call('PEXPIRE', key, ARGV[1])
    results[i] = 1
  else
    results[i] = -1
  end
end
return results
`);

/**
 * Sets the value if the key still holds this token; the ttl is kept. Publishes 'proclaimed:<token>'.
 * KEYS: owner. ARGV: token, value, channel. Returns 1, or 0 when the key is not ours.
 */
export const proclaimScript = new LuaScript(`${readOwner}
local owner = read_owner(KEYS[1])
if not owner or owner.token ~= ARGV[1] then return 0 end
owner.value = ARGV[2]
redis.call('SET', KEYS[1], cjson.encode(owner), 'KEEPTTL')
redis.call('PUBLISH', ARGV[3], 'proclaimed:' .. ARGV[1])
return 1
`);

/**
 * Deletes the key only if its field ARGV[3] ('token' or 'nonce') equals ARGV[1], so that a
 * release never removes a successor. Publishes 'released:<token>' for the waiters.
 * KEYS: owner. ARGV: expected, channel, field. Returns 1 when deleted, else 0.
 */
export const releaseScript = new LuaScript(`${readOwner}
local owner = read_owner(KEYS[1])
if not owner or owner[ARGV[3]] ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
redis.call('PUBLISH', ARGV[2], 'released:' .. tostring(owner.token))
return 1
`);
