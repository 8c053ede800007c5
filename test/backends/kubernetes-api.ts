import { request } from 'node:https';

/** Where and as whom to call a Kubernetes API server. */
export interface ApiAccess {
  /** https://host:port */
  readonly server: string;
  /** PEM of the CA that signed the serving certificate. */
  readonly ca: string;
  readonly token: string;
}

export interface ApiReply {
  readonly status: number;
  readonly text: string;
}

/**
 * One call to the API server, bounded in time: a paused server (SIGSTOP) holds the connection
 * open without answering, and that must end in an error, not a hang. A fresh connection each
 * time (no agent), so nothing keeps the test process alive afterwards.
 */
export function apiRequest(
  access: ApiAccess,
  method: string,
  path: string,
  body?: unknown,
  timeoutMs = 2_000,
): Promise<ApiReply> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = request(new URL(path, access.server), {
      method,
      ca: access.ca,
      agent: false,
      headers: {
        authorization: `Bearer ${access.token}`,
        accept: 'application/json',
        ...(payload === undefined
          ? {}
          : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }),
      },
      signal: AbortSignal.timeout(timeoutMs),
    });
    req.on('response', (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString() }));
      response.on('error', reject);
    });
    // The error names the method and path only: the token stays out of every message.
    req.on('error', (error) => reject(new Error(`${method} ${path}: ${error.message}`)));
    req.end(payload);
  });
}

/** Creates an object; one that exists already (a restart that kept the data) is fine. */
export async function createIfAbsent(access: ApiAccess, path: string, body: unknown): Promise<void> {
  const { status, text } = await apiRequest(access, 'POST', path, body, 10_000);
  if (status !== 201 && status !== 409) throw new Error(`POST ${path}: HTTP ${status} ${text.slice(0, 500)}`);
}
