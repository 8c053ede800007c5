import { createRequire } from 'node:module';
import { AdapterLoadError } from '@baton/core/adapter';

/** The stat of a znode as the `zookeeper` package reports it. */
export interface NativeStat {
  readonly czxid: number;
  readonly mzxid: number;
  readonly version: number;
  readonly cversion: number;
  readonly aversion: number;
  /** Hex session id of the owner of an ephemeral node; "0" for a persistent one. */
  readonly ephemeralOwner: string;
  readonly numChildren: number;
}

export interface NativeAcl {
  readonly perms: number;
  readonly scheme: string;
  readonly auth: string;
}

export type WatchCallback = (type: number, state: number, path: string) => void;

/**
 * The callback half of the `zookeeper` package's client (the `ZooKeeper` class and its
 * promise subclass both have it). Callbacks get the C client's return code first; the
 * methods return a non-zero code, and never call back, when the request was refused
 * locally.
 */
export interface NativeClient {
  init(config: Record<string, unknown>): unknown;
  close(): unknown;
  on(event: string, listener: (...args: unknown[]) => void): unknown;
  removeListener(event: string, listener: (...args: unknown[]) => void): unknown;
  a_create(
    path: string,
    data: string | Buffer,
    flags: number,
    cb: (rc: number, error: string, path: string) => void,
  ): number;
  a_exists(path: string, watch: boolean, cb: (rc: number, error: string, stat: NativeStat) => void): number;
  aw_exists(path: string, watch: WatchCallback, cb: (rc: number, error: string, stat: NativeStat) => void): number;
  a_get(
    path: string,
    watch: boolean,
    cb: (rc: number, error: string, stat: NativeStat, data: Buffer | string | null) => void,
  ): number;
  aw_get(
    path: string,
    watch: WatchCallback,
    cb: (rc: number, error: string, stat: NativeStat, data: Buffer | string | null) => void,
  ): number;
  a_get_children(path: string, watch: boolean, cb: (rc: number, error: string, children: string[]) => void): number;
  aw_get_children(
    path: string,
    watch: WatchCallback,
    cb: (rc: number, error: string, children: string[]) => void,
  ): number;
  a_set(
    path: string,
    data: string | Buffer,
    version: number,
    cb: (rc: number, error: string, stat: NativeStat) => void,
  ): number;
  a_delete_(path: string, version: number, cb: (rc: number, error: string) => void): number;
  a_set_acl(path: string, version: number, acl: readonly NativeAcl[], cb: (rc: number, error: string) => void): number;
  a_sync(path: string, cb: (rc: number, error: string, value: string) => void): number;
  add_auth(scheme: string, auth: string, cb: (rc: number, error: string) => void): number;
  readonly state: number;
  /** The session timeout the server negotiated, in ms. */
  readonly timeout: number;
  /** Hex session id. */
  readonly client_id: string;
  /** Hex session password. */
  readonly client_password: string;
}

export type NativeClientConstructor = new (config: Record<string, unknown>) => NativeClient;

/** The C client's return codes and states Baton acts on (zookeeper.h). */
export const ZK = {
  ZOK: 0,
  ZSYSTEMERROR: -1,
  ZCONNECTIONLOSS: -4,
  ZOPERATIONTIMEOUT: -7,
  ZBADARGUMENTS: -8,
  ZINVALIDSTATE: -9,
  ZNONODE: -101,
  ZNOAUTH: -102,
  ZBADVERSION: -103,
  ZNOCHILDRENFOREPHEMERALS: -108,
  ZNODEEXISTS: -110,
  ZNOTEMPTY: -111,
  ZSESSIONEXPIRED: -112,
  ZINVALIDACL: -114,
  ZAUTHFAILED: -115,
  ZCLOSING: -116,
  ZSESSIONMOVED: -118,
  ZOO_EXPIRED_SESSION_STATE: -112,
  ZOO_AUTH_FAILED_STATE: -113,
  ZOO_CONNECTED_STATE: 3,
  ZOO_PERSISTENT: 0,
  ZOO_EPHEMERAL_SEQUENTIAL: 3,
  ZOO_EPHEMERAL: 1,
  ZOO_SESSION_EVENT: -1,
  ZOO_CREATED_EVENT: 1,
  ZOO_DELETED_EVENT: 2,
  ZOO_CHANGED_EVENT: 3,
  ZOO_CHILD_EVENT: 4,
  ZOO_PERM_READ: 1,
  ZOO_PERM_ALL: 31,
} as const;

let loaded: NativeClientConstructor | undefined;

/** The `zookeeper` package's client class, loaded on first use (it is a native CommonJS addon). */
export function nativeClientClass(): NativeClientConstructor {
  if (!loaded) {
    const require = createRequire(import.meta.url);
    let mod: { Promise?: NativeClientConstructor };
    try {
      mod = require('zookeeper') as typeof mod;
    } catch (error) {
      throw addonLoadError(error);
    }
    if (typeof mod.Promise !== 'function') throw new Error('the zookeeper package does not export a client class');
    loaded = mod.Promise;
  }
  return loaded;
}

/** Whether `value` looks like a client of the `zookeeper` package. */
export function isNativeClient(value: unknown): value is NativeClient {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Record<string, unknown>;
  return ['a_create', 'a_exists', 'aw_get', 'a_delete_', 'a_set', 'close', 'on'].every(
    (method) => typeof candidate[method] === 'function',
  );
}

/**
 * The error for a `zookeeper` package that is installed but whose native addon does not load:
 * most often built for another Node.js (after switching Node versions without reinstalling),
 * or never built (install scripts disabled). Not a store outage, so not retried.
 */
function addonLoadError(error: unknown): AdapterLoadError {
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'MODULE_NOT_FOUND' && !/\.node\b/.test(message)) {
    return new AdapterLoadError('zookeeper', `${message}; install it with \`npm install zookeeper\``, {
      cause: error,
    });
  }
  return new AdapterLoadError(
    'zookeeper',
    `its native addon did not load for Node.js ${process.version} (ABI ${process.versions.modules}): ${message.replace(/\.$/, '')}. ` +
      'Rebuild it for this Node.js with `npm rebuild zookeeper` (install scripts must be allowed).',
    { cause: error },
  );
}
