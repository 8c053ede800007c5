import type { StoreHooks } from '@baton/conformance';
import type { Backend } from '@baton/core';
import { ConsulBackend } from '../src/backend.js';
import { leaderKey } from '../src/keys.js';
import { DEFAULT_PREFIX } from '../src/url.js';

function backendOf(backend: Backend): ConsulBackend {
  if (!(backend instanceof ConsulBackend)) throw new Error(`not a consul backend: ${backend.kind}`);
  return backend;
}

export interface ConsulHooks {
  readonly hooks: StoreHooks;
  /** The Consul HTTP API root the hooks use, e.g. http://127.0.0.1:8500/v1. */
  readonly api: string;
  /** Stops the log stream renewalCount reads, if it was started. */
  close(): Promise<void>;
}

/**
 * Counts the session renewals an agent serves, from its own log: every HTTP request ends with
 * a DEBUG line "Request finished: method=PUT url=/v1/session/renew/<id>", and
 * /v1/agent/monitor?loglevel=debug streams those lines whatever the agent's own log level.
 */
class RenewalLog {
  count = 0;
  dropped = false;
  private readonly controller = new AbortController();
  readonly ready: Promise<void>;
  private reading: Promise<void> = Promise.resolve();

  constructor(api: string) {
    this.ready = (async () => {
      const response = await fetch(`${api}/agent/monitor?loglevel=debug`, { signal: this.controller.signal });
      if (!response.ok || !response.body) throw new Error(`agent monitor: HTTP ${response.status}`);
      this.reading = this.read(response.body.getReader()).catch(() => undefined);
    })();
    this.ready.catch(() => undefined);
  }

  private async read(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    let tail = '';
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      tail += decoder.decode(value, { stream: true });
      const lines = tail.split('\n');
      tail = lines.pop() ?? '';
      for (const line of lines) {
        if (/Request finished.*method=PUT url=\/v1\/session\/renew\//.test(line)) this.count++;
        // The agent drops lines when the reader falls more than 512 behind: the count is then short.
        if (/dropped \d+ logs/i.test(line)) this.dropped = true;
      }
    }
  }

  async close(): Promise<void> {
    this.controller.abort();
    await this.ready.catch(() => undefined);
    await this.reading;
  }
}

/**
 * Store hooks for Consul, acting from outside the client under test with plain HTTP calls to
 * the agent. They know Baton's key layout: `${prefix}/${election}/.lock`, locked by the
 * leader's session.
 *
 * @param httpAddress `http://host:port` of an agent.
 * @param ttlMs the ttl of the outsider's session in overwriteLeaderKey.
 */
export function consulHooks(httpAddress: string, ttlMs: number, prefix = DEFAULT_PREFIX): ConsulHooks {
  const api = `${httpAddress}/v1`;
  const call = async (method: string, path: string, body?: unknown): Promise<unknown> => {
    const response = await fetch(`${api}${path}`, {
      method,
      signal: AbortSignal.timeout(5_000),
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${path}: HTTP ${response.status} ${text}`);
    return text === '' ? undefined : JSON.parse(text);
  };

  let renewals: RenewalLog | undefined;

  const hooks: StoreHooks = {
    // Destroying the session is what its invalidation does: every key it held is released
    // (behavior "release"), under the session's lock-delay.
    async expireSession(backend) {
      const id = backendOf(backend).sessionId;
      if (id === undefined) throw new Error('the client holds no session');
      await call('PUT', `/session/destroy/${id}`);
    },
    async deleteLeaderKey(election) {
      await call('DELETE', `/kv/${leaderKey(prefix, election)}`);
    },
    // A held key cannot be locked by another session, and a plain PUT keeps the holder's
    // session. So one transaction deletes the key and locks it anew for an outsider session
    // whose ttl lapses (lock-delay 0): atomically, so no waiter slips in between, and the
    // outsider holds it for at most 2 x ttl, Consul's own bound.
    async overwriteLeaderKey(election) {
      const key = leaderKey(prefix, election);
      const created = (await call('PUT', '/session/create', {
        Name: 'baton-conformance-outsider',
        TTL: `${Math.ceil(ttlMs / 1_000)}s`,
        LockDelay: '0s',
        Behavior: 'release',
        Checks: [],
      })) as { ID: string };
      const value = Buffer.from(JSON.stringify({ id: 'outsider', value: 'overwritten' })).toString('base64');
      await call('PUT', '/txn', [
        { KV: { Verb: 'delete', Key: key } },
        { KV: { Verb: 'lock', Key: key, Value: value, Session: created.ID } },
      ]);
    },
    // Cuts the client's blocking queries in flight, as a dropped connection would (see
    // ConsulBackend.interruptWatches): Consul has no server-side way to fail one client's
    // long polls short of restarting the agent.
    async breakWatches(backend) {
      backendOf(backend).interruptWatches();
    },
    // Consul keeps no running total of renewals unless its telemetry is set up for Prometheus
    // (/v1/agent/metrics shows one finished 10-s interval, too coarse for a 4-s window), so
    // this reads the agent's debug log, which has one line per renewal it served, from any client.
    async renewalCount() {
      renewals ??= new RenewalLog(api);
      await renewals.ready;
      // The agent flushes the stream every 200 ms: wait for the lines of what was already served.
      await new Promise((resolve) => setTimeout(resolve, 300));
      if (renewals.dropped) throw new Error('the agent dropped log lines; the renewal count is incomplete');
      return renewals.count;
    },
  };
  return {
    hooks,
    api,
    close: async () => {
      await renewals?.close();
    },
  };
}
