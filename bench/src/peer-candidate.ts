// A peer library's candidate in its own process, so that crash failover is measured the
// same way for the peers as for Baton: the parent SIGKILLs the holder and times the
// next election. It prints the JSON lines CandidateProcess reads (ready, elected, lost)
// with times on the machine's monotonic clock, and exits on {"command":"exit"}.
import { createInterface } from 'node:readline';
import { type PeerEndpoint, peerKit } from './peers/index.js';

interface PeerPlan extends PeerEndpoint {
  readonly id: string;
  readonly election: string;
}

const plan = JSON.parse(process.argv[2] ?? '{}') as PeerPlan;
const say = (event: string, error?: string): void =>
  void process.stdout.write(`${JSON.stringify({ event, id: plan.id, at: String(process.hrtime.bigint()), error })}\n`);

const stop = new AbortController();
createInterface({ input: process.stdin }).on('line', (line) => {
  if ((JSON.parse(line) as { command?: string }).command === 'exit') stop.abort();
});
const exited = new Promise<void>((resolve) => stop.signal.addEventListener('abort', () => resolve()));

const kit = peerKit(plan);
const contender = await kit.contender(plan.election, plan.id);
say('ready');
// As a leader's main loop would: campaign, lead until told of a loss, campaign again.
while (!stop.signal.aborted) {
  let lost: () => void = () => {};
  const lostNotice = new Promise<void>((resolve) => {
    lost = resolve;
  });
  let release: (() => Promise<void>) | void;
  try {
    release = await Promise.race([
      contender.acquire(stop.signal, () => {
        say('lost');
        lost();
      }),
      exited,
    ]);
  } catch (error) {
    if (stop.signal.aborted) break;
    say('campaign-failed', String(error));
    await new Promise((resolve) => setTimeout(resolve, 200));
    continue;
  }
  if (!release) break;
  say('elected');
  await Promise.race([exited, lostNotice]);
  await release().catch(() => undefined);
}
await kit.close();
process.exit(0);
