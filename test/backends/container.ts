import type { StartedTestContainer } from 'testcontainers';
import type { BackendDriver } from './driver.js';
import { freePorts } from './ports.js';
import { waitUntil } from './process.js';
import type { ServerHandle, StartOptions } from './types.js';

/**
 * A server in a container, through testcontainers (whose reaper removes it if this process
 * dies). The host port is chosen here rather than by Docker so that it stays the same across
 * restart(), as it does for local servers.
 */
export async function startContainer(driver: BackendDriver, options: StartOptions): Promise<ServerHandle> {
  const { container: containerSpec, ready } = driver;
  if (!containerSpec || !ready) throw new Error(`${driver.kind} has no container image in this harness`);
  // Loaded only when needed: testcontainers is heavy and most runs use local binaries.
  const { GenericContainer } = await import('testcontainers');
  const [hostPort] = (await freePorts(1)) as [number];
  const spec = containerSpec(options, hostPort);

  const create = async (): Promise<StartedTestContainer> => {
    let definition = new GenericContainer(spec.image)
      .withExposedPorts({ container: spec.containerPort, host: hostPort })
      .withStartupTimeout(120_000);
    if (spec.command) definition = definition.withCommand([...spec.command]);
    if (spec.environment) definition = definition.withEnvironment({ ...spec.environment });
    return definition.start();
  };

  let container = await create();
  const host = container.getHost();
  const waitReady = (): Promise<void> =>
    waitUntil(() => ready(host, hostPort), {
      what: `${driver.kind} container ${spec.image} on ${host}:${hostPort}`,
      timeoutMs: driver.readyTimeoutMs * 2,
      intervalMs: 200,
    });
  let stopped = false;
  const localOnly = (action: string): Promise<never> =>
    Promise.reject(
      new Error(`${action}() is only supported for local servers, not for the ${driver.kind} container ${spec.image}`),
    );
  const assertUsable = (action: string): void => {
    if (stopped) throw new Error(`${driver.kind} container: ${action}() after stop()`);
  };

  try {
    await waitReady();
  } catch (error) {
    await container.stop().catch(() => undefined);
    throw error;
  }

  return {
    kind: driver.kind,
    url: spec.url ? spec.url(host, hostPort) : `${driver.kind}://${host}:${hostPort}`,
    host,
    port: hostPort,
    source: 'container',
    async stop() {
      if (stopped) return;
      stopped = true;
      await container.stop();
    },
    async restart(restartOptions = {}) {
      assertUsable('restart');
      if (restartOptions.wipe) {
        // The data lives in the container's own filesystem: a new container is a wiped server.
        await container.stop().catch(() => undefined);
        container = await create();
      } else {
        // Docker keeps an explicit host port binding across a restart.
        await container.restart();
      }
      await waitReady();
    },
    pause: () => localOnly('pause'),
    resume: () => localOnly('resume'),
    async kill() {
      assertUsable('kill');
      // A zero timeout makes Docker send SIGKILL at once; the container stays for restart().
      await container.stop({ timeout: 0, remove: false });
    },
  };
}
