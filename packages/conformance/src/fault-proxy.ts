import net from 'node:net';

/** What the proxy does to traffic right now. */
export type FaultMode =
  /** Pass bytes both ways. */
  | 'pass'
  /** Keep connections open, drop every byte both ways: a partition the client cannot see. */
  | 'blackhole'
  /** Forward requests, drop responses: the store acts, the client never hears. */
  | 'drop-responses';

interface Link {
  readonly client: net.Socket;
  readonly upstream: net.Socket;
}

/**
 * A TCP proxy on 127.0.0.1 between a client and a store, for fault tests. It can
 * blackhole traffic (connections stay up, bytes vanish), drop only responses, delay
 * responses, or reset every connection. Loopback only, and it stops when told to.
 */
export class FaultProxy {
  private readonly server: net.Server;
  private readonly links = new Set<Link>();
  private mode: FaultMode = 'pass';
  private latencyMs = 0;
  private listeningPort = 0;

  private constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {
    this.server = net.createServer((client) => this.accept(client));
  }

  /** Starts a proxy to `host:port` on a free loopback port. */
  static async start(targetHost: string, targetPort: number): Promise<FaultProxy> {
    const proxy = new FaultProxy(targetHost, targetPort);
    await new Promise<void>((resolve, reject) => {
      proxy.server.once('error', reject);
      proxy.server.listen(0, '127.0.0.1', () => resolve());
    });
    const address = proxy.server.address();
    if (address === null || typeof address === 'string') throw new Error('proxy has no TCP address');
    proxy.listeningPort = address.port;
    return proxy;
  }

  get port(): number {
    return this.listeningPort;
  }

  get host(): string {
    return '127.0.0.1';
  }

  setMode(mode: FaultMode): void {
    this.mode = mode;
  }

  /** Delays every response by `ms` (0 turns it off). */
  setLatency(ms: number): void {
    this.latencyMs = Math.max(0, ms);
  }

  /** Resets every open connection, as a crashed middlebox or a server restart would. */
  resetConnections(): void {
    for (const link of this.links) {
      link.client.resetAndDestroy();
      link.upstream.destroy();
    }
    this.links.clear();
  }

  get connectionCount(): number {
    return this.links.size;
  }

  async stop(): Promise<void> {
    this.resetConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: net.Socket): void {
    const upstream = net.connect(this.targetPort, this.targetHost);
    const link: Link = { client, upstream };
    this.links.add(link);
    const close = (): void => {
      this.links.delete(link);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', close).on('close', close);
    upstream.on('error', close).on('close', close);
    client.on('data', (chunk: Buffer) => {
      if (this.mode === 'blackhole') return;
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (this.mode !== 'pass') return;
      if (this.latencyMs === 0) {
        client.write(chunk);
        return;
      }
      // Order is kept: each chunk waits the same delay after the one before it.
      const timer = setTimeout(() => {
        if (this.mode === 'pass' && !client.destroyed) client.write(chunk);
      }, this.latencyMs);
      client.once('close', () => clearTimeout(timer));
    });
  }
}
