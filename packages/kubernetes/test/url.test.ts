import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { grantableTtl } from '@baton/core/adapter';
import { describe, expect, it } from 'vitest';
import { clusterConfig } from '../src/cluster-config.js';
import { KUBERNETES_TTL_LIMITS, kubernetesCapabilities, parseKubernetesUrl } from '../src/index.js';
import { leaseNameOf } from '../src/lease-name.js';

const invalid = expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' });

describe('parseKubernetesUrl', () => {
  it('reads the in-cluster form, a server, a kubeconfig, a context and a namespace', () => {
    expect(parseKubernetesUrl('kubernetes://')).toEqual({});
    expect(parseKubernetesUrl('kubernetes:///?namespace=apps')).toEqual({ namespace: 'apps' });
    expect(parseKubernetesUrl('kubernetes://10.0.0.1:6443?namespace=apps')).toEqual({
      server: { host: '10.0.0.1', port: 6443 },
      namespace: 'apps',
    });
    expect(parseKubernetesUrl('kubernetes://api.internal').server).toEqual({ host: 'api.internal', port: 443 });
    expect(parseKubernetesUrl('kubernetes://[::1]:6443').server).toEqual({ host: '[::1]', port: 6443 });
    expect(parseKubernetesUrl('kubernetes://?kubeconfig=%2Fhome%2Fme%2F.kube%2Fconfig&context=kind-dev')).toEqual({
      kubeconfig: '/home/me/.kube/config',
      context: 'kind-dev',
    });
  });

  it('refuses what it cannot honour, before any round trip', () => {
    for (const url of [
      'etcd://a:2379',
      'kubernetes://a:6443/leases',
      'kubernetes://a:6443,b:6443',
      'kubernetes://a:0',
      'kubernetes://a:65536',
      'kubernetes://a:',
      'kubernetes://?namespace=Apps',
      'kubernetes://?namespace=',
      'kubernetes://?namespace=a&namespace=b',
      'kubernetes://?context=dev',
      'kubernetes://?prefix=x',
      'kubernetes://a b',
      'kubernetes://a#frag',
      'kubernetes://a_b:6443',
    ]) {
      expect(() => parseKubernetesUrl(url), url).toThrow(invalid);
    }
  });

  it('refuses credentials in the URL without repeating them', () => {
    for (const url of ['kubernetes://s3cret@a:6443', 'kubernetes://user:s3cret@a:6443']) {
      expect(() => parseKubernetesUrl(url)).toThrow(invalid);
      expect(() => parseKubernetesUrl(url)).not.toThrow(/s3cret/);
    }
  });
});

describe('clusterConfig', () => {
  it('kubernetes:// outside a cluster says what is missing and what to give instead', () => {
    const config = () => clusterConfig({}, { serviceAccountDir: '/nonexistent', env: {} });
    expect(config).toThrow(invalid);
    expect(config).toThrow(/KUBERNETES_SERVICE_HOST is not set.*no service account token.*\?kubeconfig=/);
  });

  it('reads a kubeconfig, and moves its credentials to the server the URL names', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'baton-kubeconfig-'));
    try {
      const path = join(dir, 'config');
      await writeFile(
        path,
        JSON.stringify({
          apiVersion: 'v1',
          kind: 'Config',
          clusters: [{ name: 'c', cluster: { server: 'https://10.0.0.1:6443' } }],
          users: [{ name: 'u', user: { token: 'not-shown' } }],
          contexts: [{ name: 'ctx', context: { cluster: 'c', user: 'u', namespace: 'team' } }],
          'current-context': 'ctx',
        }),
      );
      expect(clusterConfig(parseKubernetesUrl(`kubernetes://?kubeconfig=${path}`))).toMatchObject({
        namespace: 'team',
        server: 'https://10.0.0.1:6443',
      });
      expect(
        clusterConfig(parseKubernetesUrl(`kubernetes://127.0.0.1:7443?kubeconfig=${path}&namespace=other`)),
      ).toMatchObject({ namespace: 'other', server: 'https://127.0.0.1:7443' });
      expect(() => clusterConfig(parseKubernetesUrl(`kubernetes://?kubeconfig=${path}&context=nope`))).toThrow(
        /no context "nope"; it has: ctx/,
      );
      await writeFile(path, 'users: [{ name: u, user: { token: not-shown } ]');
      const broken = () => clusterConfig(parseKubernetesUrl(`kubernetes://?kubeconfig=${path}`));
      expect(broken).toThrow(invalid);
      expect(broken).not.toThrow(/not-shown/);
      expect(() => clusterConfig(parseKubernetesUrl(`kubernetes://?kubeconfig=${join(dir, 'missing')}`))).toThrow(
        /ENOENT/,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('leaseNameOf', () => {
  it('keeps a name that is a Lease name already, so that client-go can be configured with it', () => {
    expect(leaseNameOf('billing')).toBe('billing');
    expect(leaseNameOf('billing.charges-v2')).toBe('billing.charges-v2');
  });

  it('maps any other name to a valid, readable, distinct Lease name', () => {
    const names = ['Billing', 'billing/charges', 'billing_charges', 'a..b', '-x', 'x-', '/', '___', 'a/'.repeat(60)];
    const mapped = names.map(leaseNameOf);
    for (const name of mapped) {
      expect(name).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/);
      expect(name.length).toBeLessThanOrEqual(63);
    }
    expect(new Set(mapped).size).toBe(names.length);
    expect(leaseNameOf('billing/charges')).toMatch(/^billing-charges-[0-9a-f]{16}$/);
  });
});

describe('kubernetesCapabilities', () => {
  it('whole seconds from 1 s; failover a ttl after the last renewal seen, plus a read and an update', () => {
    expect(grantableTtl(0.5, KUBERNETES_TTL_LIMITS)).toBe(1_000);
    expect(grantableTtl(2_500, KUBERNETES_TTL_LIMITS)).toBe(3_000);
    const capabilities = kubernetesCapabilities(10_000);
    expect(capabilities).toMatchObject({ minTtlMs: 1_000, ttlResolutionMs: 1_000, fifo: false, notify: 'watch' });
    expect(capabilities.worstCaseFailoverMs).toBe(10_500);
    expect(capabilities.fencing.regression).toMatch(/etcd is restored from a backup/);
  });
});
