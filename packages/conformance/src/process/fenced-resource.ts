import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FencingGuard, StaleTokenError } from '@baton/core';

export interface FencedWrite {
  readonly id: string;
  readonly token: bigint;
  /** hrtime at which the resource received it. */
  readonly at: bigint;
  readonly accepted: boolean;
  /** The writer said the write was prepared earlier and sent late (after a pause). */
  readonly stale: boolean;
}

/**
 * The resource the process-level cases protect: an HTTP endpoint on loopback whose writes
 * pass through core's FencingGuard. Every write, accepted or refused, is recorded.
 */
export class FencedResource {
  readonly writes: FencedWrite[] = [];
  private readonly guard = new FencingGuard();
  private readonly server: Server;
  private port = 0;

  private constructor() {
    this.server = createServer((request, response) => {
      const url = new URL(request.url ?? '/', 'http://localhost');
      const token = BigInt(url.searchParams.get('token') ?? '0');
      const write = {
        id: url.searchParams.get('id') ?? '?',
        token,
        at: process.hrtime.bigint(),
        stale: url.searchParams.get('stale') === 'true',
      };
      try {
        this.guard.admit('resource', token);
        this.writes.push({ ...write, accepted: true });
        response.writeHead(200).end('ok');
      } catch (error) {
        if (!(error instanceof StaleTokenError)) throw error;
        this.writes.push({ ...write, accepted: false });
        response.writeHead(409).end('stale token');
      }
    });
  }

  static async start(): Promise<FencedResource> {
    const resource = new FencedResource();
    await new Promise<void>((resolve) => resource.server.listen(0, '127.0.0.1', resolve));
    resource.port = (resource.server.address() as AddressInfo).port;
    return resource;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/write`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
