// The command the end-to-end tests run under `baton run`. It appends JSON lines with
// monotonic timestamps (process.hrtime, one clock for every process on the machine) to the
// file named by its first argument: a start line with the environment baton gave it, then
// a tick every 5 ms while it lives, so that its lifetime can be judged from the file even
// when it is SIGKILLed.
//   TICKER_ON_TERM=ignore   ignore SIGTERM (only SIGKILL stops it)
//   TICKER_ON_TERM=exit:N   exit with status N on SIGTERM (default: exit:0), after TICKER_TERM_DELAY_MS
//   TICKER_EXIT_AFTER_MS    exit on its own after this long, with TICKER_EXIT_CODE (default 0)
import { appendFileSync } from 'node:fs';

const file = process.argv[2];
if (!file) throw new Error('usage: ticker.mjs FILE');
const write = (event, fields = {}) =>
  appendFileSync(
    file,
    `${JSON.stringify({ event, at: String(process.hrtime.bigint()), pid: process.pid, ...fields })}\n`,
  );

const onTerm = process.env.TICKER_ON_TERM ?? 'exit:0';
process.on('SIGTERM', () => {
  write('term');
  if (onTerm === 'ignore') return;
  const code = Number(onTerm.slice('exit:'.length));
  setTimeout(
    () => {
      write('exit', { code });
      process.exit(code);
    },
    Number(process.env.TICKER_TERM_DELAY_MS ?? 0),
  );
});

// Written once the SIGTERM handler is in place: a test that sees this line may signal.
write('start', {
  token: process.env.BATON_TOKEN,
  leaderId: process.env.BATON_LEADER_ID,
  election: process.env.BATON_ELECTION,
  ttlMs: process.env.BATON_TTL_MS,
});
setInterval(() => write('tick'), 5);

if (process.env.TICKER_EXIT_AFTER_MS) {
  setTimeout(() => {
    const code = Number(process.env.TICKER_EXIT_CODE ?? 0);
    write('exit', { code });
    process.exit(code);
  }, Number(process.env.TICKER_EXIT_AFTER_MS));
}
