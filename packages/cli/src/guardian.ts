import { type ChildProcess, spawn } from 'node:child_process';

/**
 * The guardian's whole program. It ignores the signals a terminal or a service manager
 * sends to a group, then blocks reading its stdin, a pipe whose only writer is baton. A
 * line means "disarm": the command has ended and been dealt with. End of file without a
 * line means baton is gone, however it died (SIGKILL included, which no handler in baton
 * can see): the kernel closed baton's end of the pipe, and the guardian SIGKILLs the
 * command's process group.
 */
const GUARDIAN_SCRIPT = `trap '' HUP INT TERM QUIT
if read -r _; then exit 0; fi
kill -s KILL -- "-$1" 2>/dev/null
exit 0`;

/**
 * A parent-death watch for the command's process group, without native code: Linux's
 * PR_SET_PDEATHSIG needs a native call and would reach the command alone, not what it
 * starts; polling for baton's pid would be slower and could be fooled by pid reuse. A
 * `/bin/sh` guardian holding a pipe reacts within milliseconds of baton's death, costs one
 * small process per term, and works on every POSIX system.
 */
export class ParentDeathGuard {
  private readonly process: ChildProcess;
  private disarmed = false;

  private constructor(processGroup: number) {
    // Its own session, so that a Ctrl-C or a group signal meant for baton does not reach it.
    this.process = spawn('/bin/sh', ['-c', GUARDIAN_SCRIPT, 'baton-guardian', String(processGroup)], {
      stdio: ['pipe', 'ignore', 'ignore'],
      detached: true,
    });
    this.process.on('error', () => {});
    this.process.stdin?.on('error', () => {});
    // Neither the guardian nor its pipe keeps baton's event loop alive.
    this.process.unref();
    (this.process.stdin as { unref?: () => void } | null)?.unref?.();
  }

  /** Starts a guardian that SIGKILLs `processGroup` if this process dies before `disarm()`. */
  static arm(processGroup: number): ParentDeathGuard {
    return new ParentDeathGuard(processGroup);
  }

  /** The pid of the guardian process, for tests. */
  get pid(): number | undefined {
    return this.process.pid;
  }

  /** The command's group is gone: let the guardian exit without acting. Idempotent. */
  disarm(): void {
    if (this.disarmed) return;
    this.disarmed = true;
    this.process.stdin?.end('disarm\n');
  }
}
