import { InvalidArgumentError } from './errors.js';

/** Spellings users reach for, mapped to the option Baton calls it. */
const ALIASES: Readonly<Record<string, string>> = {
  ttl: 'ttlMs',
  timeout: 'connectTimeoutMs',
  connectTimeout: 'connectTimeoutMs',
  requestTimeout: 'connectTimeoutMs',
  abortSignal: 'signal',
  name: 'id',
};

/** Levenshtein distance, for suggesting the option a typo meant. */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0] as number;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j] as number;
      row[j] = Math.min(
        (row[j] as number) + 1,
        (row[j - 1] as number) + 1,
        previous + (a[i - 1]?.toLowerCase() === b[j - 1]?.toLowerCase() ? 0 : 1),
      );
      previous = current;
    }
  }
  return row[b.length] as number;
}

/** The known option `key` most likely meant, if one is close. */
function suggestion(key: string, known: readonly string[]): string | undefined {
  const alias = ALIASES[key];
  if (alias !== undefined && known.includes(alias)) return alias;
  let best: { name: string; distance: number } | undefined;
  for (const name of known) {
    const d = distance(key, name);
    if (!best || d < best.distance) best = { name, distance: d };
  }
  return best && best.distance <= Math.max(2, Math.floor(key.length / 3)) ? best.name : undefined;
}

/**
 * Refuses keys an options object does not know, naming the key and, when one is close, the
 * option it meant (`ttl` -> `ttlMs`): a misspelt option silently left at its default is a
 * bug found in production.
 * @throws InvalidArgumentError (ERR_INVALID_ARGUMENT) naming the first unknown key.
 */
export function assertKnownKeys(what: string, options: object, known: readonly string[]): void {
  for (const key of Object.keys(options)) {
    if (known.includes(key)) continue;
    const meant = suggestion(key, known);
    throw new InvalidArgumentError(
      `unknown ${what} option "${key}"${meant ? `; did you mean "${meant}"?` : ''} (known: ${known.join(', ')})`,
    );
  }
}
