/** One timing a case measured, printed after the run and collected for the README's table. */
export interface Measurement {
  readonly backend: string;
  readonly measure:
    | 'resign handover'
    | 'failover after SIGKILL'
    | 'step-down under blackhole'
    | 'leader again after a store freeze'
    | 'leader again after a store restart'
    | 'served again after a store restart';
  readonly ms: number;
  readonly ttlMs: number;
}

/** Timings the cases measured in this process, per backend. */
export const measurements: Measurement[] = [];

export function record(measurement: Measurement): void {
  measurements.push(measurement);
}
