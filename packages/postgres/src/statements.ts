import { quoteSchema } from './schema.js';

/**
 * The SQL Baton sends, for one schema. Parameters are cast where they appear, so that no
 * statement depends on how the driver types them. Times come from the server's clock only.
 */
export interface Statements {
  /** `LISTEN` on the schema's channel; notifications carry `<I|U|D><token> <election>`. */
  readonly listen: string;
  /** The installed schema version: `version` (null when the table is empty). Fails with 42P01 or 3F000 when absent. */
  readonly schemaVersion: string;
  /**
   * $1 session id (uuid), $2 ttl in ms, $3 label (who opened it, or null). Starts a session that
   * expires ttl after the server runs this.
   */
  readonly openSession: string;
  /**
   * $1 session id. The one statement per tick that renews every candidacy of the client:
   * `renewed` is false once the session expired or was deleted (it is then never renewed
   * again); `candidacies` counts the rows still hanging on it, so a candidacy deleted from
   * outside shows as a smaller number.
   */
  readonly renewSession: string;
  /** $1 session id. Ends the session and, by cascade, every candidacy of it. */
  readonly closeSession: string;
  /** $1 maximum rows. Deletes expired sessions that no fenced transaction holds; returns `count`. */
  readonly sweepExpired: string;
  /**
   * $1 election, $2 session id, $3 candidate id, $4 value (or null). Joins the line: returns
   * the new `token` (the leadership's fencing token if it comes to lead), or no row when the
   * session is no longer alive. The election's row is locked while the token is taken and the
   * row inserted, so candidates of one election join one at a time and tokens are visible in
   * the order they were handed out. A token is one more than the last, or the server's clock in
   * microseconds if that is higher, so tokens still increase after the counter is set back or
   * lost (restore, schema recreated).
   */
  readonly enqueue: string;
  /** $1 election, $2 token, $3 session id. `status` ('leader' | 'waiting' | 'lost'), `predecessor`, `recheck_ms`. */
  readonly tryLead: string;
  /**
   * $1 election. The leader: the first in line, if its session is alive (`token`,
   * `candidate_id`, `value`, `expires_in_ms`); no row when there is none.
   */
  readonly leader: string;
  /** $1 election, $2 token, $3 session id, $4 value. The same token; no row when the candidacy or its session is gone. */
  readonly proclaim: string;
  /** $1 election, $2 token, $3 session id. Deletes only this candidacy: a successor's row is never touched. */
  readonly release: string;
  /** $1 election, $2 token. Transactional fencing, for the application's own transaction. */
  readonly assertLeader: string;
  /** $1 election, $2 token, $3 session id. One row while the candidacy is still this session's, none once it was deleted or taken over. */
  readonly candidacy: string;
  /**
   * $1 election, $2 session id, $3 tokens (bigint[]) the client knows it holds there. Deletes the
   * session's other rows in the election: what a join whose answer was lost may have left.
   */
  readonly discardStray: string;
}

/**
 * The statements for `schema`.
 * @throws {InvalidArgumentError} for a schema name `quoteSchema` refuses.
 */
export function statements(schema: string): Statements {
  const s = quoteSchema(schema);
  const microseconds = '(extract(epoch FROM clock_timestamp()) * 1000000)::bigint';
  return {
    listen: `LISTEN ${s}`,
    schemaVersion: `SELECT max(version) AS version FROM ${s}.schema_version`,
    openSession: `INSERT INTO ${s}.session (id, ttl_ms, expires_at, label)
VALUES ($1::uuid, $2::integer, clock_timestamp() + $2::integer * interval '1 millisecond', $3::text)`,
    renewSession: `WITH renewed AS (
  UPDATE ${s}.session SET expires_at = clock_timestamp() + ttl_ms * interval '1 millisecond'
  WHERE id = $1::uuid AND expires_at > clock_timestamp()
  RETURNING id
)
SELECT EXISTS (SELECT FROM renewed) AS renewed,
       (SELECT count(*) FROM ${s}.candidate WHERE session_id = $1::uuid)::integer AS candidacies`,
    closeSession: `DELETE FROM ${s}.session WHERE id = $1::uuid`,
    sweepExpired: `WITH expired AS (
  DELETE FROM ${s}.session WHERE id IN (
    SELECT id FROM ${s}.session WHERE expires_at <= clock_timestamp()
    ORDER BY expires_at LIMIT $1::integer
    FOR UPDATE SKIP LOCKED)
  RETURNING id
)
SELECT count(*)::integer AS count FROM expired`,
    enqueue: `WITH live AS (
  SELECT id FROM ${s}.session WHERE id = $2::uuid AND expires_at > clock_timestamp()
), counter AS (
  INSERT INTO ${s}.election AS e (name, last_token)
  SELECT $1::text, ${microseconds} FROM live
  ON CONFLICT (name) DO UPDATE SET last_token = greatest(e.last_token + 1, ${microseconds})
  RETURNING name, last_token
)
INSERT INTO ${s}.candidate (election, token, session_id, candidate_id, value)
SELECT name, last_token, $2::uuid, $3::text, $4::text FROM counter
RETURNING token`,
    tryLead: `SELECT status, predecessor, recheck_ms FROM ${s}.try_lead($1::text, $2::bigint, $3::uuid)`,
    leader: `SELECT head.token, head.candidate_id, head.value,
       ceil(extract(epoch FROM x.expires_at - clock_timestamp()) * 1000)::integer AS expires_in_ms
FROM (
  SELECT token, candidate_id, value, session_id FROM ${s}.candidate
  WHERE election = $1::text ORDER BY token LIMIT 1
) AS head
JOIN ${s}.session x ON x.id = head.session_id
WHERE x.expires_at > clock_timestamp()`,
    proclaim: `UPDATE ${s}.candidate c SET value = $4::text
WHERE c.election = $1::text AND c.token = $2::bigint AND c.session_id = $3::uuid
  AND EXISTS (SELECT FROM ${s}.session x WHERE x.id = $3::uuid AND x.expires_at > clock_timestamp())
RETURNING c.token`,
    release: `DELETE FROM ${s}.candidate
WHERE election = $1::text AND token = $2::bigint AND session_id = $3::uuid
RETURNING token`,
    assertLeader: `SELECT ${s}.assert_leader($1::text, $2::bigint)`,
    candidacy: `SELECT token FROM ${s}.candidate
WHERE election = $1::text AND token = $2::bigint AND session_id = $3::uuid`,
    discardStray: `DELETE FROM ${s}.candidate
WHERE election = $1::text AND session_id = $2::uuid AND NOT (token = ANY ($3::bigint[]))`,
  };
}
