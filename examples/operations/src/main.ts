// A leader loop as it runs in a Kubernetes pod: Baton's metrics exported for Prometheus at
// /metrics, and its health at /healthz for the kubelet's probes.
//
//   npm start -w @baton/example-operations -- --url redis://127.0.0.1:6379 --port 9464 --id pod-a
//
// --port 0 takes a free port; the `serving` log line names it.
// SIGTERM or SIGINT resigns (a successor takes over at once), closes the client, and exits.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { parseArgs } from 'node:util';
import { connect, type Leadership, runAsLeader } from '@baton/core';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { jsonLogger } from './logger.js';

const { values } = parseArgs({
  options: {
    url: { type: 'string', default: process.env.BATON_URL ?? 'memory://' },
    election: { type: 'string', default: 'operations/report' },
    id: { type: 'string', default: process.env.HOSTNAME ?? `replica-${process.pid}` },
    port: { type: 'string', default: '9464' },
    ttl: { type: 'string', default: '5000' },
  },
});
const url = values.url as string;
const id = values.id as string;

// The Prometheus exporter is a metric reader: it renders what the SDK has collected each time
// /metrics is scraped. It serves from this process's own HTTP server rather than one of its own.
const exporter = new PrometheusExporter({ preventServerStart: true });
const meterProvider = new MeterProvider({ readers: [exporter] });
const logger = jsonLogger(id);
const backend = await connect(url, { ttlMs: Number(values.ttl), meterProvider, logger });

/** What the leader does: a report every second, each write carrying the fencing token. */
async function lead(leadership: Leadership): Promise<void> {
  while (!leadership.signal.aborted) {
    logger.info({ token: String(leadership.token) }, 'leader at work');
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
}

const stop = new AbortController();
const loop = runAsLeader(backend.election(values.election as string), lead, { id, signal: stop.signal, logger });

// JSON cannot carry a bigint: the tokens in the health report go out as decimal strings.
const json = (value: unknown): string =>
  JSON.stringify(value, (_, field: unknown) => (typeof field === 'bigint' ? String(field) : field));

function serve(request: IncomingMessage, response: ServerResponse): void {
  const path = new URL(request.url ?? '/', 'http://localhost').pathname;
  if (path === '/metrics') {
    exporter.getMetricsRequestHandler(request, response);
  } else if (path === '/healthz') {
    // Unhealthy (503) once a leadership's renewal is overdue or its connection lost, or the
    // client closed: the kubelet restarts a leader that can no longer renew.
    const health = backend.health();
    response.writeHead(health.healthy ? 200 : 503, { 'content-type': 'application/json' });
    response.end(json(health));
  } else {
    response.writeHead(404).end();
  }
}

const server = createServer(serve);
server.listen(Number(values.port), () => {
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : Number(values.port);
  logger.info({ port, paths: ['/metrics', '/healthz'] }, 'serving');
});

async function shutdown(): Promise<void> {
  stop.abort();
  await loop.catch((error: unknown) => logger.error({ err: error }, 'the leader loop failed'));
  await backend.close();
  await meterProvider.shutdown();
  server.close();
}
for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => void shutdown());
