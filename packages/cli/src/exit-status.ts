import os from 'node:os';
import { isBatonError } from '@baton/core';

/**
 * Every status `baton` exits with that is its own rather than the child's. The numbers
 * follow sysexits(3) where one fits, the LSB `status` convention for "nothing is running"
 * (3), and the shell's for commands that cannot run (126, 127) or died of a signal (128+N).
 */
export const ExitStatus = {
  ok: 0,
  noLeader: 3,
  usage: 64,
  unavailable: 69,
  internal: 70,
  otherLeader: 75,
  lost: 76,
  auth: 77,
  unsupported: 78,
  notExecutable: 126,
  notFound: 127,
} as const;

export type ExitStatusName = keyof typeof ExitStatus;

/** One row of the documented table: a status (or range) and what it means. */
export interface ExitStatusRow {
  readonly status: string;
  readonly commands: string;
  readonly meaning: string;
}

/** The table the README and `baton --help` print; a test checks the README against it. */
export const exitStatusTable: readonly ExitStatusRow[] = [
  {
    status: String(ExitStatus.ok),
    commands: 'all',
    meaning:
      '`run`: the command ran and exited 0. `leader`: someone leads. `observe`: stopped by SIGINT or SIGTERM. `doctor`: the store answered.',
  },
  {
    status: '1-255',
    commands: '`run`',
    meaning:
      "The command's own exit status, passed through when it exits on its own or after a forwarded SIGINT/SIGTERM/SIGHUP. The statuses below can therefore also be the command's: the status line on stderr (or `--json` event) says which.",
  },
  { status: String(ExitStatus.noLeader), commands: '`leader`', meaning: 'Nobody leads the election.' },
  {
    status: String(ExitStatus.usage),
    commands: 'all',
    meaning:
      'Bad arguments or bad input (`ERR_INVALID_ARGUMENT`: URL, election name, ttl, id, value); the usage line is printed.',
  },
  {
    status: String(ExitStatus.unavailable),
    commands: 'all',
    meaning: 'The store did not answer within `--connect-timeout` (`ERR_BACKEND_UNAVAILABLE`).',
  },
  { status: String(ExitStatus.internal), commands: 'all', meaning: 'An unexpected error inside `baton` (a bug).' },
  {
    status: String(ExitStatus.otherLeader),
    commands: '`run --no-wait`',
    meaning: 'Another process leads; the command was not started (EX_TEMPFAIL: try again later).',
  },
  {
    status: String(ExitStatus.lost),
    commands: '`run --once`, `run --no-wait`',
    meaning: 'Leadership was lost while the command ran; the command was stopped.',
  },
  { status: String(ExitStatus.auth), commands: 'all', meaning: 'The store refused the credentials (`ERR_AUTH`).' },
  {
    status: String(ExitStatus.unsupported),
    commands: 'all',
    meaning:
      "The URL's adapter package is not installed (`ERR_ADAPTER_NOT_INSTALLED`), or `run` was started on a platform without POSIX process groups.",
  },
  {
    status: String(ExitStatus.notExecutable),
    commands: '`run`',
    meaning: 'The command was found but could not be executed.',
  },
  { status: String(ExitStatus.notFound), commands: '`run`', meaning: 'The command was not found.' },
  {
    status: '128+N',
    commands: '`run`',
    meaning:
      'The command died of signal N (143 for SIGTERM, 137 for SIGKILL), or `baton` itself was stopped by signal N before the command started.',
  },
];

/** The table as Markdown, in the form the README carries. */
export function exitStatusMarkdown(): string {
  const rows = exitStatusTable.map((row) => `| ${row.status} | ${row.commands} | ${row.meaning} |`);
  return ['| status | commands | meaning |', '| --- | --- | --- |', ...rows].join('\n');
}

/** The status for an error that ended a command: typed errors by their code, anything else as internal. */
export function statusForError(error: unknown): number {
  if (isBatonError(error, 'ERR_INVALID_ARGUMENT')) return ExitStatus.usage;
  if (isBatonError(error, 'ERR_BACKEND_UNAVAILABLE')) return ExitStatus.unavailable;
  if (isBatonError(error, 'ERR_AUTH')) return ExitStatus.auth;
  if (isBatonError(error, 'ERR_ADAPTER_NOT_INSTALLED') || isBatonError(error, 'ERR_CAPABILITY_MISSING')) {
    return ExitStatus.unsupported;
  }
  return ExitStatus.internal;
}

/** The shell's convention for a process that died of a signal: 128 + its number on this platform. */
export function signalStatus(signal: NodeJS.Signals): number {
  return 128 + (os.constants.signals[signal] ?? 0);
}
