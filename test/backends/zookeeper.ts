import { readdirSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { findProgram, isReadable } from './binaries.js';
import { assertClusterSize, ClusterState, startMembers } from './cluster.js';
import type { BackendDriver } from './driver.js';
import { env } from './env.js';
import { dataDir, LocalServer, type LocalServerSpec, makeServerDir } from './local-server.js';
import { freePorts } from './ports.js';
import { fourLetterWord, zookeeperMode } from './probes.js';
import type { ClusterHandle, ServerHandle, StartOptions } from './types.js';

const HOST = '127.0.0.1';
const READY_TIMEOUT_MS = 30_000;
const DEFAULT_TICK_MS = 200;
export const ZOOKEEPER_IMAGE = 'zookeeper:3.9.3';

type Install = { found: true; java: string; classpath: string } | { found: false; reason: string };

/**
 * A classpath for QuorumPeerMain: an explicit BATON_ZOOKEEPER_CLASSPATH, a release tarball
 * under ZOOKEEPER_HOME, or the Debian package, whose zookeeper.jar lists its dependencies in
 * its manifest. Debian ships no SLF4J binding on that path; slf4j-simple sends the server log
 * to stderr, which goes to the log file, instead of SLF4J's "no providers" warning and silence.
 */
function findClasspath(): string | undefined {
  const explicit = env('BATON_ZOOKEEPER_CLASSPATH');
  if (explicit) return explicit;
  const home = env('ZOOKEEPER_HOME');
  if (home) {
    try {
      if (readdirSync(join(home, 'lib')).some((name) => /^zookeeper-[\d.]+\.jar$/.test(name))) {
        return [join(home, 'lib', '*'), join(home, 'conf')].join(':');
      }
    } catch {
      // Not a release layout; try the package.
    }
  }
  const debian = '/usr/share/java/zookeeper.jar';
  if (isReadable(debian)) {
    const binding = '/usr/share/java/slf4j-simple.jar';
    return isReadable(binding) ? `${debian}:${binding}` : debian;
  }
  return undefined;
}

function findInstall(): Install {
  const javaHome = env('JAVA_HOME');
  const java = findProgram('BATON_JAVA_BIN', [...(javaHome ? [join(javaHome, 'bin', 'java')] : []), 'java'], 'no java');
  const classpath = findClasspath();
  if (!classpath) {
    return {
      found: false,
      reason: `no ZooKeeper jars (/usr/share/java/zookeeper.jar, ZOOKEEPER_HOME or BATON_ZOOKEEPER_CLASSPATH)${java.found ? '' : ', no java'}`,
    };
  }
  if (!java.found) return { found: false, reason: `${java.reason} for ZooKeeper` };
  return { found: true, java: java.path, classpath };
}

export async function zookeeperReady(host: string, port: number): Promise<boolean> {
  return (await zookeeperMode(host, port)) !== undefined;
}

async function zookeeperAnswers(host: string, port: number): Promise<boolean> {
  return (await fourLetterWord(host, port, 'ruok')) === 'imok';
}

interface Member {
  readonly id: number;
  readonly clientPort: number;
  readonly peerPort: number;
  readonly electionPort: number;
}

function config(dir: string, member: Member, members: readonly Member[], tickMs: number): string {
  const lines = [
    `tickTime=${tickMs}`,
    'initLimit=10',
    'syncLimit=5',
    // Sessions of ~2 s are what the election tests use; ZooKeeper clamps a requested timeout
    // into [min, max], so the minimum must be that low.
    `minSessionTimeout=${2 * tickMs}`,
    `maxSessionTimeout=${Math.max(60_000, 20 * tickMs)}`,
    `dataDir=${join(dir, 'data')}`,
    `clientPort=${member.clientPort}`,
    `clientPortAddress=${HOST}`,
    'admin.enableServer=false',
    '4lw.commands.whitelist=*',
  ];
  if (members.length > 1) {
    for (const m of members) lines.push(`server.${m.id}=${HOST}:${m.peerPort}:${m.electionPort}`);
  }
  return `${lines.join('\n')}\n`;
}

function memberSpec(
  install: Extract<Install, { found: true }>,
  member: Member,
  members: readonly Member[],
  tickMs: number,
  state?: ClusterState,
): LocalServerSpec {
  return {
    kind: 'zookeeper',
    name: state ? `zookeeper member ${member.id}` : 'zookeeper',
    host: HOST,
    port: member.clientPort,
    url: `zookeeper://${HOST}:${member.clientPort}`,
    readyTimeoutMs: READY_TIMEOUT_MS,
    stopGraceMs: 10_000,
    async prepare(dir, wipe) {
      const data = await dataDir(dir, wipe);
      await writeFile(join(dir, 'zoo.cfg'), config(dir, member, members, tickMs));
      if (members.length > 1) await writeFile(join(data, 'myid'), `${member.id}\n`);
    },
    launch: (dir) => ({
      command: install.java,
      args: [
        '-Xmx256m',
        // One GC thread and C1 only: a JVM per server on a 2-core machine starts faster this way.
        '-XX:+UseSerialGC',
        '-XX:TieredStopAtLevel=1',
        '-Djava.net.preferIPv4Stack=true',
        `-Dzookeeper.log.dir=${dir}`,
        '-Dorg.slf4j.simpleLogger.showDateTime=true',
        '-Dorg.slf4j.simpleLogger.dateTimeFormat=HH:mm:ss.SSS',
        // A killed process loses nothing the OS already has; fsync per transaction only
        // makes tests slow.
        '-Dzookeeper.forceSync=no',
        // Peers that are not up yet are retried after this, not after the default 5 s.
        '-Dzookeeper.cnxTimeout=1000',
        '-cp',
        install.classpath,
        'org.apache.zookeeper.server.quorum.QuorumPeerMain',
        join(dir, 'zoo.cfg'),
      ],
    }),
    serving: () => zookeeperAnswers(HOST, member.clientPort),
    ready: () => zookeeperReady(HOST, member.clientPort),
    ...(state ? { expectQuorum: state.expectQuorum } : {}),
  };
}

function requireInstall(): Extract<Install, { found: true }> {
  const install = findInstall();
  if (!install.found) throw new Error(`zookeeper: ${install.reason}`);
  return install;
}

async function startLocal(options: StartOptions): Promise<ServerHandle> {
  const install = requireInstall();
  const [clientPort] = (await freePorts(1)) as [number];
  const member: Member = { id: 1, clientPort, peerPort: 0, electionPort: 0 };
  const tickMs = options.zkTickTimeMs ?? DEFAULT_TICK_MS;
  return LocalServer.start(memberSpec(install, member, [member], tickMs), await makeServerDir('zookeeper'));
}

async function startLocalCluster(size: number): Promise<ClusterHandle> {
  assertClusterSize('zookeeper', size);
  const install = requireInstall();
  const ports = await freePorts(3 * size);
  const members: Member[] = Array.from({ length: size }, (_, i) => ({
    id: i + 1,
    clientPort: ports[3 * i] as number,
    peerPort: ports[3 * i + 1] as number,
    electionPort: ports[3 * i + 2] as number,
  }));
  const state = new ClusterState(size);
  return startMembers(
    'zookeeper',
    state,
    members.map(
      (member) => async () =>
        LocalServer.start(
          memberSpec(install, member, members, DEFAULT_TICK_MS, state),
          await makeServerDir('zookeeper'),
        ),
    ),
    async () => (await Promise.all(members.map((m) => zookeeperReady(HOST, m.clientPort)))).every(Boolean),
    READY_TIMEOUT_MS,
  );
}

export const zookeeperDriver: BackendDriver = {
  kind: 'zookeeper',
  envVar: 'BATON_ZOOKEEPER_URL',
  defaultPort: 2181,
  program: 'ZooKeeper (java and the zookeeper jars)',
  readyTimeoutMs: READY_TIMEOUT_MS,
  findLocal: () => {
    const install = findInstall();
    return install.found ? { found: true, path: `${install.java} -cp ${install.classpath}` } : install;
  },
  startLocal,
  startLocalCluster,
  container: (options) => {
    const tickMs = options.zkTickTimeMs ?? DEFAULT_TICK_MS;
    return {
      image: ZOOKEEPER_IMAGE,
      containerPort: 2181,
      environment: {
        ZOO_TICK_TIME: String(tickMs),
        ZOO_4LW_COMMANDS_WHITELIST: '*',
        ZOO_ADMINSERVER_ENABLED: 'false',
        ZOO_CFG_EXTRA: `minSessionTimeout=${2 * tickMs} maxSessionTimeout=${Math.max(60_000, 20 * tickMs)}`,
      },
    };
  },
  ready: zookeeperReady,
};
