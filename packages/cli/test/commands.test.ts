import { randomUUID } from 'node:crypto';
import { eventually } from '@baton/conformance';
import { expect, it } from 'vitest';
import { describeBackend } from '../../../test/backends/index.js';
import { type BatonProcess, runBaton, tickerCommand } from './support/baton-process.js';
import { readLives } from './support/lifetimes.js';
import { useStore } from './support/store-fixture.js';
import { STORE_KINDS, storeHooks } from './support/stores.js';

// `baton leader`, `observe`, `doctor`, and `run --no-wait` / `--once`, against each real
// store, as separate processes: status, output and timing as documented.

const TTL_MS = 2_000;

for (const kind of STORE_KINDS) {
  describeBackend(kind)(`baton commands on ${kind}`, () => {
    const store = useStore(kind);
    const url = store.url;
    const start = store.start;
    const results = (baton: BatonProcess) => baton.events.filter((e) => e.stream === 'stdout');

    // Nine baton processes, five of them started at once, each loading its store's client:
    // @kubernetes/client-node alone takes 1.3-1.7 s to load here, so on a busy 2-core machine
    // the kubernetes run takes 30-40 s where the others take 5-12 s.
    it('leader, observe and run --no-wait follow one leadership from vacancy to vacancy', {
      timeout: 90_000,
    }, async () => {
      const election = `cli/commands/${randomUUID().slice(0, 8)}`;
      const observer = start(['observe', '--url', url(), '--json', election]);
      const vacant = await runBaton(['leader', '--url', url(), election]);
      expect(vacant.code, vacant.stderr).toBe(3);
      expect(vacant.stdout).toBe('no leader\n');
      await observer.waitFor('vacant', 30_000);

      const log = store.file(`${election}-leader.jsonl`);
      const leader = start([
        'run',
        '--url',
        url(),
        '--ttl',
        String(TTL_MS),
        '--id',
        'billing-1',
        '--value',
        'http://10.0.0.7:8080 (zone a)',
        '--json',
        election,
        '--',
        ...tickerCommand(log),
      ]);
      const elected = await leader.waitFor('elected', 30_000);
      const seen = await observer.waitFor('leader', 10_000, (e) => e.id === 'billing-1');
      expect(seen).toMatchObject({ token: elected.token, value: 'http://10.0.0.7:8080 (zone a)' });

      // A replica that waits for its turn, to be stopped while it waits.
      const waiterLog = store.file(`${election}-waiter.jsonl`);
      const waiter = start(['run', '--url', url(), '--json', election, '--', ...tickerCommand(waiterLog)]);

      // Reads, and another replica's cron job (someone leads: it exits 75 at once without
      // running its command), side by side.
      const skippedLog = store.file(`${election}-skipped.jsonl`);
      const [asJson, asText, quiet, skipped] = await Promise.all([
        runBaton(['leader', '--url', url(), '--json', election]),
        runBaton(['leader', '--url', url(), election]),
        runBaton(['leader', '--url', url(), '--quiet', election]),
        runBaton(['run', '--url', url(), '--no-wait', election, '--', ...tickerCommand(skippedLog)]),
      ]);
      expect(asJson.code, asJson.stderr).toBe(0);
      expect(JSON.parse(asJson.stdout)).toMatchObject({
        event: 'leader',
        id: 'billing-1',
        token: elected.token,
        value: 'http://10.0.0.7:8080 (zone a)',
      });
      expect(asText.stdout).toBe(`id=billing-1 token=${elected.token} value="http://10.0.0.7:8080 (zone a)"\n`);
      expect([quiet.code, quiet.stdout, quiet.stderr]).toEqual([0, '', '']);
      expect(skipped.code, skipped.stderr).toBe(75);
      expect(skipped.stderr).toContain('billing-1 leads');
      expect(readLives(skippedLog)).toEqual([]);

      // Stopped while it waits, the waiting replica exits 143 without running its command.
      await waiter.waitFor('campaigning', 30_000);
      waiter.signal('SIGTERM');
      expect((await waiter.exited).code, waiter.stderr).toBe(143);
      expect(readLives(waiterLog)).toEqual([]);

      leader.signal('SIGTERM');
      expect((await leader.exited).code, leader.stderr).toBe(0);
      await eventually('the observer to see the vacancy', 10_000, async () =>
        results(observer).at(-1)?.event === 'vacant' ? true : undefined,
      );

      // Nobody leads now: a --no-wait run takes the lead, runs its command, and exits with its status.
      const cronLog = store.file(`${election}-cron.jsonl`);
      const cron = await runBaton(['run', '--url', url(), '--no-wait', election, '--', ...tickerCommand(cronLog)], {
        env: { TICKER_EXIT_AFTER_MS: '100', TICKER_EXIT_CODE: '4' },
      });
      expect(cron.code, cron.stderr).toBe(4);
      expect(readLives(cronLog)).toHaveLength(1);

      observer.signal('SIGINT');
      expect((await observer.exited).code, observer.stderr).toBe(0);
      const changes = results(observer).map((e) => (e.event === 'leader' ? e.id : 'vacant'));
      expect(changes.slice(0, 3)).toEqual(['vacant', 'billing-1', 'vacant']);
      for (const [i, change] of changes.entries()) if (i > 0) expect(change).not.toBe(changes[i - 1]);
    });

    it('deposed from outside: the command is SIGKILLed at once; baton runs it again when re-elected, or with --once exits 76', async () => {
      const replica = (label: string, extra: string[]) => {
        const election = `cli/${label}/${randomUUID().slice(0, 8)}`;
        const log = store.file(`${election}.jsonl`);
        const args = ['run', '--url', url(), '--ttl', String(TTL_MS), ...extra, '--json', election, '--'];
        return { election, log, baton: start([...args, ...tickerCommand(log)], { TICKER_ON_TERM: 'ignore' }) };
      };
      const again = replica('again', []);
      const once = replica('once', ['--once']);
      for (const { baton, log } of [again, once]) {
        await baton.waitFor('child-started', 30_000);
        await eventually('the command to start', 10_000, async () => readLives(log)[0]);
      }
      const { host, port } = store.server();
      const hooks = await storeHooks(kind, host, port, TTL_MS, store.server());
      try {
        await Promise.all([again, once].map(({ election }) => hooks.hooks.deleteLeaderKey(election)));
      } finally {
        await hooks.close();
      }
      for (const { baton } of [again, once]) {
        expect(await baton.waitFor('lost', 10_000)).toMatchObject({
          reason: 'deposed',
          killRule: 'deposed',
          killInMs: 0,
        });
        expect(await baton.waitFor('signal', 5_000, (e) => e.signal === 'SIGKILL')).toMatchObject({ why: 'deposed' });
      }

      expect((await once.baton.exited).code, once.baton.stderr).toBe(76);
      expect(once.baton.events.filter((e) => e.event === 'campaigning')).toHaveLength(1);

      const [first, second] = await eventually('the command to run again', 30_000, async () => {
        const lives = readLives(again.log);
        return lives.length === 2 ? lives : undefined;
      });
      expect(second?.token).toBeGreaterThan(first?.token ?? 0n);
      expect(second?.start).toBeGreaterThan(first?.last ?? 0n);
      again.baton.signal('SIGKILL');
    });

    it('doctor prints the backend, the ttl in force, its capabilities and a round trip', async () => {
      const [text, json] = await Promise.all([
        runBaton(['doctor', '--url', url(), '--ttl', String(TTL_MS)]),
        runBaton(['doctor', '--url', url(), '--json']),
      ]);
      expect(text.code, text.stderr).toBe(0);
      expect(text.stdout).toMatch(new RegExp(`^backend\\s+${kind}$`, 'm'));
      expect(text.stdout).toMatch(/^round trip\s+\d+\.\d ms/m);
      const report = JSON.parse(json.stdout) as Record<string, unknown>;
      expect(report).toMatchObject({ event: 'doctor', ok: true, backend: kind });
      expect(report.ttlMs).toBeGreaterThanOrEqual(1_000);
      expect(report.capabilities).toMatchObject({ fifo: expect.any(Boolean), notify: expect.any(String) });
      expect((report.roundTripMs as { median: number }).median).toBeGreaterThan(0);
    });
  });
}
