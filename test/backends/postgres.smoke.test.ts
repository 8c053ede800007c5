import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { describeBackend, type ServerHandle, startServer } from './index.js';
import { childrenOf, isGone } from './process-tree.js';

/** Whether `promise` is still pending after `ms`. */
async function pendingAfter(promise: Promise<unknown>, ms: number): Promise<boolean> {
  const marker = Symbol('pending');
  const settled = await Promise.race([
    promise.then(
      () => undefined,
      () => undefined,
    ),
    sleep(ms, marker),
  ]);
  return settled === marker;
}

function requireLocal(server: ServerHandle | undefined, context: { skip(note: string): void }): ServerHandle {
  if (!server) throw new Error('no server');
  if (server.source !== 'local') context.skip('needs a local server');
  return server;
}

describeBackend('postgres')('postgres server (smoke)', () => {
  let server: ServerHandle | undefined;
  const clients: pg.Client[] = [];

  /** A connected client that the test's end closes. */
  const open = async (config: pg.ClientConfig): Promise<pg.Client> => {
    const client = new pg.Client({ connectionTimeoutMillis: 5_000, ...config });
    // A client whose server goes away emits 'error'; the test checks the failed queries instead.
    client.on('error', () => {});
    clients.push(client);
    await client.connect();
    return client;
  };

  beforeAll(async () => {
    server = await startServer('postgres');
  }, 60_000);

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((client) => client.end().catch(() => undefined)));
  });

  afterAll(async () => {
    await server?.stop();
  }, 30_000);

  it('accepts the password of the role in its URL, an ordinary role owning its database', async () => {
    if (!server) throw new Error('no server');
    const client = await open({ connectionString: server.url });
    const { rows } = await client.query<{ user: string; db: string; superuser: string }>(
      "SELECT current_user AS user, current_database() AS db, current_setting('is_superuser') AS superuser",
    );
    expect(rows[0]).toEqual({ user: 'app', db: 'app', superuser: 'off' });
  });

  it('refuses a wrong password with SQLSTATE 28P01', async () => {
    if (!server) throw new Error('no server');
    const url = new URL(server.url);
    url.password = 'wrong';
    await expect(open({ connectionString: url.href })).rejects.toMatchObject({ code: '28P01' });
  });

  it('runs as the postgres user when the tests run as root', async (context) => {
    const local = requireLocal(server, context);
    if (process.getuid?.() !== 0) context.skip('the tests do not run as root');
    const status = readFileSync(`/proc/${local.pid}/status`, 'utf8');
    expect(Number(/^Uid:\s+(\d+)/m.exec(status)?.[1])).not.toBe(0);
  });

  it('restart() keeps the port, the URL and the data', { timeout: 60_000 }, async (context) => {
    const local = requireLocal(server, context);
    const { url, port } = local;
    const pidBefore = local.pid;
    const before = await open({ connectionString: url });
    await before.query('CREATE TABLE kept (v text)');
    await before.query("INSERT INTO kept VALUES ('durable')");
    await local.restart();
    expect(local.port).toBe(port);
    expect(local.url).toBe(url);
    expect(local.pid).not.toBe(pidBefore);
    // The server ended the old session.
    await expect(before.query('SELECT 1')).rejects.toThrow();
    const after = await open({ connectionString: url });
    expect((await after.query('SELECT v FROM kept')).rows).toEqual([{ v: 'durable' }]);
  });

  it('pause() makes queries on open and new connections hang until resume()', { timeout: 30_000 }, async (context) => {
    const local = requireLocal(server, context);
    const open1 = await open({ connectionString: local.url });
    await local.pause();
    let query: Promise<unknown>;
    let fresh: Promise<unknown>;
    try {
      query = open1.query('SELECT 1 AS one');
      fresh = open({ connectionString: local.url, connectionTimeoutMillis: 20_000 });
      // Awaited below; handled here too so that a failure above does not leave them unhandled.
      query.catch(() => {});
      fresh.catch(() => {});
      expect(await pendingAfter(query, 1_000)).toBe(true);
      expect(await pendingAfter(fresh, 0)).toBe(true);
    } finally {
      await local.resume();
    }
    await expect(query).resolves.toMatchObject({ rows: [{ one: 1 }] });
    await expect(fresh).resolves.toBeInstanceOf(pg.Client);
  });

  it('kill() ends the postmaster and every backend; restart() recovers the data', {
    timeout: 60_000,
  }, async (context) => {
    const local = requireLocal(server, context);
    const client = await open({ connectionString: local.url });
    await client.query('CREATE TABLE crash (v int)');
    await client.query('INSERT INTO crash VALUES (1)');
    const postmaster = local.pid as number;
    const children = childrenOf(postmaster);
    expect(children.length).toBeGreaterThan(1);
    await local.kill();
    expect(local.pid).toBeUndefined();
    expect([postmaster, ...children].filter((pid) => !isGone(pid))).toEqual([]);
    await expect(client.query('SELECT 1')).rejects.toThrow();
    await local.restart();
    const after = await open({ connectionString: local.url });
    expect((await after.query('SELECT v FROM crash')).rows).toEqual([{ v: 1 }]);
  });

  it('restart({ wipe: true }) empties the data and keeps the role and its password', {
    timeout: 60_000,
  }, async (context) => {
    const local = requireLocal(server, context);
    const before = await open({ connectionString: local.url });
    await before.query('CREATE TABLE wiped (v int)');
    await local.restart({ wipe: true });
    const after = await open({ connectionString: local.url });
    expect((await after.query("SELECT to_regclass('wiped') AS t")).rows).toEqual([{ t: null }]);
  });

  it('the superuser URL reaches the same database', async () => {
    if (!server) throw new Error('no server');
    const admin = await open({ connectionString: server.adminUrl ?? server.url });
    const { rows } = await admin.query<{ db: string }>('SELECT current_database() AS db');
    expect(rows[0]?.db).toBe(new URL(server.url).pathname.slice(1));
  });

  describe('with TLS', () => {
    let tlsServer: ServerHandle | undefined;

    beforeAll(async () => {
      tlsServer = await startServer('postgres', { postgresTls: true });
    }, 60_000);

    afterAll(async () => {
      await tlsServer?.stop();
    }, 30_000);

    const sslInUse = async (client: pg.Client): Promise<boolean> => {
      const { rows } = await client.query<{ ssl: boolean }>('SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()');
      return rows[0]?.ssl ?? false;
    };

    it('encrypts without verifying, as libpq sslmode=require does', async (context) => {
      const local = requireLocal(tlsServer, context);
      const client = await open({ connectionString: local.url, ssl: { rejectUnauthorized: false } });
      expect(await sslInUse(client)).toBe(true);
      const compat = await open({ connectionString: `${local.url}?uselibpqcompat=true&sslmode=require` });
      expect(await sslInUse(compat)).toBe(true);
    });

    it('verifies the server against the test CA (verify-full), by option and by URL', async (context) => {
      const local = requireLocal(tlsServer, context);
      if (!local.caFile) throw new Error('no CA file');
      const byOption = await open({ connectionString: local.url, ssl: { ca: readFileSync(local.caFile, 'utf8') } });
      expect(await sslInUse(byOption)).toBe(true);
      const byUrl = await open({
        connectionString: `${local.url}?sslmode=verify-full&sslrootcert=${encodeURIComponent(local.caFile)}`,
      });
      expect(await sslInUse(byUrl)).toBe(true);
    });

    it("pg's own sslmode=require verifies the certificate (unlike libpq), so a self-signed chain is refused", async (context) => {
      const local = requireLocal(tlsServer, context);
      // pg 8 warns that it treats require as verify-full; the adapter must map sslmode itself.
      await expect(open({ connectionString: `${local.url}?sslmode=require` })).rejects.toThrow(/certificate/i);
    });

    it('still accepts plain connections', async (context) => {
      const local = requireLocal(tlsServer, context);
      const client = await open({ connectionString: local.url });
      expect(await sslInUse(client)).toBe(false);
    });
  });
});
