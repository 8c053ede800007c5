// A child process for case 10: it leads, closes its backend, and must then exit by
// itself. If anything (a timer, a socket, a watch) outlives close(), it never exits.
import { connect } from '@baton/core';

interface Plan {
  readonly url: string;
  readonly ttlMs: number;
  readonly election: string;
}

const plan = JSON.parse(process.argv[2] ?? '{}') as Plan;
const say = (line: object): void => void process.stdout.write(`${JSON.stringify(line)}\n`);

const backend = await connect(plan.url, { ttlMs: plan.ttlMs, connectTimeoutMs: 5_000 });
const leadership = await backend.election(plan.election).campaign({ id: 'child' });
say({ event: 'elected', token: String(leadership.token) });
await backend.close();
say({ event: 'closed', reason: await leadership.ended });
