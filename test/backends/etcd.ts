import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { findProgram } from './binaries.js';
import { assertClusterSize, ClusterState, startMembers } from './cluster.js';
import type { BackendDriver } from './driver.js';
import { LocalServer, type LocalServerSpec, makeServerDir } from './local-server.js';
import { freePorts } from './ports.js';
import { http, isRecord, parseJson } from './probes.js';
import type { ClusterHandle, ServerHandle } from './types.js';

const HOST = '127.0.0.1';
const READY_TIMEOUT_MS = 15_000;
export const ETCD_IMAGE = 'quay.io/coreos/etcd:v3.5.21';

const GO_ARCH: Partial<Record<NodeJS.Architecture, string>> = {
  arm: 'arm',
  arm64: 'arm64',
  ia32: '386',
  loong64: 'loong64',
  ppc64: 'ppc64le',
  riscv64: 'riscv64',
  s390x: 's390x',
};

/**
 * etcd reads every ETCD_* variable as a flag and refuses to start when one conflicts with a
 * command-line flag, so a developer's own ETCD_DATA_DIR must not leak in. Off amd64, etcd 3.4
 * also refuses to run unless ETCD_UNSUPPORTED_ARCH names the architecture.
 */
function etcdEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith('ETCD_')) env[key] = value;
  const arch = GO_ARCH[process.arch];
  if (process.arch !== 'x64' && arch) env.ETCD_UNSUPPORTED_ARCH = arch;
  return env;
}

export async function etcdHealthy(host: string, port: number): Promise<boolean> {
  const { status, text } = await http(`http://${host}:${port}/health`, { timeoutMs: 1_000 });
  const body = parseJson(text);
  // "true" in 3.4 and 3.5; a boolean in some gateways.
  return status === 200 && isRecord(body) && (body.health === 'true' || body.health === true);
}

async function etcdAnswers(host: string, port: number): Promise<boolean> {
  const { status } = await http(`http://${host}:${port}/version`, { timeoutMs: 1_000 });
  return status === 200;
}

interface Member {
  readonly name: string;
  readonly clientPort: number;
  readonly peerPort: number;
}

function memberSpec(
  member: Member,
  members: readonly Member[],
  token: string,
  program: string,
  state?: ClusterState,
): LocalServerSpec {
  const initialCluster = members.map((m) => `${m.name}=http://${HOST}:${m.peerPort}`).join(',');
  return {
    kind: 'etcd',
    name: state ? `etcd member ${member.name}` : 'etcd',
    host: HOST,
    port: member.clientPort,
    url: `etcd://${HOST}:${member.clientPort}`,
    readyTimeoutMs: READY_TIMEOUT_MS,
    stopGraceMs: 5_000,
    async prepare(dir, wipe) {
      if (wipe) await rm(join(dir, 'data'), { recursive: true, force: true });
    },
    launch(dir) {
      return {
        command: program,
        env: etcdEnv(),
        // With existing data etcd ignores the --initial-* flags, so one command line serves
        // the first start and every restart.
        // biome-ignore format: flag and value pairs
        args: [
          '--name', member.name,
          '--data-dir', join(dir, 'data'),
          '--listen-client-urls', `http://${HOST}:${member.clientPort}`,
          '--advertise-client-urls', `http://${HOST}:${member.clientPort}`,
          '--listen-peer-urls', `http://${HOST}:${member.peerPort}`,
          '--initial-advertise-peer-urls', `http://${HOST}:${member.peerPort}`,
          '--initial-cluster', initialCluster,
          '--initial-cluster-state', 'new',
          '--initial-cluster-token', token,
          '--logger', 'zap',
        ],
      };
    },
    serving: () => etcdAnswers(HOST, member.clientPort),
    ready: () => etcdHealthy(HOST, member.clientPort),
    ...(state
      ? {
          expectQuorum: state.expectQuorum,
          // An empty member would try to found a new cluster that its peers reject; rejoining
          // takes member remove/add, which is a test's business, not the harness's.
          wipeUnsupported: 'restart({ wipe: true }) is not supported for an etcd cluster member',
        }
      : {}),
  };
}

function requireProgram(): string {
  const found = etcdDriver.findLocal();
  if (!found.found) throw new Error(`etcd: ${found.reason}`);
  return found.path;
}

async function startLocal(): Promise<ServerHandle> {
  const program = requireProgram();
  const [clientPort, peerPort] = (await freePorts(2)) as [number, number];
  const member = { name: 'n1', clientPort, peerPort };
  const token = `baton-${randomUUID()}`;
  return LocalServer.start(memberSpec(member, [member], token, program), await makeServerDir('etcd'));
}

async function startLocalCluster(size: number): Promise<ClusterHandle> {
  assertClusterSize('etcd', size);
  const program = requireProgram();
  const ports = await freePorts(2 * size);
  const members: Member[] = Array.from({ length: size }, (_, i) => ({
    name: `n${i + 1}`,
    clientPort: ports[2 * i] as number,
    peerPort: ports[2 * i + 1] as number,
  }));
  // A unique token keeps members of two clusters from ever joining each other.
  const token = `baton-${randomUUID()}`;
  const state = new ClusterState(size);
  return startMembers(
    'etcd',
    state,
    members.map(
      (member) => async () =>
        LocalServer.start(memberSpec(member, members, token, program, state), await makeServerDir('etcd')),
    ),
    async () => (await Promise.all(members.map((m) => etcdHealthy(HOST, m.clientPort)))).every(Boolean),
    READY_TIMEOUT_MS,
  );
}

export const etcdDriver: BackendDriver = {
  kind: 'etcd',
  envVar: 'BATON_ETCD_URL',
  defaultPort: 2379,
  program: 'etcd binary',
  readyTimeoutMs: READY_TIMEOUT_MS,
  findLocal: () => findProgram('BATON_ETCD_BIN', ['etcd'], 'no etcd binary'),
  startLocal,
  startLocalCluster,
  container: (_options, hostPort) => ({
    image: ETCD_IMAGE,
    containerPort: 2379,
    // biome-ignore format: flag and value pairs
    command: [
      'etcd',
      '--name', 'n1',
      '--data-dir', '/etcd-data',
      '--listen-client-urls', 'http://0.0.0.0:2379',
      '--advertise-client-urls', `http://127.0.0.1:${hostPort}`,
      '--listen-peer-urls', 'http://0.0.0.0:2380',
      '--initial-advertise-peer-urls', 'http://127.0.0.1:2380',
      '--initial-cluster', 'n1=http://127.0.0.1:2380',
    ],
  }),
  ready: etcdHealthy,
};
