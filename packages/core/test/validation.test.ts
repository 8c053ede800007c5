import { describe, expect, it } from 'vitest';
import {
  parseBackendUrl,
  parseHostList,
  redactUrl,
  resolveBackendOptions,
  validateCandidateId,
  validateElectionName,
  validateTtlMs,
  validateValue,
} from '../src/adapter.js';
import { InvalidArgumentError } from '../src/index.js';

const invalid = expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' });

describe('election names', () => {
  it.each(['a', 'billing', 'A-z_0.9', 'team/billing/charges', 'x'.repeat(128), '.hidden', 'a/.b'])(
    'accepts %j',
    (name) => {
      expect(validateElectionName(name)).toBe(name);
    },
  );

  it.each([
    ['empty', ''],
    ['too long', 'x'.repeat(129)],
    ['leading slash', '/a'],
    ['trailing slash', 'a/'],
    ['double slash', 'a//b'],
    ['dot segment', 'a/./b'],
    ['dot-dot segment', 'a/../b'],
    ['lone dot', '.'],
    ['space', 'a b'],
    ['non-ASCII', 'caf\u00e9'],
    ['colon', 'a:b'],
    ['not a string', 7],
  ])('refuses a name that is %s', (_, name) => {
    expect(() => validateElectionName(name)).toThrow(invalid);
  });
});

describe('values', () => {
  it('accepts up to 4096 bytes of UTF-8, counted in bytes', () => {
    expect(validateValue('x'.repeat(4096))).toHaveLength(4096);
    expect(() => validateValue('x'.repeat(4097))).toThrow(invalid);
    // "é" is two bytes in UTF-8: 2048 of them fit, 2049 do not.
    expect(() => validateValue('\u00e9'.repeat(2048))).not.toThrow();
    expect(() => validateValue('\u00e9'.repeat(2049))).toThrow(invalid);
  });

  it('refuses a 5 KiB value, a lone surrogate and a non-string', () => {
    expect(() => validateValue('v'.repeat(5 * 1024))).toThrow(invalid);
    expect(() => validateValue('\ud800')).toThrow(invalid);
    expect(() => validateValue(5)).toThrow(invalid);
  });
});

describe('candidate ids', () => {
  it('accepts printable ASCII and refuses spaces, empties and long ids', () => {
    expect(validateCandidateId('worker-1@host:8080')).toBe('worker-1@host:8080');
    for (const id of ['', 'a b', 'x'.repeat(129), 'tab\t', 3]) expect(() => validateCandidateId(id)).toThrow(invalid);
  });
});

describe('ttl and options', () => {
  it.each([0, -5, Number.NaN, Number.POSITIVE_INFINITY, '100', undefined, 2 ** 31])('refuses ttl %j', (ttl) => {
    expect(() => validateTtlMs(ttl)).toThrow(InvalidArgumentError);
  });

  it('applies defaults and refuses unknown policies and capabilities', () => {
    const resolved = resolveBackendOptions(undefined);
    expect(resolved).toMatchObject({ ttlMs: 10_000, connectTimeoutMs: 5_000, onDisconnect: 'abort', requires: [] });
    expect(() => resolveBackendOptions({ onDisconnect: 'never' as 'abort' })).toThrow(invalid);
    expect(() => resolveBackendOptions({ requires: ['psychic' as 'fifo'] })).toThrow(invalid);
    expect(() => resolveBackendOptions({ connectTimeoutMs: 0 })).toThrow(invalid);
    expect(() => resolveBackendOptions(null as unknown as undefined)).toThrow(invalid);
  });
});

describe('URLs', () => {
  it('splits multi-host authorities and applies the default port', () => {
    expect(parseHostList('etcd://a:2379,b,10.0.0.3:2380/x', 2379)).toEqual([
      { host: 'a', port: 2379 },
      { host: 'b', port: 2379 },
      { host: '10.0.0.3', port: 2380 },
    ]);
    expect(parseHostList('redis://user:pw@[::1]:6380/0', 6379)).toEqual([{ host: '[::1]', port: 6380 }]);
  });

  it('refuses empty hosts and bad ports', () => {
    expect(() => parseHostList('etcd:///x', 2379)).toThrow(invalid);
    expect(() => parseHostList('etcd://a:99999', 2379)).toThrow(invalid);
    expect(() => parseHostList('etcd://a:,b', 2379)).toThrow(invalid);
  });

  it('parses multi-host URLs by their first host, keeping the rest for the adapter', () => {
    const parsed = parseBackendUrl('etcd://user:pw@a:2379,b:2380,c/prefix?x=1');
    expect(parsed.protocol).toBe('etcd:');
    expect(parsed.host).toBe('a:2379');
    expect(parsed.username).toBe('user');
    expect(parsed.pathname).toBe('/prefix');
    expect(parsed.search).toBe('?x=1');
    expect(parseBackendUrl('zookeeper://z1:2181,z2:2181/chroot').pathname).toBe('/chroot');
  });

  it('never shows a password in messages', () => {
    expect(redactUrl('redis://user:secret@host:6379/0')).toBe('redis://user:***@host:6379/0');
    expect(redactUrl('etcd://host:2379')).toBe('etcd://host:2379');
    expect(redactUrl('consul://host:8500?dc=one&token=s3cret&x=1')).toBe('consul://host:8500?dc=one&token=***&x=1');
    expect(redactUrl('postgres://h/db?sslpassword=p&sslmode=require')).toBe(
      'postgres://h/db?sslpassword=***&sslmode=require',
    );
  });

  it('refuses unknown option keys, naming the option a typo or another spelling meant', () => {
    expect(() => resolveBackendOptions({ ttl: 5_000 } as never)).toThrow(
      /unknown connect\(\) option "ttl"; did you mean "ttlMs"/,
    );
    expect(() => resolveBackendOptions({ ttlMS: 5_000 } as never)).toThrow(/did you mean "ttlMs"/);
    expect(() => resolveBackendOptions({ timeout: 5_000 } as never)).toThrow(/did you mean "connectTimeoutMs"/);
    expect(() => resolveBackendOptions({ onDisconect: 'abort' } as never)).toThrow(/did you mean "onDisconnect"/);
    expect(() => resolveBackendOptions({ colour: 'blue' } as never)).toThrow(
      /unknown connect\(\) option "colour" \(known:/,
    );
    expect(() => resolveBackendOptions({ ttlMs: 5_000, strictTtl: true })).not.toThrow();
  });
});
