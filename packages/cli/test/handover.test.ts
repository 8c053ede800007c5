import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { eventually, FaultProxy } from '@baton/conformance';
import { expect, it } from 'vitest';
import { describeBackend } from '../../../test/backends/index.js';
import { type BatonProcess, tickerCommand } from './support/baton-process.js';
import { type ChildLife, isRunning, overlaps, readLives } from './support/lifetimes.js';
import { useStore } from './support/store-fixture.js';
import { STORE_KINDS, storeUrl } from './support/stores.js';

// Two `baton run` replicas on one election, each running a command that logs monotonic
// timestamps to its own file. Whatever happens to the leading baton, the two commands'
// lifetimes never overlap, and each command's BATON_TOKEN is its leadership's token.

const TTL_MS = 2_000;
const ms = (from: bigint, to: bigint): number => Number(to - from) / 1e6;

for (const kind of STORE_KINDS) {
  describeBackend(kind)(`baton run on ${kind}: one command at a time across replicas`, () => {
    const store = useStore(kind);

    /** A replica running the ticker into `log`; `env` configures the ticker. */
    const replica = (
      election: string,
      id: string,
      log: string,
      options: { url?: string; ttlMs?: number; env?: Record<string, string> } = {},
    ): BatonProcess => {
      const args = ['run', '--url', options.url ?? store.url(), '--ttl', String(options.ttlMs ?? TTL_MS), '--id', id];
      return store.start([...args, '--json', election, '--', ...tickerCommand(log)], options.env);
    };

    /** Waits until the command behind `log` has started (its `n`th life), and returns that life. */
    const started = (log: string, timeoutMs: number, n = 1): Promise<ChildLife> =>
      eventually(`the command logging to ${path.basename(log)} to start`, timeoutMs, async () => readLives(log)[n - 1]);

    /** The leader's and the follower's files and processes, the leader's command running. */
    const twoReplicas = async (label: string, leader: Parameters<typeof replica>[3] = {}) => {
      const election = `cli/${label}/${randomUUID().slice(0, 8)}`;
      const logs = { a: store.file(`${label}-a.jsonl`), b: store.file(`${label}-b.jsonl`) };
      const a = replica(election, 'a', logs.a, leader);
      const first = await started(logs.a, 30_000);
      const b = replica(election, 'b', logs.b, { ...(leader.ttlMs === undefined ? {} : { ttlMs: leader.ttlMs }) });
      await b.waitFor('campaigning', 30_000);
      // Its campaign reaches the store a round trip after the event; give it that and more.
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(readLives(logs.b)).toEqual([]);
      return { a, b, logs, first };
    };

    const expectTokens = async (baton: BatonProcess, life: ChildLife, nth = 1): Promise<void> => {
      const elected = baton.events.filter((e) => e.event === 'elected')[nth - 1];
      expect(elected?.token).toBe(String(life.token));
    };

    it('SIGKILL of the leading baton: its command is gone within 1 s, and the other starts only after it, with a larger token', async () => {
      const { a, b, logs, first } = await twoReplicas('sigkill');
      a.signal('SIGKILL');
      const killedAt = process.hrtime.bigint();
      await eventually(
        'the orphaned command to be gone',
        5_000,
        async () => (isRunning(first.pid) ? undefined : true),
        5,
      );
      expect(ms(killedAt, process.hrtime.bigint())).toBeLessThan(1_000);

      const second = await started(logs.b, 30_000);
      const lives = [...readLives(logs.a), ...readLives(logs.b)];
      expect(overlaps(lives)).toEqual([]);
      expect(second.token).toBeGreaterThan(first.token);
      await expectTokens(a, first);
      await expectTokens(b, second);
      b.signal('SIGTERM');
      expect((await b.exited).code, b.stderr).toBe(0);
    });

    it('SIGTERM of the leading baton: its command stops, leadership is released at once, the other command starts after it', async () => {
      // A 3 s ttl: a key left to expire would keep the successor out for 2 s at least.
      const { a, b, logs, first } = await twoReplicas('sigterm', {
        ttlMs: 3_000,
        env: { TICKER_ON_TERM: 'exit:7', TICKER_TERM_DELAY_MS: '200' },
      });
      a.signal('SIGTERM');
      const exit = await a.exited;
      expect(exit.code, a.stderr).toBe(7);
      const released = await a.waitFor('released', 1_000);
      const elected = await b.waitFor('elected', 10_000);
      expect(ms(released.receivedAt, elected.receivedAt)).toBeLessThan(1_500);

      const second = await started(logs.b, 10_000);
      expect(overlaps([...readLives(logs.a), ...readLives(logs.b)])).toEqual([]);
      expect(readLives(logs.a)[0]?.exitCode).toBe(7);
      expect(second.token).toBeGreaterThan(first.token);
      await expectTokens(b, second);
      b.signal('SIGTERM');
      await b.exited;
    });

    it("blackhole of the leader's store connection: its command is gone before the other starts", async () => {
      const proxy = await FaultProxy.start(store.server().host, store.server().port);
      try {
        // The command ignores SIGTERM: only baton's SIGKILL, on its schedule, can stop it.
        const { a, b, logs, first } = await twoReplicas('blackhole', {
          url: storeUrl(kind, proxy.host, proxy.port, store.server()),
          env: { TICKER_ON_TERM: 'ignore' },
        });
        proxy.setMode('blackhole');
        const lost = await a.waitFor('lost', TTL_MS + 5_000);
        expect(lost.killRule).toBe('local-deadline');
        const kill = await a.waitFor('signal', 5_000, (e) => e.signal === 'SIGKILL');
        expect(kill.why).toBe('local-deadline');
        const second = await started(logs.b, 30_000);
        expect(overlaps([...readLives(logs.a), ...readLives(logs.b)])).toEqual([]);
        expect(second.token).toBeGreaterThan(first.token);

        b.signal('SIGTERM');
        expect((await b.exited).code, b.stderr).toBe(0);
      } finally {
        await proxy.stop();
      }
    });
  });
}
