/** The signals that ask baton to stop: a terminal's Ctrl-C, a service manager, a closed terminal. */
export type StopSignal = 'SIGINT' | 'SIGTERM' | 'SIGHUP';

export const stopSignals: readonly StopSignal[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/**
 * Routes the stop signals to `handler` instead of letting them end the process, so that a
 * command can be stopped and a leadership released first. Returns a function that removes
 * the handler again.
 */
export function onStopSignals(handler: (signal: StopSignal) => void): () => void {
  const listeners = stopSignals.map((signal) => {
    const listener = (): void => handler(signal);
    process.on(signal, listener);
    return { signal, listener };
  });
  return () => {
    for (const { signal, listener } of listeners) process.off(signal, listener);
  };
}
