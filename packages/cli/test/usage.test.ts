import { describe, expect, it } from 'vitest';
import { runBaton } from './support/baton-process.js';
import { STORE_KINDS } from './support/stores.js';

// What baton does with bad arguments and with a store that does not answer: statuses,
// messages and timing as documented. Nothing here needs a running store.

const noUrl = { BATON_URL: '' };

describe('baton usage errors', () => {
  it('without arguments it prints the help, with the exit statuses, and exits 0', async () => {
    const result = await runBaton([], { env: noUrl });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('usage:');
    expect(result.stdout).toContain('exit statuses:');
  });

  it('an unknown option exits 64 at once, with the command usage line', async () => {
    const result = await runBaton(['run', '--url', 'memory://', '--frobnicate', 'e', '--', 'true']);
    expect(result.code).toBe(64);
    expect(result.stderr).toContain("Unknown option '--frobnicate'");
    expect(result.stderr).toContain('usage: baton run [--url URL]');
  });

  it('no URL from --url or BATON_URL exits 64', async () => {
    const result = await runBaton(['leader', 'billing'], { env: noUrl });
    expect(result.code).toBe(64);
    expect(result.stderr).toContain('no store URL: pass --url URL or set BATON_URL');
  });

  it('a bad election name exits 64 before any connection is tried', async () => {
    // Nothing listens on port 1: a connection attempt would wait out the 20 s timeout.
    const result = await runBaton([
      'leader',
      '--url',
      'redis://127.0.0.1:1',
      '--connect-timeout',
      '20000',
      'bad//name',
    ]);
    expect(result.code).toBe(64);
    expect(result.stderr).toContain('ERR_INVALID_ARGUMENT');
    expect(result.stderr).toContain('usage: baton leader');
    expect(result.ms).toBeLessThan(10_000);
  });

  it('an unknown URL scheme exits 64, naming the schemes Baton knows', async () => {
    const result = await runBaton(['doctor', '--url', 'mongodb://127.0.0.1:27017']);
    expect(result.code).toBe(64);
    expect(result.stderr).toMatch(/unknown backend scheme "mongodb:\/\/"; known: .*etcd:\/\//);
  });

  it('with --json, an error is one JSON object with its code and what to check', async () => {
    const result = await runBaton(['leader', '--url', 'redis://127.0.0.1:1', '--json', 'bad//name']);
    expect(result.code).toBe(64);
    const [error] = result.events;
    expect(error).toMatchObject({
      event: 'error',
      code: 'ERR_INVALID_ARGUMENT',
      hint: expect.stringContaining('election'),
    });
  });
});

describe('a store that does not answer', () => {
  it.each(STORE_KINDS)('%s: every command exits 69 within --connect-timeout, saying what to check', async (kind) => {
    const url = `${kind}://127.0.0.1:1`;
    const [leader, doctor, run] = await Promise.all([
      runBaton(['leader', '--url', url, '--connect-timeout', '1500', 'billing']),
      runBaton(['doctor', '--url', url, '--connect-timeout', '1500', '--json']),
      runBaton(['run', '--url', url, '--connect-timeout', '1500', 'billing', '--', 'true']),
    ]);
    for (const result of [leader, doctor, run]) {
      expect(result.code, result.stderr).toBe(69);
      // 1.5 s of timeout, plus a process start from TypeScript sources on a busy machine.
      expect(result.ms).toBeLessThan(12_000);
    }
    expect(leader.stderr).toContain('ERR_BACKEND_UNAVAILABLE');
    expect(leader.stderr).toContain('baton: check: that the store runs');
    expect(doctor.events[0]).toMatchObject({ event: 'error', code: 'ERR_BACKEND_UNAVAILABLE' });
    expect(run.stderr).not.toContain('started');
  });
});
