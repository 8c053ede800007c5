import { describe, expect, it } from 'vitest';
import { DEFAULT_KILL_AFTER_MS, parseArguments, UsageError } from '../src/arguments.js';

const env = { BATON_URL: 'redis://127.0.0.1:6379' };

describe('baton arguments', () => {
  it('run: baton options before --, the command and its own options after', () => {
    expect(
      parseArguments(['run', '--ttl', '2000', '--id', 'w1', 'billing', '--', 'charge.sh', '--ttl', '--', 'x'], env),
    ).toEqual({
      command: 'run',
      url: 'redis://127.0.0.1:6379',
      connectTimeoutMs: undefined,
      output: 'text',
      election: 'billing',
      argv: ['charge.sh', '--ttl', '--', 'x'],
      ttlMs: 2000,
      id: 'w1',
      value: undefined,
      killAfterMs: DEFAULT_KILL_AFTER_MS,
      once: false,
      noWait: false,
      verbose: false,
    });
  });

  it('--url wins over BATON_URL; without either it is a usage error', () => {
    expect(parseArguments(['leader', '--url', 'etcd://h:2379', 'e'], env)).toMatchObject({ url: 'etcd://h:2379' });
    expect(() => parseArguments(['leader', 'e'], {})).toThrow(/no store URL/);
  });

  it('--no-wait runs one term at most', () => {
    expect(parseArguments(['run', '--no-wait', 'e', '--', 'true'], env)).toMatchObject({ once: true, noWait: true });
  });

  it.each([
    [['run', 'e'], /missing the command/],
    [['run', 'e', 'charge.sh'], /missing the command/],
    [['run', 'e', 'f', '--', 'true'], /unexpected argument "f"/],
    [['run', '--', 'true'], /missing the ELECTION/],
    [['run', '--ttl', '2s', 'e', '--', 'true'], /--ttl takes a whole number/],
    [['run', '--ttl', '0', 'e', '--', 'true'], /--ttl takes a whole number/],
    [['run', '--frobnicate', 'e', '--', 'true'], /frobnicate/],
    [['run', '--once', '--no-wait', 'e', '--', 'true'], /implies --once/],
    [['leader', '--json', '--quiet', 'e'], /exclude each other/],
    [['observe', '--quiet', 'e'], /quiet/],
    [['doctor', 'extra'], /unexpected argument/],
    [['elect', 'e'], /unknown command "elect"/],
  ])('%j is a usage error', (args, message) => {
    expect(() => parseArguments(args, env)).toThrow(UsageError);
    expect(() => parseArguments(args, env)).toThrow(message);
  });

  it('--kill-after 0 is allowed: SIGKILL without grace', () => {
    expect(parseArguments(['run', '--kill-after', '0', 'e', '--', 'true'], env)).toMatchObject({ killAfterMs: 0 });
  });

  it('help and version', () => {
    expect(parseArguments([], {})).toEqual({ command: 'help', topic: undefined });
    expect(parseArguments(['help', 'run'], {})).toEqual({ command: 'help', topic: 'run' });
    expect(parseArguments(['run', '--help'], {})).toEqual({ command: 'help', topic: 'run' });
    expect(parseArguments(['--version'], {})).toEqual({ command: 'version' });
  });
});
