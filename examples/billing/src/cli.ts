import { parseArgs } from 'node:util';
import { type DemoOptions, defaultOptions } from './driver.js';

export interface CliOptions {
  readonly demo: DemoOptions;
  readonly json: boolean;
}

export const USAGE = `Usage: npm run demo -- [options]

  --backend URL       coordination store (default: memory://billing-demo-<pid>, workers in this process);
                      etcd://, zookeeper://, consul://, redis://, postgres:// run each worker as its own
                      process; with postgres:// the ledger is in that database, fenced in its transactions
  --workers N         billing workers (default 3, at least 3)
  --invoices N        invoices to charge (default 60)
  --ttl MS            session ttl (default 1000 on memory, 2000 on real backends)
  --pace MS           time per invoice besides the provider call (default 40 memory, 60 real)
  --no-fencing        ledger writes ignore fencing tokens (negative control)
  --no-idempotency    charges go out without an idempotency key (negative control)
  --json              print the report as JSON on stdout (progress stays on stderr)
  --quiet             no progress lines
  --help`;

/** Parses argv; throws with a message for the user on bad input. */
export function parseCli(argv: readonly string[]): CliOptions | 'help' {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      backend: { type: 'string' },
      workers: { type: 'string' },
      invoices: { type: 'string' },
      ttl: { type: 'string' },
      pace: { type: 'string' },
      'no-fencing': { type: 'boolean', default: false },
      'no-idempotency': { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      quiet: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) return 'help';
  const defaults = defaultOptions(values.backend);
  const demo: DemoOptions = {
    ...defaults,
    workers: integer(values.workers, '--workers', defaults.workers, 3),
    invoices: integer(values.invoices, '--invoices', defaults.invoices, 10),
    ttlMs: integer(values.ttl, '--ttl', defaults.ttlMs),
    paceMs: integer(values.pace, '--pace', defaults.paceMs, 0),
    fencing: !values['no-fencing'],
    idempotency: !values['no-idempotency'],
    ...(values.quiet ? {} : { log: (line: string) => process.stderr.write(`${line}\n`) }),
  };
  return { demo, json: values.json };
}

function integer(text: string | undefined, flag: string, fallback: number, min = 1): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < min) throw new Error(`${flag} must be an integer >= ${min}, got "${text}"`);
  return value;
}
