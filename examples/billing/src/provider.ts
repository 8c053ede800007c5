import type { IncomingMessage, ServerResponse } from 'node:http';
import { readBody, sendJson, startLocalHttpServer } from './local-http-server.js';

/** One charge the provider accepted: money moved. */
export interface AcceptedCharge {
  readonly id: string;
  readonly invoice: number;
  readonly customer: string;
  readonly amountCents: number;
  readonly idempotencyKey: string | undefined;
  /** Which worker sent it, from the User-Agent-like header; for the report only. */
  readonly worker: string;
}

export interface ChargeRequest {
  readonly invoice: number;
  readonly customer: string;
  readonly amountCents: number;
}

export interface ChargeResponse {
  readonly id: string;
  readonly invoice: number;
  /** True when the provider answered from its idempotency cache and moved no money. */
  readonly replayed: boolean;
}

export interface ProviderStats {
  readonly requests: number;
  readonly accepted: number;
  readonly deduplicated: number;
}

export interface PaymentProvider {
  readonly url: string;
  charges(): readonly AcceptedCharge[];
  stats(): ProviderStats;
  close(): Promise<void>;
}

export interface ProviderOptions {
  /** Simulated processing time per charge, after the charge is recorded. */
  readonly latencyMs?: number;
}

/**
 * A stand-in for a payment provider (Stripe, Adyen): POST /charges moves money, and an
 * `Idempotency-Key` header makes a retry safe: a repeated key gets the first response back
 * (with `Idempotent-Replayed: true`) and is not charged again. A request without a key is
 * always charged. The provider knows nothing of fencing tokens, as real ones do not.
 */
export async function startProvider(options: ProviderOptions = {}): Promise<PaymentProvider> {
  const latencyMs = options.latencyMs ?? 5;
  const accepted: AcceptedCharge[] = [];
  const byKey = new Map<string, ChargeResponse>();
  let requests = 0;
  let deduplicated = 0;

  const charge = (request: ChargeRequest, key: string | undefined, worker: string): ChargeResponse => {
    // Everything here is synchronous: two requests with one key cannot both get past the lookup.
    if (key !== undefined) {
      const first = byKey.get(key);
      if (first) {
        deduplicated += 1;
        return { ...first, replayed: true };
      }
    }
    const response: ChargeResponse = {
      id: `ch_${String(accepted.length + 1).padStart(5, '0')}`,
      invoice: request.invoice,
      replayed: false,
    };
    accepted.push({ id: response.id, ...request, idempotencyKey: key, worker });
    if (key !== undefined) byKey.set(key, response);
    return response;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (req.method !== 'POST' || req.url !== '/charges') {
      send(res, 404, { error: 'not found' });
      return;
    }
    requests += 1;
    const body = await readBody(req);
    const request = parseChargeRequest(body);
    if (!request) {
      send(res, 400, { error: 'expected {"invoice": int, "customer": string, "amountCents": int}' });
      return;
    }
    const key = header(req, 'idempotency-key');
    const worker = header(req, 'x-worker') ?? 'unknown';
    const response = charge(request, key, worker);
    if (latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, latencyMs));
    send(res, response.replayed ? 200 : 201, response, response.replayed ? { 'Idempotent-Replayed': 'true' } : {});
  };

  const server = await startLocalHttpServer(handle);
  return {
    url: server.url,
    charges: () => accepted,
    stats: () => ({ requests, accepted: accepted.length, deduplicated }),
    close: () => server.close(),
  };
}

/** The worker's side: one charge request, bounded in time. */
export async function requestCharge(
  providerUrl: string,
  request: ChargeRequest,
  idempotencyKey: string | undefined,
  worker: string,
  timeoutMs = 5_000,
): Promise<ChargeResponse> {
  const headers: Record<string, string> = { 'content-type': 'application/json', 'x-worker': worker };
  if (idempotencyKey !== undefined) headers['idempotency-key'] = idempotencyKey;
  const response = await fetch(`${providerUrl}/charges`, {
    method: 'POST',
    headers,
    body: JSON.stringify(request),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const body: unknown = await response.json();
  if (!response.ok || !isChargeResponse(body)) {
    throw new Error(`provider answered ${response.status}: ${JSON.stringify(body)}`);
  }
  return { id: body.id, invoice: body.invoice, replayed: response.headers.get('idempotent-replayed') === 'true' };
}

function isChargeResponse(value: unknown): value is ChargeResponse {
  if (typeof value !== 'object' || value === null) return false;
  const record = value as Record<string, unknown>;
  return typeof record.id === 'string' && typeof record.invoice === 'number';
}

function parseChargeRequest(body: string): ChargeRequest | undefined {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const record = value as Record<string, unknown>;
  const { invoice, customer, amountCents } = record;
  if (!Number.isInteger(invoice) || typeof customer !== 'string' || !Number.isInteger(amountCents)) return undefined;
  return { invoice: invoice as number, customer, amountCents: amountCents as number };
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  sendJson(res, status, JSON.stringify(body), headers);
}
