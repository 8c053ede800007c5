import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { FaultProxy } from '../src/fault-proxy.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function echoServer(): Promise<{ port: number; received: string[] }> {
  const received: string[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('data', (chunk) => {
      received.push(chunk.toString());
      socket.write(chunk);
    });
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  const address = server.address() as net.AddressInfo;
  return { port: address.port, received };
}

async function client(port: number): Promise<{ socket: net.Socket; replies: string[] }> {
  const replies: string[] = [];
  const socket = net.connect(port, '127.0.0.1');
  socket.on('data', (chunk) => replies.push(chunk.toString()));
  socket.on('error', () => {});
  await new Promise((resolve) => socket.once('connect', resolve));
  cleanups.push(async () => void socket.destroy());
  return { socket, replies };
}

const settle = (ms = 100) => new Promise((resolve) => setTimeout(resolve, ms));

describe('FaultProxy', () => {
  it('passes bytes both ways, then blackholes them while keeping the connection', async () => {
    const echo = await echoServer();
    const proxy = await FaultProxy.start('127.0.0.1', echo.port);
    cleanups.push(() => proxy.stop());
    const { socket, replies } = await client(proxy.port);
    socket.write('one');
    await settle();
    expect(replies.join('')).toBe('one');

    proxy.setMode('blackhole');
    socket.write('two');
    await settle();
    expect(echo.received.join('')).toBe('one');
    expect(replies.join('')).toBe('one');
    expect(socket.destroyed).toBe(false);
    expect(proxy.connectionCount).toBe(1);
  });

  it('drops only responses: the server acts, the client never hears', async () => {
    const echo = await echoServer();
    const proxy = await FaultProxy.start('127.0.0.1', echo.port);
    cleanups.push(() => proxy.stop());
    const { socket, replies } = await client(proxy.port);
    proxy.setMode('drop-responses');
    socket.write('request');
    await settle();
    expect(echo.received.join('')).toBe('request');
    expect(replies).toEqual([]);
  });

  it('delays responses by the injected latency', async () => {
    const echo = await echoServer();
    const proxy = await FaultProxy.start('127.0.0.1', echo.port);
    cleanups.push(() => proxy.stop());
    const { socket, replies } = await client(proxy.port);
    proxy.setLatency(300);
    socket.write('slow');
    await settle(150);
    expect(replies).toEqual([]);
    await settle(300);
    expect(replies.join('')).toBe('slow');
  });

  it('resets every connection on demand', async () => {
    const echo = await echoServer();
    const proxy = await FaultProxy.start('127.0.0.1', echo.port);
    cleanups.push(() => proxy.stop());
    const { socket } = await client(proxy.port);
    const closed = new Promise((resolve) => socket.once('close', resolve));
    proxy.resetConnections();
    await closed;
    expect(proxy.connectionCount).toBe(0);
  });
});
