import { describe, expect, it } from 'vitest';
import { parsePostgresUrl } from '../src/url.js';

describe('parsePostgresUrl', () => {
  it('reads user, password, host, port, database and the schema', () => {
    expect(parsePostgresUrl('postgres://app:s%40cret@db.example:6543/billing?schema=elections')).toMatchObject({
      host: 'db.example',
      port: 6543,
      user: 'app',
      password: 's@cret',
      database: 'billing',
      schema: 'elections',
      sslMode: 'prefer',
      createSchema: true,
    });
  });

  it('takes postgresql:// too, and leaves what the URL does not say to pg (PGHOST, PGUSER...)', () => {
    expect(parsePostgresUrl('postgresql://')).toMatchObject({
      host: undefined,
      port: 5432,
      user: undefined,
      password: undefined,
      database: undefined,
      schema: 'baton',
    });
  });

  it('reads an IPv6 host and a Unix socket directory', () => {
    expect(parsePostgresUrl('postgres://[::1]:5433/app').host).toBe('::1');
    expect(parsePostgresUrl('postgres://app@%2Fvar%2Frun%2Fpostgresql/app').host).toBe('/var/run/postgresql');
  });

  it("keeps libpq's sslmode names, sslrootcert and createSchema", () => {
    for (const mode of ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'] as const) {
      expect(parsePostgresUrl(`postgres://h/db?sslmode=${mode}`).sslMode).toBe(mode);
    }
    const url = parsePostgresUrl('postgres://h/db?sslmode=verify-full&sslrootcert=/etc/ca.pem&createSchema=false');
    expect(url).toMatchObject({ sslRootCert: '/etc/ca.pem', createSchema: false });
  });

  it.each([
    ['redis://h/db', 'not a postgres'],
    ['postgres://a,b/db', 'at most one host'],
    ['postgres://h:70000/db', 'not a valid URL'],
    ['postgres://h/db/x', 'more than a database'],
    ['postgres://h/db?sslmode=strict', 'sslmode "strict"'],
    ['postgres://h/db?schema=1bad', 'schema "1bad"'],
    ['postgres://h/db?schema=a-b', 'schema "a-b"'],
    ['postgres://h/db?createSchema=maybe', 'createSchema'],
    ['postgres://h/db?application_name=x', 'unknown parameter "application_name"'],
    ['postgres://h/db#frag', 'fragment'],
  ])('refuses %s with ERR_INVALID_ARGUMENT', (raw, message) => {
    expect(() => parsePostgresUrl(raw)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }));
    expect(() => parsePostgresUrl(raw)).toThrow(message);
  });

  it('never puts the password in an error or in the redacted form', () => {
    const raw = 'postgres://app:hunter2@h/db?nope=1';
    expect(() => parsePostgresUrl(raw)).toThrow('app:***@h');
    expect(() => parsePostgresUrl(raw)).toThrow(
      expect.not.objectContaining({ message: expect.stringContaining('hunter2') }),
    );
    expect(parsePostgresUrl('postgres://app:hunter2@h/db').redacted).toBe('postgres://app:***@h/db');
  });
});
