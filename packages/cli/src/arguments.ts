import { type ParseArgsConfig, parseArgs } from 'node:util';
import { type CommandName, commandNames } from './help.js';

/** Bad arguments: printed with the command's usage line; exit status 64. */
export class UsageError extends Error {
  readonly command: CommandName | undefined;

  constructor(message: string, command?: CommandName) {
    super(message);
    this.name = 'UsageError';
    this.command = command;
  }
}

export type OutputMode = 'text' | 'json' | 'quiet';

/** What every command that talks to a store takes. */
export interface StoreOptions {
  readonly url: string;
  readonly connectTimeoutMs: number | undefined;
  readonly output: OutputMode;
}

export interface RunOptions extends StoreOptions {
  readonly command: 'run';
  readonly election: string;
  readonly argv: readonly [string, ...string[]];
  readonly ttlMs: number | undefined;
  readonly id: string | undefined;
  readonly value: string | undefined;
  /** @default 10000 */
  readonly killAfterMs: number;
  readonly once: boolean;
  readonly noWait: boolean;
  readonly verbose: boolean;
}

export interface LeaderOptions extends StoreOptions {
  readonly command: 'leader';
  readonly election: string;
}

export interface ObserveOptions extends StoreOptions {
  readonly command: 'observe';
  readonly election: string;
}

export interface DoctorOptions extends StoreOptions {
  readonly command: 'doctor';
  readonly ttlMs: number | undefined;
}

export type Invocation =
  | RunOptions
  | LeaderOptions
  | ObserveOptions
  | DoctorOptions
  | { readonly command: 'help'; readonly topic: CommandName | undefined }
  | { readonly command: 'version' };

export const DEFAULT_KILL_AFTER_MS = 10_000;

type Options = NonNullable<ParseArgsConfig['options']>;

const storeOptions = {
  url: { type: 'string' },
  'connect-timeout': { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies Options;

const optionsOf = {
  run: {
    ...storeOptions,
    quiet: { type: 'boolean' },
    ttl: { type: 'string' },
    id: { type: 'string' },
    value: { type: 'string' },
    'kill-after': { type: 'string' },
    once: { type: 'boolean' },
    'no-wait': { type: 'boolean' },
    verbose: { type: 'boolean' },
  },
  leader: { ...storeOptions, quiet: { type: 'boolean' } },
  observe: storeOptions,
  doctor: { ...storeOptions, quiet: { type: 'boolean' }, ttl: { type: 'string' } },
} as const satisfies Record<CommandName, Options>;

/**
 * Parses `baton`'s arguments (without the node and script paths) with `util.parseArgs`,
 * strictly: an unknown option, a missing value or a stray positional is a UsageError.
 * `env` supplies BATON_URL when `--url` is absent.
 * @throws UsageError
 */
export function parseArguments(args: readonly string[], env: NodeJS.ProcessEnv): Invocation {
  const [first, ...rest] = args;
  if (first === undefined || first === '-h' || first === '--help') return { command: 'help', topic: undefined };
  if (first === '--version' || first === '-v') return { command: 'version' };
  if (first === 'help') {
    const topic = rest[0];
    if (topic === undefined) return { command: 'help', topic: undefined };
    return { command: 'help', topic: commandName(topic) };
  }
  const command = commandName(first);
  switch (command) {
    case 'run':
      return parseRun(rest, env);
    case 'leader':
    case 'observe': {
      const parsed = parse(command, rest);
      if (parsed.help) return { command: 'help', topic: command };
      return { command, ...store(command, parsed.values, env), election: single(command, parsed.positionals) };
    }
    case 'doctor': {
      const parsed = parse(command, rest);
      if (parsed.help) return { command: 'help', topic: command };
      if (parsed.positionals.length > 0) {
        throw new UsageError(`unexpected argument "${parsed.positionals[0]}"`, command);
      }
      return { command, ...store(command, parsed.values, env), ttlMs: milliseconds(command, 'ttl', parsed.values.ttl) };
    }
  }
}

function commandName(word: string): CommandName {
  const known = commandNames.find((name) => name === word);
  if (!known) throw new UsageError(`unknown command "${word}"; commands: ${commandNames.join(', ')}`);
  return known;
}

interface Parsed {
  readonly values: Record<string, string | boolean | undefined>;
  readonly positionals: string[];
  /** Index in `args` of the `--` that ends baton's options, if there is one. */
  readonly terminator: number | undefined;
  readonly help: boolean;
}

function parse(command: CommandName, args: readonly string[]): Parsed {
  try {
    const { values, positionals, tokens } = parseArgs({
      args: [...args],
      options: optionsOf[command],
      strict: true,
      allowPositionals: true,
      tokens: true,
    });
    const terminator = tokens.find((token) => token.kind === 'option-terminator')?.index;
    const flat = values as Record<string, string | boolean | undefined>;
    return { values: flat, positionals, terminator, help: flat.help === true };
  } catch (error) {
    // parseArgs throws TypeErrors with ERR_PARSE_ARGS_* codes and a message naming the option.
    throw new UsageError(error instanceof Error ? error.message : String(error), command);
  }
}

function parseRun(args: readonly string[], env: NodeJS.ProcessEnv): Invocation {
  // What follows `--` is the command's, never parsed as baton's options.
  const parsed = parse('run', args);
  if (parsed.help) return { command: 'help', topic: 'run' };
  const terminator = parsed.terminator;
  const [program, ...programArgs] = terminator === undefined ? [] : args.slice(terminator + 1);
  if (program === undefined) throw new UsageError('missing the command to run after "--"', 'run');
  const ownPositionals = parsed.positionals.slice(0, parsed.positionals.length - 1 - programArgs.length);
  const values = parsed.values;
  if (values['no-wait'] === true && values.once === true) {
    // Not an error in spirit, but one of them is redundant; say which does what.
    throw new UsageError('--no-wait already implies --once; pass one of them', 'run');
  }
  return {
    command: 'run',
    ...store('run', values, env),
    election: single('run', ownPositionals),
    argv: [program, ...programArgs],
    ttlMs: milliseconds('run', 'ttl', values.ttl),
    id: optionalString(values.id),
    value: optionalString(values.value),
    killAfterMs: milliseconds('run', 'kill-after', values['kill-after'], true) ?? DEFAULT_KILL_AFTER_MS,
    once: values.once === true || values['no-wait'] === true,
    noWait: values['no-wait'] === true,
    verbose: values.verbose === true,
  };
}

function store(command: CommandName, values: Parsed['values'], env: NodeJS.ProcessEnv): StoreOptions {
  const url = optionalString(values.url) ?? (env.BATON_URL === '' ? undefined : env.BATON_URL);
  if (url === undefined) throw new UsageError('no store URL: pass --url URL or set BATON_URL', command);
  if (values.json === true && values.quiet === true)
    throw new UsageError('--json and --quiet exclude each other', command);
  return {
    url,
    connectTimeoutMs: milliseconds(command, 'connect-timeout', values['connect-timeout']),
    output: values.json === true ? 'json' : values.quiet === true ? 'quiet' : 'text',
  };
}

function single(command: CommandName, positionals: readonly string[]): string {
  if (positionals.length === 0) throw new UsageError('missing the ELECTION name', command);
  if (positionals.length > 1) {
    const hint = command === 'run' ? ' (put the command after "--")' : '';
    throw new UsageError(`unexpected argument "${positionals[1]}"${hint}`, command);
  }
  return positionals[0] as string;
}

function optionalString(value: string | boolean | undefined): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** A whole number of milliseconds: > 0, or >= 0 where zero means "no wait". */
function milliseconds(
  command: CommandName,
  option: string,
  value: string | boolean | undefined,
  zeroAllowed = false,
): number | undefined {
  if (typeof value !== 'string') return undefined;
  const number = /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(number) || number > 2 ** 31 - 1 || (number === 0 && !zeroAllowed)) {
    throw new UsageError(
      `--${option} takes a whole number of milliseconds${zeroAllowed ? '' : ' above 0'}, got "${value}"`,
      command,
    );
  }
  return number;
}
