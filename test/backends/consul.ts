import { homedir } from 'node:os';
import { join } from 'node:path';
import { findProgram } from './binaries.js';
import { assertClusterSize, ClusterState, startMembers } from './cluster.js';
import type { BackendDriver } from './driver.js';
import { env } from './env.js';
import { dataDir, LocalServer, type LocalServerSpec, makeServerDir } from './local-server.js';
import { freePorts } from './ports.js';
import { http, isRecord, parseJson } from './probes.js';
import type { ClusterHandle, ServerHandle, StartOptions } from './types.js';

const HOST = '127.0.0.1';
const READY_TIMEOUT_MS = 30_000;
const DEFAULT_SESSION_TTL_MIN = '1s';
/** The version scripts/build-consul.sh builds. */
const CONSUL_VERSION = 'v1.22.2';
export const CONSUL_IMAGE = 'hashicorp/consul:1.22.2';

/** Where scripts/build-consul.sh caches its binary; the same expression as the script's. */
function cachedBinary(): string {
  const cache = env('BATON_CACHE_DIR') ?? join(env('XDG_CACHE_HOME') ?? join(homedir(), '.cache'), 'baton');
  return join(cache, 'bin', `consul-${CONSUL_VERSION}`);
}

/** The leader's raft address, or undefined while there is none. */
async function leaderOf(port: number): Promise<string | undefined> {
  const { status, text } = await http(`http://${HOST}:${port}/v1/status/leader`, { timeoutMs: 1_000 });
  const leader = parseJson(text);
  return status === 200 && typeof leader === 'string' && leader !== '' ? leader : undefined;
}

/**
 * Sessions are created on a catalog node, and right after an election the leader may not
 * have registered the agent's node yet ("Missing node registration"); a leader alone is not
 * enough for a test that creates a session at once.
 */
async function nodeRegistered(port: number, node: string): Promise<boolean> {
  const { status, text } = await http(`http://${HOST}:${port}/v1/catalog/node/${encodeURIComponent(node)}`, {
    timeoutMs: 1_000,
  });
  const body = parseJson(text);
  return status === 200 && isRecord(body) && isRecord(body.Node);
}

export async function consulReady(host: string, port: number): Promise<boolean> {
  const { status, text } = await http(`http://${host}:${port}/v1/status/leader`, { timeoutMs: 1_000 });
  const leader = parseJson(text);
  return status === 200 && typeof leader === 'string' && leader !== '';
}

async function consulAnswers(port: number): Promise<boolean> {
  const { status } = await http(`http://${HOST}:${port}/v1/status/leader`, { timeoutMs: 1_000 });
  return status === 200;
}

interface Member {
  readonly node: string;
  readonly httpPort: number;
  readonly serfLanPort: number;
  readonly serfWanPort: number;
  readonly serverPort: number;
}

const MEMBER_PORTS = 4;

function member(node: string, ports: readonly number[], offset: number): Member {
  return {
    node,
    httpPort: ports[offset] as number,
    serfLanPort: ports[offset + 1] as number,
    serfWanPort: ports[offset + 2] as number,
    serverPort: ports[offset + 3] as number,
  };
}

function commonArgs(m: Member, sessionTtlMin: string): string[] {
  // biome-ignore format: flag and value pairs
  return [
    '-node', m.node,
    '-bind', HOST,
    '-client', HOST,
    '-http-port', String(m.httpPort),
    '-serf-lan-port', String(m.serfLanPort),
    '-serf-wan-port', String(m.serfWanPort),
    '-server-port', String(m.serverPort),
    // Ports a test never uses stay closed, so they cannot clash with anything.
    '-grpc-port', '-1',
    '-grpc-tls-port', '-1',
    '-dns-port', '-1',
    '-https-port', '-1',
    '-log-level', 'info',
    '-hcl', `session_ttl_min = "${sessionTtlMin}"`,
    '-hcl', 'ui_config { enabled = false }',
    '-hcl', 'disable_update_check = true',
  ];
}

function memberSpec(
  program: string,
  m: Member,
  members: readonly Member[],
  sessionTtlMin: string,
  state?: ClusterState,
): LocalServerSpec {
  const peers = members.filter((other) => other !== m);
  return {
    kind: 'consul',
    name: state ? `consul server ${m.node}` : 'consul',
    host: HOST,
    port: m.httpPort,
    url: `consul://${HOST}:${m.httpPort}`,
    readyTimeoutMs: READY_TIMEOUT_MS,
    stopGraceMs: 10_000,
    async prepare(dir, wipe) {
      await dataDir(dir, wipe);
    },
    launch: (dir) => ({
      command: program,
      args: state
        ? [
            'agent',
            '-server',
            `-bootstrap-expect=${members.length}`,
            `-data-dir=${join(dir, 'data')}`,
            '-retry-interval=1s',
            ...peers.map((peer) => `-retry-join=${HOST}:${peer.serfLanPort}`),
            // Production raft timings (the default multiplier 5) make every election take seconds.
            '-hcl',
            'performance { raft_multiplier = 1 }',
            ...commonArgs(m, sessionTtlMin),
          ]
        : // Dev mode keeps everything in memory: restart() always starts from empty data.
          ['agent', '-dev', ...commonArgs(m, sessionTtlMin)],
    }),
    serving: () => consulAnswers(m.httpPort),
    ready: async () => (await leaderOf(m.httpPort)) !== undefined && nodeRegistered(m.httpPort, m.node),
    ...(state ? { expectQuorum: state.expectQuorum } : {}),
  };
}

function requireProgram(): string {
  const found = consulDriver.findLocal();
  if (!found.found) throw new Error(`consul: ${found.reason}`);
  return found.path;
}

async function startLocal(options: StartOptions): Promise<ServerHandle> {
  const program = requireProgram();
  const ports = await freePorts(MEMBER_PORTS);
  const m = member(`baton-dev-${ports[0]}`, ports, 0);
  const spec = memberSpec(program, m, [m], options.consulSessionTtlMin ?? DEFAULT_SESSION_TTL_MIN);
  return LocalServer.start(spec, await makeServerDir('consul'));
}

async function startLocalCluster(size: number): Promise<ClusterHandle> {
  assertClusterSize('consul', size);
  const program = requireProgram();
  const ports = await freePorts(MEMBER_PORTS * size);
  const members = Array.from({ length: size }, (_, i) =>
    member(`baton-s${i + 1}-${ports[0]}`, ports, MEMBER_PORTS * i),
  );
  const state = new ClusterState(size);
  return startMembers(
    'consul',
    state,
    members.map(
      (m) => async () =>
        LocalServer.start(
          memberSpec(program, m, members, DEFAULT_SESSION_TTL_MIN, state),
          await makeServerDir('consul'),
        ),
    ),
    async () => {
      const leaders = await Promise.all(members.map((m) => leaderOf(m.httpPort)));
      if (leaders.some((leader) => leader === undefined || leader !== leaders[0])) return false;
      const registered = await Promise.all(members.map((m) => nodeRegistered(m.httpPort, m.node)));
      return registered.every(Boolean);
    },
    READY_TIMEOUT_MS,
  );
}

export const consulDriver: BackendDriver = {
  kind: 'consul',
  envVar: 'BATON_CONSUL_URL',
  defaultPort: 8500,
  program: 'consul binary',
  readyTimeoutMs: READY_TIMEOUT_MS,
  findLocal: () =>
    findProgram(
      'BATON_CONSUL_BIN',
      [cachedBinary(), 'consul'],
      `no consul binary (${cachedBinary()} or consul on PATH)`,
    ),
  startLocal,
  startLocalCluster,
  container: (options) => ({
    image: CONSUL_IMAGE,
    containerPort: 8500,
    // biome-ignore format: flag and value pairs
    command: [
      'agent', '-dev',
      '-client', '0.0.0.0',
      '-log-level', 'info',
      '-hcl', `session_ttl_min = "${options.consulSessionTtlMin ?? DEFAULT_SESSION_TTL_MIN}"`,
    ],
  }),
  ready: consulReady,
};
