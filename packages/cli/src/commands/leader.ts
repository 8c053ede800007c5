import type { LeaderInfo } from '@baton/core';
import type { LeaderOptions } from '../arguments.js';
import { ExitStatus } from '../exit-status.js';
import { logfmt, type Output } from '../output.js';
import { checkInput } from '../store.js';
import { withStore } from './common.js';

/** `baton leader`: prints who leads; 0 when someone does, 3 when nobody does. */
export async function leaderCommand(options: LeaderOptions, output: Output): Promise<number> {
  await checkInput(options.election);
  return withStore(options, async (backend) => {
    const leader = await backend.election(options.election).leader();
    printLeader(output, leader);
    return leader === undefined ? ExitStatus.noLeader : ExitStatus.ok;
  });
}

/** One line for a leader or a vacancy, as `leader` and `observe` print it. */
export function printLeader(output: Output, leader: LeaderInfo | undefined, prefix = ''): void {
  if (leader === undefined) {
    output.result('vacant', {}, `${prefix}no leader`);
    return;
  }
  const fields = { id: leader.id, token: leader.token, value: leader.value };
  output.result('leader', fields, `${prefix}${logfmt(fields)}`);
}
