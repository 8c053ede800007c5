import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** An HTTP server of the driver process on 127.0.0.1, for the workers to call. */
export interface LocalHttpServer {
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  /** Stops listening and drops every connection, idle or not. */
  close(): Promise<void>;
}

/**
 * Serves `handle` on a free port of 127.0.0.1. A handler that throws gets a 500 with the
 * error's message as `{ "error": ... }`.
 */
export async function startLocalHttpServer(
  handle: (req: IncomingMessage, res: ServerResponse) => Promise<void>,
): Promise<LocalHttpServer> {
  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      sendJson(res, 500, JSON.stringify({ error: error instanceof Error ? error.message : String(error) }));
    });
  });
  // An idle connection stays open until its client closes it. A worker frozen with SIGSTOP
  // holds a keep-alive connection; had the server closed it meanwhile, the worker's first
  // request on waking could go out on a dead socket and fail before it reached the server.
  server.keepAliveTimeout = 0;
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    async close() {
      // Workers keep connections alive; close them, or close() waits for them to go.
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}

/**
 * The request's body as text.
 * @throws Error when it is longer than `maxChars`.
 */
export async function readBody(req: IncomingMessage, maxChars = 64_000): Promise<string> {
  let body = '';
  req.setEncoding('utf8');
  for await (const chunk of req) {
    body += chunk as string;
    if (body.length > maxChars) throw new Error('request body too large');
  }
  return body;
}

/** Answers with JSON `text`, unless an answer has gone out already. */
export function sendJson(
  res: ServerResponse,
  status: number,
  text: string,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent) return;
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(text);
}
