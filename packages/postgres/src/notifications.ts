import { backoffDelay, type Logger, withTimeout } from '@baton/core/adapter';
import pg from 'pg';

/** What a change notification says: a row of the election's line inserted, its value updated, or deleted. */
export type ChangeOp = 'I' | 'U' | 'D';

export interface ChangeListener {
  change(op: ChangeOp, token: bigint): void;
  /** LISTEN was set up again after its connection broke: changes may have been missed, look again. */
  resync(): void;
}

const PAYLOAD = /^([IUD])(\d+) (.*)$/s;

/**
 * The client's LISTEN connection, outside the pool: one connection, one channel (the schema's
 * name), every election's changes on it, dispatched here by election name. Adding a listener
 * is local, so a waiter or observer starts listening without a round trip. When the connection
 * breaks it is opened again (backoff from 100 ms to 2 s) and every listener is told to look
 * again, since notifications sent meanwhile are lost.
 */
export class NotificationHub {
  private readonly config: pg.ClientConfig;
  private readonly listenSql: string;
  private readonly channel: string;
  private readonly logger: Logger;
  private readonly timeoutMs: number;
  private readonly byElection = new Map<string, Set<ChangeListener>>();
  private client: pg.Client | undefined;
  private closed = false;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private failures = 0;

  constructor(options: {
    config: pg.ClientConfig;
    listenSql: string;
    channel: string;
    logger: Logger;
    timeoutMs: number;
  }) {
    this.config = options.config;
    this.listenSql = options.listenSql;
    this.channel = options.channel;
    this.logger = options.logger;
    this.timeoutMs = options.timeoutMs;
  }

  /** True while LISTEN is in place: a change made now will be heard. */
  get listening(): boolean {
    return this.client !== undefined;
  }

  /** Takes `client` (connected) as the LISTEN connection and runs LISTEN on it. */
  async start(client: pg.Client, signal: AbortSignal): Promise<void> {
    await withTimeout('listen', this.timeoutMs, () => client.query(this.listenSql), signal);
    this.adopt(client);
  }

  /** Calls `listener` for every change to `election`'s line until the returned function is called. */
  listen(election: string, listener: ChangeListener): () => void {
    let set = this.byElection.get(election);
    if (!set) {
      set = new Set();
      this.byElection.set(election, set);
    }
    set.add(listener);
    const current = set;
    return () => {
      current.delete(listener);
      if (current.size === 0 && this.byElection.get(election) === current) this.byElection.delete(election);
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.reconnectTimer);
    this.byElection.clear();
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }

  private adopt(client: pg.Client): void {
    if (this.closed) {
      void client.end().catch(() => undefined);
      return;
    }
    let gone = false;
    const onGone = (error?: unknown): void => {
      if (gone) return;
      gone = true;
      client.off('notification', this.onNotification);
      if (this.client === client) this.client = undefined;
      void client.end().catch(() => undefined);
      if (this.closed) return;
      this.logger.debug({ err: error }, 'LISTEN connection lost; opening it again');
      this.scheduleReconnect();
    };
    client.on('notification', this.onNotification);
    client.on('error', onGone);
    client.on('end', () => onGone());
    this.client = client;
    this.failures = 0;
  }

  private scheduleReconnect(): void {
    const delay = Math.max(100, backoffDelay(this.failures++, 200, 2_000));
    this.reconnectTimer = setTimeout(() => void this.reconnect(), delay);
  }

  private async reconnect(): Promise<void> {
    if (this.closed) return;
    const client = new pg.Client(this.config);
    client.on('error', () => {});
    try {
      await withTimeout('listen', this.timeoutMs, async () => {
        await client.connect();
        await client.query(this.listenSql);
      });
    } catch (error) {
      void client.end().catch(() => undefined);
      this.logger.debug({ err: error }, 'could not LISTEN again; retrying');
      if (!this.closed) this.scheduleReconnect();
      return;
    }
    this.adopt(client);
    for (const set of [...this.byElection.values()]) for (const listener of [...set]) listener.resync();
  }

  private readonly onNotification = (message: pg.Notification): void => {
    if (message.channel !== this.channel) return;
    const match = PAYLOAD.exec(message.payload ?? '');
    if (!match) return;
    const set = this.byElection.get(match[3] as string);
    if (!set) return;
    const op = match[1] as ChangeOp;
    const token = BigInt(match[2] as string);
    for (const listener of [...set]) listener.change(op, token);
  };
}
