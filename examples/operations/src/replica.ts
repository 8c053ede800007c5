import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** One replica of the example in a process of its own, for the end-to-end test and the chart. */
export interface Replica {
  readonly id: string;
  readonly port: number;
  readonly child: ChildProcess;
  /** Its JSON log lines so far. */
  readonly logs: Record<string, unknown>[];
  /** Resolves with the exit code (or signal) once the process has exited. */
  readonly exited: Promise<number | NodeJS.Signals | null>;
}

const main = fileURLToPath(new URL('./main.ts', import.meta.url));

/** Starts the example (from its TypeScript sources) on a free port; resolves once it serves. */
export function startReplica(url: string, id: string, ttlMs: number, election = 'operations/report'): Promise<Replica> {
  const child = spawn(
    process.execPath,
    [
      '--conditions=source',
      '--import',
      'tsx',
      main,
      '--url',
      url,
      '--id',
      id,
      '--port',
      '0',
      '--ttl',
      String(ttlMs),
      '--election',
      election,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const logs: Record<string, unknown>[] = [];
  const exited = new Promise<number | NodeJS.Signals | null>((resolve) =>
    child.once('exit', (code, signal) => resolve(code ?? signal)),
  );
  return new Promise((resolve, reject) => {
    let buffered = '';
    const timer = setTimeout(() => reject(new Error(`replica ${id} did not start serving within 20 s`)), 20_000);
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      buffered += chunk;
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        if (!line.startsWith('{')) continue;
        const record = JSON.parse(line) as Record<string, unknown>;
        logs.push(record);
        if (record.msg === 'serving') {
          clearTimeout(timer);
          resolve({ id, port: record.port as number, child, logs, exited });
        }
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`replica ${id} exited (${String(code)}) before serving`));
    });
  });
}

/** The value of `metric` for the sample whose labels include `labels`, in Prometheus's text format; undefined when absent. */
export function sampleOf(text: string, metric: string, labels: Readonly<Record<string, string>>): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${metric}{`)) continue;
    const close = line.lastIndexOf('}');
    const labelText = line.slice(metric.length + 1, close);
    const found = Object.fromEntries([...labelText.matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([key, value]) => found[key] === value)) return Number(line.slice(close + 1));
  }
  return undefined;
}

/** GETs one of the replica's paths: status and body. */
export async function get(replica: Replica, path: string): Promise<{ status: number; body: string }> {
  const response = await fetch(`http://127.0.0.1:${replica.port}${path}`, { signal: AbortSignal.timeout(2_000) });
  return { status: response.status, body: await response.text() };
}
