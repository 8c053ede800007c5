import getPort from 'get-port';

/**
 * Free TCP ports on 127.0.0.1, never handed out twice in this process (`reserve`), so that
 * servers started side by side and restarted later keep ports of their own. Another process
 * can still take one before the server binds it; start.ts retries such a start on new ports.
 */
export async function freePorts(count: number): Promise<number[]> {
  const ports: number[] = [];
  for (let i = 0; i < count; i++) ports.push(await getPort({ host: '127.0.0.1', reserve: true }));
  return ports;
}

/** Whether a failed start looks like a port taken between choosing it and binding it. */
export function isPortClash(error: unknown): boolean {
  const message = error instanceof Error ? error.message : String(error);
  return /address already in use|EADDRINUSE|BindException/i.test(message);
}
