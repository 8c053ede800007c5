import diagnostics from 'node:diagnostics_channel';
import { MetricsRecorder } from '@baton/conformance';
import { type Backend, type BackendOptions, connect, eventChannels } from '@baton/core';
import { measureHandover } from './handover.js';
import { batonKit } from './peers/baton.js';
import { measureScale } from './scale.js';
import { type Summary, summarize } from './stats.js';

/** What metrics and events cost Baton: the same measures with both on and with both off, in one run. */
export interface TelemetryCostResult {
  /** Graceful handover, release -> elected, pooled over the runs of each setting. */
  readonly handover: { readonly off: Summary; readonly on: Summary };
  /** JS heap growth per election held by one client (bytes), the median of each setting's runs. */
  readonly heap: { readonly elections: number; readonly off: number; readonly on: number };
}

type Setting = 'off' | 'on';

/**
 * "on": every client records its metrics with the OpenTelemetry SDK (a MeterProvider whose
 * in-memory exporter is flushed at the end), and a subscriber reads every event on every
 * channel, as a tracer would. "off": no MeterProvider and no subscriber.
 */
async function withSetting<T>(
  setting: Setting,
  body: (options: BackendOptions, scrape: () => Promise<unknown>) => Promise<T>,
): Promise<T> {
  if (setting === 'off') return body({}, async () => undefined);
  const recorder = new MetricsRecorder();
  let seen = 0;
  const listener = (message: unknown): void => {
    if ((message as { election?: unknown }).election !== undefined) seen++;
  };
  for (const channel of Object.values(eventChannels)) diagnostics.subscribe(channel, listener);
  try {
    const result = await body({ meterProvider: recorder.provider }, () => recorder.collect());
    const points = await recorder.collect();
    if (points.length === 0 || seen === 0) throw new Error('metrics and events were on, yet none was recorded');
    return result;
  } finally {
    for (const channel of Object.values(eventChannels)) diagnostics.unsubscribe(channel, listener);
    await recorder.shutdown();
  }
}

/**
 * Runs each measure in blocks, off / on / on / off twice over, so that a drift of the machine
 * over the run (another process, a warming JIT) weighs on both settings alike. Handover
 * samples are pooled per setting; the heap per election is the median of a setting's blocks,
 * since one block's garbage collection can be off by thousands of bytes per election.
 */
export async function measureTelemetryCost(
  url: string,
  options: BackendOptions,
  prefix: string,
  rounds: number,
  elections: number,
): Promise<TelemetryCostResult> {
  const order: Setting[] = ['off', 'on', 'on', 'off', 'off', 'on', 'on', 'off'];
  const samples: Record<Setting, number[]> = { off: [], on: [] };
  for (const [block, setting] of order.entries()) {
    await withSetting(setting, async (more) => {
      const kit = batonKit(url, { ...options, ...more });
      try {
        await measureHandover(kit, `${prefix}/handover-${block}`, Math.ceil(rounds / 4), samples[setting]);
      } finally {
        await kit.close();
      }
    });
  }
  const heap: Record<Setting, number[]> = { off: [], on: [] };
  for (const [block, setting] of order.entries()) {
    // With metrics on, the heap is read after a scrape, as it stands in an application that exports them.
    const result = await withSetting(setting, (more, scrape) =>
      measureScale(
        (): Promise<Backend> => connect(url, { ...options, ...more }),
        `${prefix}/scale-${block}`,
        elections,
        100,
        undefined,
        scrape,
      ),
    );
    if (result.error) throw new Error(`holding ${elections} elections (${setting}): ${result.error}`);
    heap[setting].push(result.bytesPerElection);
  }
  return {
    handover: { off: summarize(samples.off), on: summarize(samples.on) },
    heap: { elections, off: summarize(heap.off).p50, on: summarize(heap.on).p50 },
  };
}
