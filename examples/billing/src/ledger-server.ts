import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Ledger } from './ledger.js';
import { fromWire, isLedgerOp, type LedgerOp, toWire } from './ledger-wire.js';
import { type LocalHttpServer, readBody, sendJson, startLocalHttpServer } from './local-http-server.js';

/** A request the ledger cannot act on: answered 400, naming what was wrong. */
class BadRequest extends Error {}

/**
 * Serves `ledger` to the workers over HTTP on 127.0.0.1 (the wire format is in
 * ledger-wire.ts; the client is HttpLedger). The server adds no atomicity of its own: each
 * request is one call of `ledger`, and a MemoryLedger checks the fence and writes in one
 * synchronous step of this process's event loop. A worker stopped with SIGSTOP cannot hold
 * anything here: its late write is a request like any other, judged when it arrives.
 */
export function serveLedger(ledger: Ledger): Promise<LocalHttpServer> {
  return startLocalHttpServer(async (req: IncomingMessage, res: ServerResponse) => {
    const op = req.url?.slice(1) ?? '';
    if (req.method !== 'POST' || !isLedgerOp(op)) {
      sendJson(res, 404, toWire({ error: `no ledger operation ${req.method} ${req.url}` }));
      return;
    }
    try {
      const args = fromWire(await readBody(req));
      if (typeof args !== 'object' || args === null || Array.isArray(args)) throw new BadRequest('expected an object');
      sendJson(res, 200, toWire({ result: await call(ledger, op, args as Record<string, unknown>) }));
    } catch (error) {
      if (!(error instanceof BadRequest || error instanceof SyntaxError)) throw error;
      sendJson(res, 400, toWire({ error: `${op}: ${error.message}` }));
    }
  });
}

function call(ledger: Ledger, op: LedgerOp, args: Record<string, unknown>): Promise<unknown> {
  switch (op) {
    case 'seed':
      return ledger.seed(integer(args, 'count'));
    case 'enter-term':
      return ledger.enterTerm(token(args), text(args, 'worker'));
    case 'claim':
      return ledger.claim(integer(args, 'id'), token(args), text(args, 'worker'));
    case 'mark-charged':
      return ledger.markCharged(integer(args, 'id'), token(args), text(args, 'worker'), text(args, 'chargeId'));
    case 'open':
      return ledger.open(integer(args, 'limit'));
    case 'status-of':
      return ledger.statusOf(integer(args, 'id'));
    case 'counts':
      return ledger.counts();
    case 'invoices':
      return ledger.invoices();
    case 'rejected-writes':
      return ledger.rejectedWrites();
  }
}

function integer(args: Record<string, unknown>, name: string): number {
  const value = args[name];
  if (!Number.isSafeInteger(value) || (value as number) < 0) {
    throw new BadRequest(`${name} must be an integer >= 0, got ${JSON.stringify(value)}`);
  }
  return value as number;
}

function token(args: Record<string, unknown>): bigint {
  const value = args.token;
  if (typeof value !== 'bigint') throw new BadRequest('token must be a decimal integer string');
  return value;
}

function text(args: Record<string, unknown>, name: string): string {
  const value = args[name];
  if (typeof value !== 'string' || value === '') throw new BadRequest(`${name} must be a non-empty string`);
  return value;
}
