import { randomUUID } from 'node:crypto';
import { connect } from '@baton/core';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeBackend, type ServerHandle, startServer } from '../../../test/backends/index.js';
import { connectPostgres, type PostgresBackend, schemaSql } from '../src/index.js';

const TTL_MS = 2_000;

/** Whether the connections of `backend`'s pool are encrypted, as the server sees them. */
async function usesTls(backend: PostgresBackend): Promise<boolean> {
  const { rows } = await backend.pool.query<{ ssl: boolean }>(
    'SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()',
  );
  return rows[0]?.ssl === true;
}

function withParams(url: string, params: string): string {
  return `${url}${url.includes('?') ? '&' : '?'}${params}`;
}

describeBackend('postgres')('postgres adapter on a real server (TLS on, plain still accepted)', () => {
  let server: ServerHandle;
  let admin: pg.Pool;

  beforeAll(async () => {
    server = await startServer('postgres', { postgresTls: true });
    admin = new pg.Pool({ connectionString: server.adminUrl, max: 2 });
    admin.on('error', () => {});
  });
  afterAll(async () => {
    await admin?.end();
    await server?.stop();
  });

  it("connect(url, { client: pool }) sends Baton's statements through the application's pool and leaves it open on close", async () => {
    const pool = new pg.Pool({ connectionString: server.url, max: 3 });
    pool.on('error', () => {});
    try {
      // The URL then only gives the schema: its host and credentials are not used.
      const backend = await connectPostgres('postgres://nobody@127.0.0.1:1/none', { client: pool, ttlMs: TTL_MS });
      const election = backend.election(`pool/${randomUUID().slice(0, 8)}`);
      const leadership = await election.campaign({ id: 'through-pool', value: 'v' });
      expect(backend.pool).toBe(pool);
      expect(await election.leader()).toEqual({ id: 'through-pool', value: 'v', token: leadership.token });
      await backend.close();
      expect(await leadership.ended).toBe('closed');
      expect((await pool.query<{ one: number }>('SELECT 1 AS one')).rows[0]?.one).toBe(1);
      const other = await connect(server.url, { ttlMs: TTL_MS });
      expect(await other.election(election.name).leader()).toBeUndefined();
      await other.close();
      await expect(connectPostgres(server.url, { client: {} as pg.Pool })).rejects.toMatchObject({
        code: 'ERR_INVALID_ARGUMENT',
      });
    } finally {
      await pool.end();
    }
  });

  it('refused credentials end connect() with ERR_AUTH, and the message never holds the password', async () => {
    const wrong = server.url.replace(/:[^:@/]*@/, ':not-the-password-x9@');
    const error = await connect(wrong, { ttlMs: TTL_MS }).then(
      () => undefined,
      (failure: unknown) => failure,
    );
    expect(error).toMatchObject({ code: 'ERR_AUTH' });
    expect(String((error as Error).message)).not.toContain('not-the-password-x9');
    expect(JSON.stringify(error)).not.toContain('not-the-password-x9');
  });

  it('sslmode=require is TLS without verification, as in libpq; verify-full checks the server against sslrootcert', async () => {
    const required = await connectPostgres(withParams(server.url, 'sslmode=require'), { ttlMs: TTL_MS });
    expect(await usesTls(required)).toBe(true);
    await required.close();

    const verified = await connectPostgres(withParams(server.url, `sslmode=verify-full&sslrootcert=${server.caFile}`), {
      ttlMs: TTL_MS,
    });
    expect(await usesTls(verified)).toBe(true);
    const leadership = await verified.election(`tls/${randomUUID().slice(0, 8)}`).campaign();
    expect(leadership.isLeader).toBe(true);
    await verified.close();

    // The test CA is nobody's system CA: without it, verification fails.
    await expect(
      connect(withParams(server.url, 'sslmode=verify-full&sslrootcert=system'), { ttlMs: TTL_MS }),
    ).rejects.toMatchObject({ code: 'ERR_BACKEND_UNAVAILABLE' });
    await expect(
      connect(withParams(server.url, 'sslmode=verify-ca&sslrootcert=/nonexistent/ca.pem')),
    ).rejects.toMatchObject({
      code: 'ERR_INVALID_ARGUMENT',
    });

    const plain = await connectPostgres(withParams(server.url, 'sslmode=disable'), { ttlMs: TTL_MS });
    expect(await usesTls(plain)).toBe(false);
    await plain.close();
    const preferred = await connectPostgres(server.url, { ttlMs: TTL_MS });
    expect(await usesTls(preferred)).toBe(true);
    await preferred.close();
  });

  it('creates its schema on first use, once, when several clients start at once', async () => {
    const schema = `first_${randomUUID().slice(0, 8).replaceAll('-', '')}`;
    const url = withParams(server.url, `schema=${schema}`);
    const clients = await Promise.all(Array.from({ length: 5 }, () => connectPostgres(url, { ttlMs: TTL_MS })));
    const { rows } = await admin.query(`SELECT version FROM "${schema}".schema_version`);
    expect(rows).toEqual([{ version: 1 }]);
    const leadership = await (clients[0] as PostgresBackend).election('e').campaign();
    expect(leadership.isLeader).toBe(true);
    await Promise.all(clients.map((client) => client.close()));
  });

  it('with createSchema=false a missing schema fails connect() and names the migration; once applied, it works', async () => {
    const schema = `premade_${randomUUID().slice(0, 8).replaceAll('-', '')}`;
    const url = withParams(server.url, `schema=${schema}&createSchema=false`);
    await expect(connect(url, { ttlMs: TTL_MS })).rejects.toThrow('sql/001_init.sql');
    const { rows: before } = await admin.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
    expect(before).toEqual([]);
    // As a team that forbids DDL at run time would: the migration by an administrator, then the grants.
    await admin.query(`BEGIN; ${schemaSql(schema)} COMMIT;`);
    const role = new URL(server.url).username;
    await admin.query(`GRANT USAGE ON SCHEMA "${schema}" TO ${role}`);
    await admin.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA "${schema}" TO ${role}`);
    const backend = await connect(url, { ttlMs: TTL_MS });
    await backend.close();
  });

  it('runs with the least privileges the README lists: USAGE on the schema and SELECT, INSERT, UPDATE, DELETE on its tables', async () => {
    const role = `least_${randomUUID().slice(0, 8)}`;
    const password = randomUUID();
    await admin.query(`CREATE ROLE ${role} LOGIN PASSWORD '${password}'`);
    await admin.query(`GRANT USAGE ON SCHEMA baton TO ${role}`);
    await admin.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA baton TO ${role}`);
    const url = server.url.replace(/\/\/[^@]*@/, `//${role}:${password}@`);
    const backend = await connectPostgres(withParams(url, 'createSchema=false'), { ttlMs: TTL_MS });
    try {
      const election = backend.election(`least/${randomUUID().slice(0, 8)}`);
      const leadership = await election.campaign({ id: 'least' });
      await leadership.proclaim('still');
      expect(await election.leader()).toMatchObject({ id: 'least', value: 'still' });
      await election.transaction(leadership, backend.pool, async (tx) => tx.query('SELECT 1'));
      await leadership.resign();
      expect(await election.leader()).toBeUndefined();
    } finally {
      await backend.close();
    }
    // Without the grants, the role is refused: ERR_AUTH.
    await admin.query(`REVOKE ALL ON ALL TABLES IN SCHEMA baton FROM ${role}`);
    await expect(connect(withParams(url, 'createSchema=false'), { ttlMs: TTL_MS })).rejects.toMatchObject({
      code: 'ERR_AUTH',
    });
  });
});
