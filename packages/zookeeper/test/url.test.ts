import { describe, expect, it } from 'vitest';
import { parseZooKeeperUrl } from '../src/url.js';

describe('parseZooKeeperUrl', () => {
  it('reads hosts, default port, chroot and digest credentials', () => {
    expect(parseZooKeeperUrl('zookeeper://127.0.0.1:2181')).toEqual({
      hosts: ['127.0.0.1:2181'],
      chroot: '',
      digest: undefined,
    });
    expect(parseZooKeeperUrl('zookeeper://a,b:2182,c:2183/apps/billing/')).toEqual({
      hosts: ['a:2181', 'b:2182', 'c:2183'],
      chroot: '/apps/billing',
      digest: undefined,
    });
    expect(parseZooKeeperUrl('zookeeper://user:p%40ss@a:1/x').digest).toBe('user:p@ss');
    // A password may hold ':'; the user may not.
    expect(parseZooKeeperUrl('zookeeper://a:b:c@a:1').digest).toBe('a:b:c');
    expect(parseZooKeeperUrl('zookeeper://[::1]:2181/').hosts).toEqual(['[::1]:2181']);
  });

  it.each([
    'etcd://a:2379',
    'zookeeper://',
    'zookeeper://a:99999',
    'zookeeper://a:1/x//y',
    'zookeeper://a:1/x/../y',
    'zookeeper://a:1/zookeeper',
    'zookeeper://a:1/x?y=1',
    'zookeeper://a:1/x#f',
    'zookeeper://:pass@a:1',
  ])('refuses %s with ERR_INVALID_ARGUMENT', (url) => {
    expect(() => parseZooKeeperUrl(url)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }));
  });

  it('never puts the password in an error', () => {
    let message = '';
    try {
      parseZooKeeperUrl('zookeeper://u:secret@a:1/x?q');
    } catch (error) {
      message = String(error);
    }
    expect(message).toMatch(/ERR|zookeeper/i);
    expect(message).not.toContain('secret');
  });
});
