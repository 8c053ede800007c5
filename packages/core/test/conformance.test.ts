import { runConformanceSuite } from '@baton/conformance';
import { connect } from '@baton/core';
import { MemoryBackend, memoryStore } from '@baton/core/adapter';

const storeName = `conformance-${process.pid}`;
const store = memoryStore(storeName);
let renewals = 0;
const keepAlive = store.keepAlive.bind(store);
store.keepAlive = (sessionId: string): boolean => {
  renewals++;
  return keepAlive(sessionId);
};

const inProcess = 'the memory store lives inside one process: there is no other process or network to fault';

function sessionOf(backend: unknown): string {
  if (!(backend instanceof MemoryBackend)) throw new Error('not a memory backend');
  const id = backend.sessionId;
  if (!id) throw new Error('the client holds no session');
  return id;
}

runConformanceSuite({
  name: 'memory',
  skip: {
    '11-crash': inProcess,
    '12-pause': inProcess,
    '13-partition': inProcess,
    '13-lost-replies': inProcess,
    '13-slow-renewal': inProcess,
    '13-store-restart': inProcess,
    '13-store-restart-tolerate': inProcess,
    '13-store-restart-reconnect': inProcess,
    '13-store-pause': inProcess,
    '13-slow-grant': inProcess,
    '18-metrics-failover': inProcess,
    '18-events-blackhole': inProcess,
    '18-health-blackhole': inProcess,
    '14-unreachable': 'the memory store is in-process: there is no server to be unreachable',
  },
  async setup() {
    return {
      url: `memory://${storeName}`,
      ttlMs: 1_000,
      connect: (options) => connect(`memory://${storeName}`, { ttlMs: 1_000, ...options }),
      unreachableUrl: 'memory://unreachable',
      hooks: {
        async expireSession(backend) {
          store.revokeSession(sessionOf(backend));
        },
        async deleteLeaderKey(election) {
          store.deleteLeaderKey(election);
        },
        async overwriteLeaderKey(election) {
          store.overwriteLeaderKey(election, 1_000);
        },
        async breakWatches() {
          // The memory store's watches are in-process callbacks and cannot break.
        },
        async renewalCount() {
          return renewals;
        },
      },
    };
  },
});
