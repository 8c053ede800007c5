/**
 * A leader that writes to a table of the same database through Baton's transactional fencing,
 * in its own process so that a test can freeze it (SIGSTOP) in the middle of a transaction.
 * It never checks its leadership locally before writing: whether a write lands is the
 * database's decision alone. JSON lines on stdout (ready, elected, in-tx, wrote); stdin
 * commands: {"command":"hold"} (the next transaction waits 300 ms after its insert, before
 * COMMIT), {"command":"exit"}.
 */
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { connectPostgres, fencedTransaction } from '../../src/index.js';

interface Plan {
  readonly id: string;
  readonly url: string;
  readonly ttlMs: number;
  readonly election: string;
  readonly table: string;
}

const plan = JSON.parse(process.argv[2] ?? '{}') as Plan;
const emit = (event: string, fields: Record<string, unknown> = {}): void => {
  process.stdout.write(
    `${JSON.stringify({ event, id: plan.id, at: process.hrtime.bigint().toString(), ...fields })}\n`,
  );
};

let hold = false;
let exiting = false;
createInterface({ input: process.stdin }).on('line', (line) => {
  const { command } = JSON.parse(line) as { command?: string };
  if (command === 'hold') hold = true;
  if (command === 'exit') exiting = true;
});

const app = new pg.Pool({ connectionString: plan.url, max: 2 });
app.on('error', () => {});
const backend = await connectPostgres(plan.url, { ttlMs: plan.ttlMs });
emit('ready');
const leadership = await backend.election(plan.election).campaign({ id: plan.id });
emit('elected', { token: leadership.token.toString() });
leadership.ended.then((reason) => emit('lost', { reason }));

while (!exiting) {
  const held = hold;
  hold = false;
  const writer = held ? `${plan.id}-held` : plan.id;
  try {
    await fencedTransaction(app, { election: plan.election, token: leadership.token }, async (tx) => {
      await tx.query(`INSERT INTO ${plan.table} (token, writer) VALUES ($1, $2)`, [
        leadership.token.toString(),
        writer,
      ]);
      if (held) {
        emit('in-tx', { token: leadership.token.toString() });
        await sleep(300);
      }
    });
    emit('wrote', { accepted: true, writer, token: leadership.token.toString() });
  } catch (error) {
    const { code, reason } = error as { code?: string; reason?: string };
    emit('wrote', {
      accepted: false,
      writer,
      token: leadership.token.toString(),
      error: `${code} ${reason ?? ''}`.trim(),
    });
  }
  await sleep(50);
}
await backend.close();
await app.end();
process.exit(0);
