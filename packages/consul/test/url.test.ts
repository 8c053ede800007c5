import { consulCapabilities, parseConsulUrl } from '@baton/consul';
import { describe, expect, it } from 'vitest';
import { parseGoDuration } from '../src/responses.js';
import { parseLockDelay } from '../src/url.js';

const invalid = { code: 'ERR_INVALID_ARGUMENT' };

describe('parseConsulUrl', () => {
  it('reads host, port, token, dc, lockDelay and prefix', () => {
    expect(parseConsulUrl('consul://127.0.0.1:8600?token=s3cret&dc=dc2&lockDelay=2s&prefix=apps/baton')).toEqual({
      hosts: [{ host: '127.0.0.1', port: 8600 }],
      secure: false,
      token: 's3cret',
      dc: 'dc2',
      lockDelayMs: 2_000,
      prefix: 'apps/baton',
    });
  });

  it('defaults: port 8500 (8501 for consuls://), lock-delay 15 s, prefix baton', () => {
    expect(parseConsulUrl('consul://localhost')).toEqual({
      hosts: [{ host: 'localhost', port: 8500 }],
      secure: false,
      lockDelayMs: 15_000,
      prefix: 'baton',
    });
    expect(parseConsulUrl('consuls://consul.internal/')).toMatchObject({
      hosts: [{ host: 'consul.internal', port: 8501 }],
      secure: true,
    });
  });

  it('takes several agents, in order', () => {
    expect(parseConsulUrl('consul://a:1,b,c:3').hosts).toEqual([
      { host: 'a', port: 1 },
      { host: 'b', port: 8500 },
      { host: 'c', port: 3 },
    ]);
  });

  it.each([
    'etcd://a:2379',
    'consul://',
    'consul://a:8500/path',
    'consul://user:pass@a:8500',
    'consul://a:8500?unknown=1',
    'consul://a:8500?token=',
    'consul://a:8500?dc=a%20b',
    'consul://a:8500?lockDelay=61s',
    'consul://a:8500?lockDelay=-1',
    'consul://a:8500?lockDelay=soon',
    'consul://a:8500?prefix=/leading',
    'consul://a:8500?prefix=a/../b',
    'consul://a:99999',
    'consul://a:8500#frag',
  ])('refuses %s', (url) => {
    expect(() => parseConsulUrl(url)).toThrow(expect.objectContaining(invalid));
  });

  it('reads lock-delays in ms or with a unit', () => {
    expect(parseLockDelay('0')).toBe(0);
    expect(parseLockDelay('250')).toBe(250);
    expect(parseLockDelay('250ms')).toBe(250);
    expect(parseLockDelay('1.5s')).toBe(1_500);
    expect(parseLockDelay(60_000)).toBe(60_000);
  });
});

describe('ttl and capabilities', () => {
  it('declares a worst-case failover of 2 x ttl + lock-delay', () => {
    const capabilities = consulCapabilities(10_000, 15_000);
    expect(capabilities.worstCaseFailoverMs).toBe(35_000);
    expect(capabilities).toMatchObject({ fifo: false, leaderRead: 'linearizable', notify: 'watch', minTtlMs: 10_000 });
  });

  it('parses Go durations as Consul prints them', () => {
    expect(parseGoDuration('10s')).toBe(10_000);
    expect(parseGoDuration('1m30s')).toBe(90_000);
    expect(parseGoDuration('1.5s')).toBe(1_500);
    expect(parseGoDuration('nonsense')).toBeUndefined();
  });
});
