import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { type BackendKind, type ServerHandle, startServer } from '../../../../test/backends/index.js';
import { BatonProcess } from './baton-process.js';
import { storeUrl } from './stores.js';

/** A real store for one describe block, a scratch directory, and the baton processes started against it. */
export interface StoreFixture {
  readonly server: () => ServerHandle;
  /** The store's URL as baton takes it. */
  readonly url: () => string;
  /** A path in the scratch directory, for a command's log. */
  readonly file: (name: string) => string;
  /** Starts baton; it is SIGKILLed after the block if still running. */
  readonly start: (args: readonly string[], env?: Readonly<Record<string, string>>) => BatonProcess;
}

/** Registers beforeAll/afterAll that start and stop a `kind` server; call inside a describe block. */
export function useStore(kind: BackendKind): StoreFixture {
  let server: ServerHandle | undefined;
  let dir: string | undefined;
  const running: BatonProcess[] = [];

  beforeAll(async () => {
    server = await startServer(kind);
    dir = mkdtempSync(path.join(os.tmpdir(), `baton-cli-${kind}-`));
  }, 120_000);

  afterAll(async () => {
    await Promise.all(running.map((baton) => baton.stop()));
    await server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  const current = (): ServerHandle => {
    if (!server) throw new Error(`no ${kind} server`);
    return server;
  };
  return {
    server: current,
    url: () => storeUrl(kind, current().host, current().port, current()),
    file: (name) => {
      if (!dir) throw new Error('no scratch directory');
      return path.join(dir, name.replaceAll('/', '-'));
    },
    start: (args, env) => {
      const baton = BatonProcess.start(args, env);
      running.push(baton);
      return baton;
    },
  };
}
