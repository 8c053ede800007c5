import { connect } from 'node:net';

export interface TcpExchangeOptions {
  readonly timeoutMs?: number;
  /** Resolve as soon as the reply so far is complete; by default, wait for the server to close. */
  readonly complete?: (reply: string) => boolean;
}

/**
 * Sends `payload` on a fresh TCP connection and returns the reply. Always bounded: a server
 * that accepts but never answers (a paused process, or ZooKeeper answering a four-letter word
 * while it starts) ends in an error after the timeout rather than a hang.
 */
export function tcpExchange(
  host: string,
  port: number,
  payload: string | Uint8Array,
  options: TcpExchangeOptions = {},
): Promise<string> {
  const timeoutMs = options.timeoutMs ?? 1_000;
  return new Promise((resolve, reject) => {
    let reply = '';
    let settled = false;
    const socket = connect({ host, port });
    const finish = (error?: Error): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      if (error) reject(error);
      else resolve(reply);
    };
    const timer = setTimeout(
      () => finish(new Error(`no reply from ${host}:${port} within ${timeoutMs} ms`)),
      timeoutMs,
    );
    socket.setEncoding('utf8');
    socket.on('connect', () => socket.write(payload));
    socket.on('data', (chunk: string) => {
      reply += chunk;
      if (options.complete?.(reply)) finish();
    });
    socket.on('error', (error) => finish(error));
    socket.on('close', () => finish());
  });
}

/** A ZooKeeper four-letter word ("ruok", "srvr", ...); the server closes after answering. */
export function fourLetterWord(host: string, port: number, word: string, timeoutMs = 1_000): Promise<string> {
  return tcpExchange(host, port, word, { timeoutMs });
}

/** The "Mode:" line of `srvr`, e.g. "standalone", "leader", "follower"; undefined while not serving. */
export async function zookeeperMode(host: string, port: number, timeoutMs = 1_000): Promise<string | undefined> {
  const reply = await fourLetterWord(host, port, 'srvr', timeoutMs);
  return /^Mode: (\S+)/m.exec(reply)?.[1];
}

/** True when Redis answers an inline PING with +PONG (not -LOADING while it reads its AOF). */
export async function redisPing(host: string, port: number, timeoutMs = 1_000): Promise<boolean> {
  const reply = await tcpExchange(host, port, 'PING\r\n', { timeoutMs, complete: (text) => text.includes('\r\n') });
  return reply.startsWith('+PONG');
}

/**
 * True when PostgreSQL accepts connections: it answers a startup message with a request to
 * authenticate ('R'), not with an error ('E') such as "the database system is starting up".
 * Needs no credentials; the connection is closed before authenticating.
 */
export async function postgresAccepting(host: string, port: number, timeoutMs = 1_000): Promise<boolean> {
  const parameters = Buffer.from('user\0postgres\0database\0postgres\0\0', 'latin1');
  const header = Buffer.alloc(8);
  header.writeInt32BE(header.length + parameters.length, 0);
  // Protocol version 3.0.
  header.writeInt32BE(3 << 16, 4);
  const reply = await tcpExchange(host, port, Buffer.concat([header, parameters]), {
    timeoutMs,
    complete: (text) => text.length > 0,
  });
  return reply.startsWith('R');
}

/** GET or PUT with a bounded time; returns the status and the body as text. */
export async function http(
  url: string,
  options: { method?: string; body?: string; timeoutMs?: number } = {},
): Promise<{ status: number; text: string }> {
  const response = await fetch(url, {
    method: options.method ?? 'GET',
    signal: AbortSignal.timeout(options.timeoutMs ?? 2_000),
    ...(options.body === undefined ? {} : { body: options.body }),
  });
  return { status: response.status, text: await response.text() };
}

/** Parses JSON, or returns undefined for anything that is not JSON. */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
