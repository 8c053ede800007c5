/**
 * One billing replica in its own process, as it would run in production: its own client of
 * the coordination store, its own connection to the ledger and to the provider. The
 * driver reads its events as JSON lines on stdout and steers it with JSON lines on stdin;
 * crashes and pauses come from outside, as SIGKILL and SIGSTOP.
 */
import { createInterface } from 'node:readline';
import { connect } from '@baton/core';
import { openLedger } from './open-ledger.js';
import { type DriverCommand, encode, parseCommand, parseConfig, type WorkerLine } from './protocol.js';
import { type HoldHook, type HoldPoint, runWorker } from './worker.js';

const config = parseConfig(process.argv[2]);

// Pipes are synchronous on Linux: a line is out before the next statement runs, so a
// 'holding' line is never lost to a SIGKILL that follows it.
const emit = (line: WorkerLine): void => {
  process.stdout.write(encode(line));
};

let armed: HoldPoint | undefined;
let release: ((answer: 'continue' | 'halt') => void) | undefined;
const stop = new AbortController();

const hold: HoldHook = (point, invoice, token) => {
  if (armed !== point) return undefined;
  armed = undefined;
  const released = new Promise<'continue' | 'halt'>((resolve) => {
    release = resolve;
  });
  emit({ type: 'holding', worker: config.id, token: token.toString(), invoice, point });
  return released;
};

const onCommand = (command: DriverCommand): void => {
  if (command.cmd === 'hold') armed = command.point;
  else if (command.cmd === 'release') {
    release?.('continue');
    release = undefined;
  } else shutdown();
};

function shutdown(): void {
  release?.('halt');
  release = undefined;
  stop.abort();
}

const input = createInterface({ input: process.stdin });
input.on('line', (line) => {
  const command = parseCommand(line);
  if (command) onCommand(command);
});
// The driver is gone: do not linger as an orphan.
input.on('close', shutdown);
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);

async function main(): Promise<void> {
  const backend = await connect(config.backendUrl, { ttlMs: config.ttlMs, connectTimeoutMs: 10_000 });
  const ledger = await openLedger(config.ledger, { fencing: config.fencing });
  try {
    emit({ type: 'ready', worker: config.id, pid: process.pid });
    await runWorker(
      {
        id: config.id,
        election: backend.election(config.election),
        ledger,
        providerUrl: config.providerUrl,
        idempotency: config.idempotency,
        emit,
        hold,
        paceMs: config.paceMs,
        batchSize: config.batchSize,
      },
      stop.signal,
    );
  } finally {
    await backend.close().catch(() => undefined);
    await ledger.close();
    input.close();
  }
  emit({ type: 'exiting', worker: config.id });
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(
      `worker ${config.id}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(1);
  },
);
