import { InvalidArgumentError } from '@baton/core/adapter';

/** The schema Baton keeps its tables in unless `?schema=` names another. */
export const DEFAULT_SCHEMA = 'baton';

/** The version the DDL below creates; recorded in `<schema>.schema_version`. */
export const SCHEMA_VERSION = 1;

/**
 * The SQLSTATE `assert_leader()` raises when the token no longer leads its election. Class
 * `NL` ("not leader") lies in the range SQL leaves to implementations (I-Z), unused by
 * PostgreSQL itself.
 */
export const NOT_LEADER_SQLSTATE = 'NL001';

/**
 * Schema names Baton accepts: a plain identifier, so that it is also a plain LISTEN channel.
 * Quoted wherever it is used, so upper case is kept as written.
 */
const SCHEMA_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/**
 * The schema name as a quoted SQL identifier.
 * @throws {InvalidArgumentError} unless it is 1-63 characters of `A-Z a-z 0-9 _`, not starting with a digit.
 */
export function quoteSchema(schema: string): string {
  if (!SCHEMA_NAME.test(schema)) {
    throw new InvalidArgumentError(
      `schema ${JSON.stringify(schema)} must be 1-63 characters of A-Z a-z 0-9 _, not starting with a digit`,
    );
  }
  return `"${schema}"`;
}

/**
 * Every object Baton needs, as one SQL script that is safe to run again and from several
 * clients at once (each waits for the first under an advisory lock when run in a transaction).
 * `sql/001_init.sql` is this script for the default schema, for teams that apply DDL ahead of
 * time; Baton runs it on first use when the schema is missing.
 * @throws {InvalidArgumentError} for a schema name `quoteSchema` refuses.
 */
export function schemaSql(schema: string = DEFAULT_SCHEMA): string {
  const s = quoteSchema(schema);
  return `-- Baton leader election: the objects of schema ${s}, version ${SCHEMA_VERSION}.
-- Safe to run again. Run it in one transaction, e.g.
--   psql "$DATABASE_URL" --single-transaction -v ON_ERROR_STOP=1 -f 001_init.sql
-- The role that runs Baton then needs USAGE on the schema, SELECT, INSERT, UPDATE and DELETE on
-- its tables and EXECUTE on its functions (PostgreSQL grants EXECUTE to PUBLIC by default).

-- Two clients creating the schema at once would collide in the catalogs; the second waits here.
SELECT pg_advisory_xact_lock(hashtextextended('baton schema ${schema}', 0));

CREATE SCHEMA IF NOT EXISTS ${s};

CREATE TABLE IF NOT EXISTS ${s}.schema_version (
  version integer PRIMARY KEY,
  applied_at timestamptz NOT NULL DEFAULT clock_timestamp()
);

-- One row per client (Backend). Every candidacy of the client hangs on it, so one UPDATE of this
-- row renews them all. Expiry is decided by the server's clock alone: a session has expired
-- when expires_at <= clock_timestamp(), and an expired session is never renewed again (the
-- renewal is conditional on it being alive); it is deleted by whoever finds it expired.
CREATE TABLE IF NOT EXISTS ${s}.session (
  id uuid PRIMARY KEY,
  ttl_ms integer NOT NULL CHECK (ttl_ms > 0),
  expires_at timestamptz NOT NULL,
  created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  -- Who opened it (host, process), for an operator looking at the table.
  label text
);
CREATE INDEX IF NOT EXISTS session_expires_at ON ${s}.session (expires_at);

-- One row per election ever campaigned in: the highest token handed out. Its row lock also puts
-- the candidates of one election in line one at a time, so a token is never handed out after a
-- higher one became visible (see enqueue).
CREATE TABLE IF NOT EXISTS ${s}.election (
  name text PRIMARY KEY,
  last_token bigint NOT NULL
);

-- The line of candidates of each election, in token order; the first whose session is alive
-- leads. A candidacy ends by its own delete (resign, abort) or with its session (cascade).
CREATE TABLE IF NOT EXISTS ${s}.candidate (
  election text NOT NULL,
  token bigint NOT NULL,
  session_id uuid NOT NULL REFERENCES ${s}.session (id) ON DELETE CASCADE,
  candidate_id text NOT NULL,
  value text,
  created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  PRIMARY KEY (election, token)
);
CREATE INDEX IF NOT EXISTS candidate_session_id ON ${s}.candidate (session_id);

-- Every change to a line is announced on the channel named after the schema, payload
-- "<I|U|D><token> <election>", however it happens: a statement of Baton's, a cascade from an
-- expired session, or a delete by hand.
CREATE OR REPLACE FUNCTION ${s}.notify_change() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    PERFORM pg_notify(TG_TABLE_SCHEMA, 'D' || OLD.token || ' ' || OLD.election);
    RETURN OLD;
  END IF;
  PERFORM pg_notify(TG_TABLE_SCHEMA, left(TG_OP, 1) || NEW.token || ' ' || NEW.election);
  RETURN NEW;
END
$$;
CREATE OR REPLACE TRIGGER candidate_notify
  AFTER INSERT OR DELETE OR UPDATE OF value ON ${s}.candidate
  FOR EACH ROW EXECUTE FUNCTION ${s}.notify_change();

-- A candidate's turn: ends the sessions that expired ahead of it, then says whether it leads
-- ('leader'), waits behind 'predecessor' (and should look again within recheck_ms, when that
-- one's session would expire if it is never renewed), or has lost its place or session
-- ('lost'). Leading is decided in one snapshot that also checks the candidate's own row and
-- live session, so a place deleted meanwhile is never reported as leading.
CREATE OR REPLACE FUNCTION ${s}.try_lead(
  p_election text, p_token bigint, p_session uuid,
  OUT status text, OUT predecessor bigint, OUT recheck_ms integer)
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  v_expired uuid;
BEGIN
  -- In session order, so that candidates ending the same sessions never deadlock. Each delete
  -- waits for a fenced transaction of the expired holder (it holds the session row FOR KEY
  -- SHARE) to end: a successor never takes over while such a write can still commit.
  FOR v_expired IN
    SELECT DISTINCT c.session_id
    FROM ${s}.candidate c JOIN ${s}.session x ON x.id = c.session_id
    WHERE c.election = p_election AND c.token < p_token AND x.expires_at <= clock_timestamp()
    ORDER BY 1
  LOOP
    DELETE FROM ${s}.session WHERE id = v_expired AND expires_at <= clock_timestamp();
  END LOOP;

  SELECT CASE
           WHEN NOT EXISTS (
             SELECT 1 FROM ${s}.candidate c JOIN ${s}.session x ON x.id = c.session_id
             WHERE c.election = p_election AND c.token = p_token AND c.session_id = p_session
               AND x.expires_at > clock_timestamp()) THEN 'lost'
           WHEN ahead.token IS NULL THEN 'leader'
           ELSE 'waiting'
         END,
         ahead.token,
         greatest(0, ceil(extract(epoch FROM ahead.expires_at - clock_timestamp()) * 1000))::integer
    INTO status, predecessor, recheck_ms
  FROM (SELECT) AS one
  LEFT JOIN LATERAL (
    SELECT c.token, x.expires_at
    FROM ${s}.candidate c JOIN ${s}.session x ON x.id = c.session_id
    WHERE c.election = p_election AND c.token < p_token
    ORDER BY c.token DESC
    LIMIT 1) AS ahead ON true;
  IF status <> 'waiting' THEN
    predecessor := NULL;
    recheck_ms := NULL;
  END IF;
END
$$;

-- Transactional fencing. Call it inside the transaction that writes on the leader's behalf:
--   BEGIN;
--   SELECT ${s}.assert_leader('billing', $token);
--   UPDATE invoice SET charged = true WHERE id = $1;
--   COMMIT;
-- It raises SQLSTATE ${NOT_LEADER_SQLSTATE} unless the token is the first in line of its election
-- with a live session. Otherwise it locks that session row and that candidacy FOR KEY SHARE
-- until the transaction ends: the holder can still renew (a non-key update), but ending the
-- session (expiry, close) or the candidacy (resign, a delete by hand) waits for this
-- transaction, so no successor can lead between the check and the commit. Under REPEATABLE
-- READ or SERIALIZABLE, call it first, so that the snapshot is not older than the check; a
-- takeover that committed after the snapshot makes it fail.
-- So that a leader frozen inside such a transaction cannot hold its successor off forever,
-- the rest of the transaction runs with statement_timeout and
-- idle_in_transaction_session_timeout no longer than the lease had left (the server ends the
-- transaction, or the session, at the lease's end).
CREATE OR REPLACE FUNCTION ${s}.assert_leader(p_election text, p_token bigint)
RETURNS boolean
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  v_session uuid;
  v_left_ms bigint;
  v_problem text;
  v_setting text;
  v_current bigint;
BEGIN
  SELECT c.session_id INTO v_session
  FROM ${s}.candidate c WHERE c.election = p_election AND c.token = p_token;
  IF NOT FOUND THEN
    v_problem := 'the candidacy has ended';
  ELSE
    -- The session first, then the candidacy: the order in which expiry deletes them.
    SELECT ceil(extract(epoch FROM x.expires_at - clock_timestamp()) * 1000)::bigint INTO v_left_ms
    FROM ${s}.session x WHERE x.id = v_session AND x.expires_at > clock_timestamp()
    FOR KEY SHARE;
    IF v_left_ms IS NULL THEN
      v_problem := 'its session has expired';
    ELSE
      PERFORM 1 FROM ${s}.candidate c
      WHERE c.election = p_election AND c.token = p_token AND c.session_id = v_session
      FOR KEY SHARE;
      IF NOT FOUND THEN
        v_problem := 'the candidacy has ended';
      ELSIF EXISTS (SELECT 1 FROM ${s}.candidate c WHERE c.election = p_election AND c.token < p_token) THEN
        v_problem := 'an earlier candidate is still in line';
      END IF;
    END IF;
  END IF;
  IF v_problem IS NOT NULL THEN
    RAISE EXCEPTION 'token % does not lead election %: %', p_token, p_election, v_problem
      USING ERRCODE = '${NOT_LEADER_SQLSTATE}';
  END IF;

  FOREACH v_setting IN ARRAY ARRAY['statement_timeout', 'idle_in_transaction_session_timeout'] LOOP
    -- current_setting() says e.g. '0' (none), '500ms' or '1min'; an interval either way.
    -- A tighter limit of the application's own stays.
    v_current := ceil(extract(epoch FROM current_setting(v_setting)::interval) * 1000)::bigint;
    IF v_current = 0 OR v_current > v_left_ms THEN
      PERFORM set_config(v_setting, v_left_ms || 'ms', true);
    END IF;
  END LOOP;
  RETURN true;
END
$$;

INSERT INTO ${s}.schema_version (version) VALUES (${SCHEMA_VERSION}) ON CONFLICT DO NOTHING;
`;
}
