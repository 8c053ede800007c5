import { parseCli, USAGE } from './cli.js';
import { runDemo } from './driver.js';
import { formatReport } from './report.js';
import { ttlInForce } from './ttl-in-force.js';

// Exit through process.exit so that 'exit' handlers reap worker processes, a frozen one included.
process.once('SIGINT', () => process.exit(130));
process.once('SIGTERM', () => process.exit(143));

async function main(): Promise<number> {
  let cli: ReturnType<typeof parseCli>;
  try {
    cli = parseCli(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n\n${USAGE}\n`);
    return 2;
  }
  if (cli === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  let demo = cli.demo;
  if (!demo.backend.startsWith('memory:')) {
    const ttlMs = await ttlInForce(demo.backend, demo.ttlMs);
    if (ttlMs !== demo.ttlMs) {
      demo.log?.(
        `the store grants a ttl of at least ${ttlMs} ms: running with ${ttlMs} ms instead of ${demo.ttlMs} ms`,
      );
      demo = { ...demo, ttlMs };
    }
  }
  const report = await runDemo(demo);
  process.stdout.write(cli.json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report));
  if (!report.complete) return 1;
  // Duplicates are the expected outcome of a negative control, a failure otherwise.
  if (report.fencing && report.idempotency && !report.exactlyOnce) return 1;
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    // The message says what failed (typed Baton errors name their code); the stack only on request.
    const detail =
      error instanceof Error
        ? process.env.DEBUG
          ? (error.stack ?? error.message)
          : `${'code' in error ? `${String(error.code)}: ` : ''}${error.message}`
        : String(error);
    process.stderr.write(`demo: ${detail}\n`);
    process.exit(1);
  },
);
