import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  type BackendKind,
  describeBackend,
  type ServerHandle,
  type StartOptions,
  startServer,
} from '../backends/index.js';

// The README's demo command, as a user types it, against each store started with its
// distribution's defaults rather than the harness's tuning: ZooKeeper's tickTime of 2000 ms
// (sessions of at least 4 s) and Consul's session_ttl_min of 10 s. The demo asks for its usual
// 2 s ttl; the store's minimum is what it must run with.

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));

const STOCK: readonly { kind: BackendKind; options: StartOptions; urlSuffix: string; ttlMs: number }[] = [
  { kind: 'etcd', options: {}, urlSuffix: '', ttlMs: 2_000 },
  { kind: 'zookeeper', options: { zkTickTimeMs: 2_000 }, urlSuffix: '', ttlMs: 4_000 },
  // As the demo's README writes it: Consul's lock-delay would only slow the failovers down.
  { kind: 'consul', options: { consulSessionTtlMin: '10s' }, urlSuffix: '?lockDelay=0', ttlMs: 10_000 },
  { kind: 'redis', options: {}, urlSuffix: '', ttlMs: 2_000 },
];

interface DemoReport {
  readonly complete: boolean;
  readonly exactlyOnce: boolean;
  readonly ttlMs: number;
  readonly failovers: readonly unknown[];
}

for (const { kind, options, urlSuffix, ttlMs } of STOCK) {
  describeBackend(kind)(`the README's demo command on a stock ${kind}`, () => {
    let server: ServerHandle | undefined;
    beforeAll(async () => {
      server = await startServer(kind, options);
    }, 120_000);
    afterAll(async () => {
      await server?.stop();
    }, 60_000);

    it(`npm run demo -- --backend ${kind}://... runs with the ttl the store grants (${ttlMs} ms) and charges every invoice once`, async () => {
      if (!server) throw new Error(`no ${kind} server`);
      // The report is printed whatever the exit status; a non-zero status is judged from it.
      const { stdout, stderr } = await run(
        'npm',
        [
          'run',
          '--silent',
          'demo',
          '--',
          '--backend',
          `${server.url}${urlSuffix}`,
          '--invoices',
          '30',
          '--json',
          '--quiet',
        ],
        { cwd: root, timeout: 240_000, maxBuffer: 16 * 1024 * 1024 },
      ).catch((error: { stdout?: string; stderr?: string }) => ({
        stdout: error.stdout ?? '',
        stderr: error.stderr ?? '',
      }));
      expect(stdout, stderr).toMatch(/^\{/);
      const report = JSON.parse(stdout) as DemoReport;
      expect(report.ttlMs).toBe(ttlMs);
      expect(report.complete, stdout).toBe(true);
      expect(report.exactlyOnce, stdout).toBe(true);
      expect(report.failovers, stdout).toHaveLength(2);
    }, 300_000);
  });
}
