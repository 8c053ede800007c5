import { describe, expect, it } from 'vitest';
import { parseRedisUrl, redisCapabilities } from '../src/index.js';
import { electionKeys, hashSlot } from '../src/keys.js';
import { parseOwner } from '../src/owner.js';

const parse = (raw: string) => parseRedisUrl(raw);

describe('redis URL parsing', () => {
  it('reads host, port, credentials, database, TLS and prefix', () => {
    expect(parse('redis://127.0.0.1')).toEqual({
      host: '127.0.0.1',
      port: 6379,
      username: undefined,
      password: undefined,
      db: 0,
      tls: false,
      prefix: 'baton',
      redacted: 'redis://127.0.0.1',
    });
    expect(parse('rediss://alice:s%40cret@cache.example:6380/3?prefix=app.v1')).toEqual({
      host: 'cache.example',
      port: 6380,
      username: 'alice',
      password: 's@cret',
      db: 3,
      tls: true,
      prefix: 'app.v1',
      redacted: 'rediss://alice:***@cache.example:6380/3?prefix=app.v1',
    });
    expect(parse('redis://:pw@[::1]:7000').host).toBe('::1');
    expect(parse('redis://:pw@[::1]:7000').password).toBe('pw');
  });

  it('parses a URL without a host (for a caller-supplied client) to an empty host', () => {
    expect(parse('redis://').host).toBe('');
    expect(parse('redis://?prefix=own').prefix).toBe('own');
  });

  it.each([
    'redis://a,b:2',
    'redis://host/x',
    'redis://host/1/2',
    'redis://host?unknown=1',
    'redis://host?prefix=',
    'redis://host?prefix=has{brace}',
    'redis://host#frag',
  ])('refuses %s with ERR_INVALID_ARGUMENT', (raw) => {
    expect(() => parse(raw)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }));
  });
});

describe('key layout', () => {
  it('puts every key of an election under one hash tag', () => {
    const keys = electionKeys('baton', 'billing/eu', 2);
    expect(keys).toEqual({
      owner: 'baton:{billing/eu}:owner',
      counter: 'baton:{billing/eu}:token',
      channel: 'baton:{billing/eu}:events',
      keyspace: '__keyspace@2__:baton:{billing/eu}:owner',
      slot: hashSlot('billing/eu'),
    });
  });

  it('computes Redis Cluster slots (CRC16/XMODEM mod 16384)', () => {
    // Reference values from CLUSTER KEYSLOT.
    expect(hashSlot('foo')).toBe(12182);
    expect(hashSlot('bar')).toBe(5061);
    expect(hashSlot('')).toBe(0);
  });
});

describe('owner records', () => {
  it('reads what the acquire script writes, and survives foreign values', () => {
    expect(parseOwner(null)).toBeUndefined();
    expect(parseOwner('{"id":"a","token":"1700000000000001","nonce":"n","value":"v"}')).toEqual({
      id: 'a',
      value: 'v',
      token: 1700000000000001n,
    });
    expect(parseOwner('{"id":"a","token":"7"}')).toEqual({ id: 'a', token: 7n });
    expect(parseOwner('garbage')).toEqual({ id: 'unknown', token: 0n });
  });
});

describe('capabilities', () => {
  it('declares a non-FIFO pub/sub backend whose token can regress on replica failover', () => {
    const capabilities = redisCapabilities(2_000);
    expect(capabilities.fifo).toBe(false);
    expect(capabilities.notify).toBe('pubsub');
    expect(capabilities.leaderRead).toBe('linearizable');
    expect(capabilities.fencing.regression).toMatch(/replica failover/);
    expect(capabilities.worstCaseFailoverMs).toBe(2_100);
  });
});
