import { readFileSync } from 'node:fs';
import {
  AdapterNotInstalledError,
  AuthError,
  BackendUnavailableError,
  CapabilityMissingError,
  InvalidArgumentError,
} from '@baton/core';
import { describe, expect, it } from 'vitest';
import { ExitStatus, exitStatusMarkdown, signalStatus, statusForError } from '../src/exit-status.js';

/** A Markdown table's cells, row by row, whatever its column padding (the separator row left out). */
const cells = (table: string): string[][] =>
  table
    .trim()
    .split('\n')
    .filter((row) => !/^\|[\s|:-]+\|$/.test(row))
    .map((row) =>
      row
        .replace(/^\||\|$/g, '')
        .split(/(?<!\\)\|/)
        .map((cell) => cell.trim()),
    );

describe('exit statuses', () => {
  it('the README documents exactly the table the code defines', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const start = '<!-- exit-statuses:start -->';
    const documented = readme.slice(readme.indexOf(start) + start.length, readme.indexOf('<!-- exit-statuses:end -->'));
    expect(cells(documented)).toEqual(cells(exitStatusMarkdown()));
  });

  it('each typed error has its status', () => {
    expect(statusForError(new InvalidArgumentError('bad'))).toBe(ExitStatus.usage);
    expect(statusForError(new BackendUnavailableError('down'))).toBe(ExitStatus.unavailable);
    expect(statusForError(new AuthError('no'))).toBe(ExitStatus.auth);
    expect(statusForError(new AdapterNotInstalledError('x', '@baton/x'))).toBe(ExitStatus.unsupported);
    expect(statusForError(new CapabilityMissingError('redis', ['fifo']))).toBe(ExitStatus.unsupported);
    expect(statusForError(new Error('surprise'))).toBe(ExitStatus.internal);
  });

  it('a death by signal N is 128 + N, as shells report it', () => {
    expect(signalStatus('SIGTERM')).toBe(143);
    expect(signalStatus('SIGKILL')).toBe(137);
    expect(signalStatus('SIGINT')).toBe(130);
  });
});
