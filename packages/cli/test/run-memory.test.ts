import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { eventually } from '@baton/conformance';
import { afterAll, describe, expect, it } from 'vitest';
import { BatonProcess, runBaton, tickerCommand } from './support/baton-process.js';
import { isRunning, readLives } from './support/lifetimes.js';

// `baton run` on the in-process memory store: one process, for trying it out. What does
// not depend on a store (the command's environment, its exit status, signals, the
// parent-death watch) is checked here; test/handover.test.ts does the rest on real stores.

const dir = mkdtempSync(path.join(os.tmpdir(), 'baton-cli-memory-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let serial = 0;
const file = (): string => path.join(dir, `child-${serial++}.jsonl`);
const run = (extra: string[], log: string): string[] => [
  'run',
  '--url',
  'memory://',
  '--json',
  ...extra,
  'demo/job',
  '--',
  ...tickerCommand(log),
];
const ms = (from: bigint, to: bigint): number => Number(to - from) / 1e6;

describe('baton run on memory://', () => {
  it('starts the command with BATON_ELECTION, BATON_TOKEN, BATON_LEADER_ID, BATON_TTL_MS and exits with its status', async () => {
    const log = file();
    const result = await runBaton(run(['--id', 'worker-7', '--ttl', '3000'], log), {
      env: { TICKER_EXIT_AFTER_MS: '300', TICKER_EXIT_CODE: '5' },
    });
    expect(result.code).toBe(5);
    const elected = result.events.find((e) => e.event === 'elected');
    const [life] = readLives(log);
    expect(life).toMatchObject({ election: 'demo/job', leaderId: 'worker-7', ttlMs: 3000, exitCode: 5 });
    expect(String(life?.token)).toBe(elected?.token);
    expect(result.events.map((e) => e.event)).toEqual([
      'connected',
      'campaigning',
      'elected',
      'child-started',
      'child-exited',
      'released',
    ]);
  });

  it('forwards SIGTERM to the command, waits for it, releases, and exits with its status', async () => {
    const log = file();
    const baton = BatonProcess.start(run([], log), { TICKER_ON_TERM: 'exit:9', TICKER_TERM_DELAY_MS: '300' });
    await baton.waitFor('child-started', 20_000);
    await eventually('the command to start', 10_000, async () => readLives(log)[0]);
    baton.signal('SIGTERM');
    const exit = await baton.exited;
    expect(exit.code).toBe(9);
    const [life] = readLives(log);
    expect(life?.gotTerm).toBe(true);
    const names = baton.events.map((e) => e.event);
    expect(names.slice(names.indexOf('stopping'))).toEqual(['stopping', 'signal', 'child-exited', 'released']);
    expect(baton.events.find((e) => e.event === 'signal')).toMatchObject({ signal: 'SIGTERM', why: 'forwarded' });
  });

  it('SIGKILLs a command that ignores SIGTERM after --kill-after', async () => {
    const log = file();
    const baton = BatonProcess.start(run(['--kill-after', '500'], log), { TICKER_ON_TERM: 'ignore' });
    await baton.waitFor('child-started', 20_000);
    await eventually('the command to start', 10_000, async () => readLives(log)[0]);
    const sent = process.hrtime.bigint();
    baton.signal('SIGTERM');
    const exit = await baton.exited;
    expect(exit.code).toBe(137);
    expect(ms(sent, exit.at)).toBeGreaterThanOrEqual(450);
    expect(ms(sent, exit.at)).toBeLessThan(5_000);
    expect(baton.events.filter((e) => e.event === 'signal').map((e) => [e.signal, e.why])).toEqual([
      ['SIGTERM', 'forwarded'],
      ['SIGKILL', 'kill-after'],
    ]);
  });

  it('a second stop signal SIGKILLs the command at once', async () => {
    const log = file();
    const baton = BatonProcess.start(run(['--kill-after', '60000'], log), { TICKER_ON_TERM: 'ignore' });
    await baton.waitFor('child-started', 20_000);
    await eventually('the command to start', 10_000, async () => readLives(log)[0]);
    baton.signal('SIGTERM');
    await baton.waitFor('signal', 5_000);
    const second = process.hrtime.bigint();
    baton.signal('SIGINT');
    const exit = await baton.exited;
    expect(exit.code).toBe(137);
    expect(ms(second, exit.at)).toBeLessThan(5_000);
  });

  it('when baton is SIGKILLed, its command is gone within 1 s', async () => {
    const log = file();
    const baton = BatonProcess.start(run([], log), { TICKER_ON_TERM: 'ignore' });
    await baton.waitFor('child-started', 20_000);
    const life = await eventually('the command to start', 10_000, async () => readLives(log)[0]);
    expect(isRunning(life.pid)).toBe(true);
    baton.signal('SIGKILL');
    const killed = process.hrtime.bigint();
    await eventually('the command to be gone', 5_000, async () => (isRunning(life.pid) ? undefined : true), 5);
    expect(ms(killed, process.hrtime.bigint())).toBeLessThan(1_000);
  });

  it('what the command started in its process group does not outlive it', async () => {
    const pidFile = path.join(dir, 'background.pid');
    const result = await runBaton([
      'run',
      '--url',
      'memory://',
      '--quiet',
      'demo/job',
      '--',
      'sh',
      '-c',
      `sleep 300 & echo $! > ${pidFile}; exit 0`,
    ]);
    expect(result.code).toBe(0);
    const background = Number(readFileSync(pidFile, 'utf8'));
    await eventually('the background process to be gone', 2_000, async () =>
      isRunning(background) ? undefined : true,
    );
  });

  it('a command that cannot be found exits 127, one that cannot be executed 126', async () => {
    const missing = await runBaton(['run', '--url', 'memory://', 'demo/job', '--', path.join(dir, 'no-such-program')]);
    expect(missing.code).toBe(127);
    expect(missing.stderr).toContain('ENOENT');
    const notExecutable = await runBaton(['run', '--url', 'memory://', 'demo/job', '--', dir]);
    expect(notExecutable.code).toBe(126);
  });
});
