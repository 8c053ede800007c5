import { AuthError, BackendUnavailableError, toAbortError } from '@baton/core/adapter';
import { type NativeClient, ZK } from './native.js';

/** The C client's state for logs (1 connecting, 2 associating, 3 connected), or 'closed'. */
export function stateOf(client: NativeClient): number | 'closed' {
  try {
    return client.state;
  } catch {
    return 'closed';
  }
}

export function closeQuietly(client: NativeClient): void {
  try {
    client.close();
  } catch {
    // Already closed.
  }
}

/** Waits for a client's session; `init`: Baton made the client, so it starts it, and closes it on abort. */
export function waitConnected(client: NativeClient, signal: AbortSignal, init: boolean): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const cleanup = (): void => {
      client.removeListener('connect', onConnect);
      client.removeListener('close', onClose);
      signal.removeEventListener('abort', onAbort);
    };
    const onConnect = (): void => {
      cleanup();
      resolve();
    };
    const onClose = (...args: unknown[]): void => {
      cleanup();
      reject(
        args[1] === ZK.ZOO_AUTH_FAILED_STATE
          ? new AuthError('ZooKeeper refused the credentials')
          : new BackendUnavailableError(`the ZooKeeper client closed while connecting (${String(args[1])})`),
      );
    };
    const onAbort = (): void => {
      cleanup();
      if (init) closeQuietly(client);
      reject(toAbortError(signal));
    };
    if (signal.aborted) {
      onAbort();
      return;
    }
    client.on('connect', onConnect);
    client.on('close', onClose);
    signal.addEventListener('abort', onAbort, { once: true });
    if (init) {
      try {
        client.init({});
      } catch (error) {
        cleanup();
        reject(new BackendUnavailableError('the ZooKeeper client could not start', { cause: error }));
      }
    }
  });
}
