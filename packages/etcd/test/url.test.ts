import { grantableTtl } from '@baton/core/adapter';
import { describe, expect, it } from 'vitest';
import { etcdCapabilities, etcdTtlLimits, parseEtcdUrl } from '../src/index.js';
import { candidateKey, electionPrefix } from '../src/keys.js';

const invalid = expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' });

describe('parseEtcdUrl', () => {
  it('reads one host, the default port and the default prefix', () => {
    expect(parseEtcdUrl('etcd://127.0.0.1:2379')).toEqual({
      hosts: ['http://127.0.0.1:2379'],
      prefix: '/baton',
      tls: false,
    });
    expect(parseEtcdUrl('etcd://db.internal').hosts).toEqual(['http://db.internal:2379']);
  });

  it('reads several hosts in order, which WHATWG URL parsing refuses', () => {
    expect(parseEtcdUrl('etcd://a:2379,b:22379,[::1]:32379/?prefix=/apps/billing')).toEqual({
      hosts: ['http://a:2379', 'http://b:22379', 'http://[::1]:32379'],
      prefix: '/apps/billing',
      tls: false,
    });
  });

  it('reads credentials (percent-decoded) and tls', () => {
    expect(parseEtcdUrl('etcd://root:p%40ss:w@a:2379,b:2379?tls=true')).toEqual({
      hosts: ['https://a:2379', 'https://b:2379'],
      prefix: '/baton',
      tls: true,
      auth: { username: 'root', password: 'p@ss:w' },
    });
  });

  it('refuses what it cannot honour', () => {
    for (const url of [
      'redis://a:6379',
      'etcd://',
      'etcd://a:2379/some/path',
      'etcd://a:2379?prefix=baton',
      'etcd://a:2379?prefix=/baton/',
      'etcd://a:2379?prefix=/a//b',
      'etcd://a:2379?prefix=/a/../b',
      'etcd://a:2379?prefix=/a@b',
      'etcd://a:2379?tls=yes',
      'etcd://a:2379?ttl=5',
      'etcd://a:99999',
      'etcd://a:2379,,b:2379',
      'etcd://:pw@a:2379',
      'etcd://a:2379#frag',
    ]) {
      expect(() => parseEtcdUrl(url), url).toThrow(invalid);
    }
  });

  it('never puts the password in an error', () => {
    try {
      parseEtcdUrl('etcd://root:hunter2@a:2379/path');
      expect.unreachable();
    } catch (error) {
      expect(String((error as Error).message)).not.toContain('hunter2');
    }
  });
});

describe('key layout', () => {
  it('closes an election name with an "@" segment, so that nested names never share a range', () => {
    const a = electionPrefix('/baton', 'a');
    const ab = electionPrefix('/baton', 'a/b');
    expect(a).toBe('/baton/a/@/');
    expect(ab.startsWith(a)).toBe(false);
    expect(candidateKey(a, '7587888430513446409', 3)).toBe('/baton/a/@/694d9853400cde09-3');
  });
});

describe('ttl', () => {
  it('rounds up to whole seconds and never goes below the server minimum', () => {
    const grants = (ttlMs: number, minTtlMs?: number) => grantableTtl(ttlMs, etcdTtlLimits(minTtlMs));
    expect(grants(500)).toBe(2_000);
    expect(grants(2_000)).toBe(2_000);
    expect(grants(2_001)).toBe(3_000);
    expect(grants(10_000)).toBe(10_000);
    expect(grants(1_000, 1_000)).toBe(1_000);
    expect(grants(1_000, 5_000)).toBe(5_000);
    expect(grants(2_147_483_000)).toBe(2_147_483_000);
  });

  it('declares what it guarantees', () => {
    const capabilities = etcdCapabilities(2_500);
    expect(capabilities).toMatchObject({
      minTtlMs: 2_000,
      ttlResolutionMs: 1_000,
      fifo: true,
      leaderRead: 'linearizable',
      notify: 'watch',
      worstCaseFailoverMs: 3_500,
    });
    expect(capabilities.fencing.regression).toMatch(/bump-revision/);
  });
});
