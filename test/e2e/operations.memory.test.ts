import { afterEach, describe, expect, it } from 'vitest';
import { get, type Replica, sampleOf, startReplica } from '../../examples/operations/src/replica.js';

// The operations example as a pod runs it: a leader loop serving /healthz and Prometheus
// /metrics, stopped by SIGTERM.

const replicas: Replica[] = [];
afterEach(() => {
  for (const replica of replicas.splice(0)) replica.child.kill('SIGKILL');
});

async function until<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('the operations example on memory', () => {
  it('serves /healthz (200, its leadership) and /metrics (the leader gauge at 1), and resigns on SIGTERM', async () => {
    const replica = await startReplica('memory://', 'pod-a', 1_000);
    replicas.push(replica);
    const health = await until('a healthy leader', async () => {
      const { status, body } = await get(replica, '/healthz');
      const parsed = JSON.parse(body) as { healthy: boolean; leaderships: { id: string; token: string }[] };
      return status === 200 && parsed.leaderships.length === 1 ? parsed : undefined;
    });
    expect(health).toMatchObject({ healthy: true, status: 'healthy', backend: 'memory' });
    expect(health.leaderships[0]).toMatchObject({ id: 'pod-a', token: '1', healthy: true });

    const metrics = await get(replica, '/metrics');
    expect(metrics.status).toBe(200);
    expect(metrics.body).toContain('# TYPE baton_election_leader gauge');
    expect(sampleOf(metrics.body, 'baton_election_leader', { baton_candidate_id: 'pod-a' })).toBe(1);
    expect(sampleOf(metrics.body, 'baton_election_transitions_total', { baton_transition: 'elected' })).toBe(1);
    expect((await get(replica, '/nothing')).status).toBe(404);

    replica.child.kill('SIGTERM');
    expect(await replica.exited).toBe(0);
    // Elected and serving come in either order; resigned comes last.
    const lines = replica.logs
      .filter((line) => line.msg !== 'leader at work')
      .map((line) => `${line.level} ${line.msg}`);
    expect(lines.slice(0, 2).sort()).toEqual(['info elected', 'info serving']);
    expect(lines.slice(2)).toEqual(['info resigned']);
  });
});
