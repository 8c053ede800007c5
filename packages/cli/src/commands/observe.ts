import type { ObserveOptions } from '../arguments.js';
import { ExitStatus } from '../exit-status.js';
import type { Output } from '../output.js';
import { onStopSignals } from '../stop-signals.js';
import { checkInput } from '../store.js';
import { withStore } from './common.js';
import { printLeader } from './leader.js';

/**
 * `baton observe`: the current state, then one line per change (a new leader, a new value,
 * a vacancy), until SIGINT or SIGTERM (exit 0). Store errors are ridden out by observe()
 * itself, which re-reads the state after a reconnect.
 */
export async function observeCommand(options: ObserveOptions, output: Output): Promise<number> {
  await checkInput(options.election);
  const stop = new AbortController();
  const removeHandlers = onStopSignals(() => stop.abort());
  try {
    return await withStore(options, async (backend) => {
      try {
        for await (const leader of backend.election(options.election).observe({ signal: stop.signal })) {
          printLeader(output, leader, `${new Date().toISOString()} `);
        }
      } catch (error) {
        if (!stop.signal.aborted) throw error;
      }
      return ExitStatus.ok;
    });
  } finally {
    removeHandlers();
  }
}
