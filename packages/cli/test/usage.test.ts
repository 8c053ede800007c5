import { describe, expect, it } from 'vitest';
import type { BackendKind } from '../../../test/backends/index.js';
import { runBaton } from './support/baton-process.js';

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

// One command per store, so that every command and every adapter's connect path is covered.
const unreachable: [BackendKind, string[]][] = [
  ['etcd', ['leader', 'billing']],
  ['zookeeper', ['observe', 'billing']],
  ['consul', ['doctor']],
  ['redis', ['run', 'billing', '--', 'true']],
];

describe('a store that does not answer', () => {
  it.each(unreachable)('%s: %j exits 69 within --connect-timeout, saying what to check', async (kind, args) => {
    const [command, ...rest] = args as [string, ...string[]];
    const result = await runBaton([command, '--url', `${kind}://127.0.0.1:1`, '--connect-timeout', '1500', ...rest]);
    expect(result.code, result.stderr).toBe(69);
    // 1.5 s of timeout, plus a process start from TypeScript sources on a busy machine.
    expect(result.ms).toBeLessThan(12_000);
    expect(result.stderr).toContain('baton: ERR_BACKEND_UNAVAILABLE: ');
    expect(result.stderr).toContain('baton: check: that the store runs');
    expect(result.stdout).toBe('');
  });

  it('with --json, the error is one JSON object', async () => {
    const result = await runBaton(['doctor', '--url', 'redis://127.0.0.1:1', '--connect-timeout', '1500', '--json']);
    expect(result.code).toBe(69);
    expect(result.events).toEqual([
      expect.objectContaining({ event: 'error', code: 'ERR_BACKEND_UNAVAILABLE', hint: expect.any(String) }),
    ]);
  });
});
