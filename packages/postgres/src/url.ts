import { InvalidArgumentError, parseBackendUrl, redactUrl } from '@baton/core/adapter';
import { DEFAULT_SCHEMA, quoteSchema } from './schema.js';

export const DEFAULT_POSTGRES_PORT = 5432;

/** libpq's `sslmode` values, with libpq's meaning (see `tlsOptions`). */
export type SslMode = 'disable' | 'allow' | 'prefer' | 'require' | 'verify-ca' | 'verify-full';

const SSL_MODES: readonly SslMode[] = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'];
const KNOWN_PARAMS = new Set(['schema', 'sslmode', 'sslrootcert', 'createSchema']);

/** What a `postgres://` or `postgresql://` URL says. Fields left out fall back to pg's defaults (PGHOST, PGUSER...). */
export interface PostgresUrl {
  /** A host name, an IP address, or a Unix socket directory (`%2Fvar%2Frun%2Fpostgresql`). */
  readonly host: string | undefined;
  readonly port: number;
  readonly user: string | undefined;
  readonly password: string | undefined;
  readonly database: string | undefined;
  /** The schema of Baton's tables (`?schema=`). @default 'baton' */
  readonly schema: string;
  /** `?sslmode=`, as libpq spells it. @default 'prefer' (libpq's default) */
  readonly sslMode: SslMode;
  /** `?sslrootcert=`: a PEM file of trusted CAs, or `system` for Node's CA store. */
  readonly sslRootCert: string | undefined;
  /** `?createSchema=false` refuses to create the schema at run time (apply sql/001_init.sql ahead). @default true */
  readonly createSchema: boolean;
  /** The URL with its password replaced, for messages and logs. */
  readonly redacted: string;
}

/**
 * Parses `postgres://[user[:password]@][host][:port][/database][?schema=baton&sslmode=prefer&sslrootcert=FILE&createSchema=true]`
 * (`postgresql://` alike), once, before any round trip.
 * @throws InvalidArgumentError naming what is wrong; the password never appears in it.
 */
export function parsePostgresUrl(raw: string): PostgresUrl {
  const shown = redactUrl(String(raw));
  if (/^[a-z][a-z0-9+.-]*:\/\/(?:[^@/?#]*@)?[^/?#]*,/i.test(String(raw))) {
    throw new InvalidArgumentError(`"${shown}" must name at most one host`);
  }
  const url = parseBackendUrl(raw);
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new InvalidArgumentError(`"${shown}" is not a postgres:// or postgresql:// URL`);
  }
  if (url.hash !== '') throw new InvalidArgumentError(`"${shown}" must not have a #fragment`);
  for (const key of url.searchParams.keys()) {
    if (!KNOWN_PARAMS.has(key)) {
      throw new InvalidArgumentError(
        `unknown parameter "${key}" in "${shown}"; known: ${[...KNOWN_PARAMS].join(', ')}`,
      );
    }
  }
  const host = decode(url.hostname.replace(/^\[(.*)\]$/, '$1'), shown);
  const port = url.port === '' ? DEFAULT_POSTGRES_PORT : Number(url.port);
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new InvalidArgumentError(`port out of range in "${shown}"`);
  const path = decode(url.pathname.replace(/^\//, ''), shown);
  if (path.includes('/')) throw new InvalidArgumentError(`"${shown}" has more than a database name in its path`);
  const schema = url.searchParams.get('schema') ?? DEFAULT_SCHEMA;
  quoteSchema(schema);
  const sslMode = (url.searchParams.get('sslmode') ?? 'prefer') as SslMode;
  if (!SSL_MODES.includes(sslMode)) {
    throw new InvalidArgumentError(`sslmode "${sslMode}" is not one of ${SSL_MODES.join(', ')}`);
  }
  const sslRootCert = url.searchParams.get('sslrootcert') ?? undefined;
  if (sslRootCert === '') throw new InvalidArgumentError('sslrootcert must name a file (or "system")');
  const createSchema = url.searchParams.get('createSchema') ?? 'true';
  if (createSchema !== 'true' && createSchema !== 'false') {
    throw new InvalidArgumentError(`createSchema must be "true" or "false", got "${createSchema}"`);
  }
  return {
    host: host === '' ? undefined : host,
    port,
    user: url.username === '' ? undefined : decode(url.username, shown),
    password: url.password === '' ? undefined : decode(url.password, shown),
    database: path === '' ? undefined : path,
    schema,
    sslMode,
    sslRootCert,
    createSchema: createSchema === 'true',
    redacted: shown,
  };
}

function decode(part: string, shown: string): string {
  try {
    return decodeURIComponent(part);
  } catch (cause) {
    throw new InvalidArgumentError(`bad percent-encoding in "${shown}"`, { cause });
  }
}
