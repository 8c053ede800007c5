import type { CandidateProcess } from './candidate-process.js';
import type { FencedWrite } from './fenced-resource.js';

/**
 * What the timeline reads of a candidate process: its events and the signals sent to it. A
 * live CandidateProcess is one; so is a process's record read back from a saved history.
 */
export type CandidateRecord = Pick<CandidateProcess, 'id' | 'events' | 'signals'>;

/** One leadership of one process, on the machine's monotonic clock (ns). */
export interface HeldSpan {
  readonly id: string;
  readonly token: bigint;
  readonly from: bigint;
  /** When the process stopped believing it led: its loss, its death, or its local deadline, whichever came first. */
  readonly to: bigint;
}

/**
 * The spans during which each process held leadership. A frozen process believed it led
 * until its local deadline at most (it checks that deadline before acting); a killed one
 * until its death; any other until it reported the loss.
 */
export function heldSpans(candidates: readonly CandidateRecord[], now = process.hrtime.bigint()): HeldSpan[] {
  const spans: HeldSpan[] = [];
  for (const candidate of candidates) {
    const kills = candidate.signals.filter((s) => s.signal === 'SIGKILL').map((s) => s.at);
    let open: { token: bigint; from: bigint; validUntil: bigint | undefined } | undefined;
    const close = (at: bigint): void => {
      if (!open) return;
      const bounds = [at, ...(open.validUntil === undefined ? [] : [open.validUntil])];
      const to = bounds.reduce((a, b) => (b < a ? b : a));
      spans.push({ id: candidate.id, token: open.token, from: open.from, to });
      open = undefined;
    };
    for (const event of candidate.events) {
      const at = BigInt(event.at);
      const killed = kills.find((k) => open && k > open.from && k < at);
      if (killed !== undefined) close(killed);
      if (event.event === 'elected' && event.token) {
        open = {
          token: BigInt(event.token),
          from: at,
          validUntil: event.validUntil ? BigInt(event.validUntil) : undefined,
        };
      } else if ((event.event === 'acting' || event.event === 'deadline') && open && event.validUntil) {
        const validUntil = BigInt(event.validUntil);
        if (open.validUntil === undefined || validUntil > open.validUntil) open.validUntil = validUntil;
      } else if (event.event === 'lost') {
        close(at);
      }
    }
    const killedAfter = kills.find((k) => open && k > open.from);
    close(killedAfter ?? now);
  }
  return spans.sort((a, b) => (a.from < b.from ? -1 : a.from > b.from ? 1 : 0));
}

export interface TimelineVerdict {
  readonly spans: HeldSpan[];
  readonly overlaps: [HeldSpan, HeldSpan][];
  readonly tokensIncrease: boolean;
  /** Writes the resource accepted although the writer marked them as sent late. */
  readonly acceptedStaleWrites: FencedWrite[];
  /** Writes the resource accepted from a token lower than one it accepted before. */
  readonly acceptedOutOfOrder: FencedWrite[];
}

/** The checker every process-level case feeds: no overlap, increasing tokens, no stale write accepted. */
export function judgeTimeline(candidates: readonly CandidateRecord[], writes: readonly FencedWrite[]): TimelineVerdict {
  const spans = heldSpans(candidates);
  const overlaps: [HeldSpan, HeldSpan][] = [];
  for (let i = 1; i < spans.length; i++) {
    const previous = spans[i - 1] as HeldSpan;
    const current = spans[i] as HeldSpan;
    if (previous.to > current.from) overlaps.push([previous, current]);
  }
  const tokensIncrease = spans.every((span, i) => i === 0 || span.token > (spans[i - 1] as HeldSpan).token);
  let highest = 0n;
  const acceptedOutOfOrder: FencedWrite[] = [];
  for (const write of writes) {
    if (!write.accepted) continue;
    if (write.token < highest) acceptedOutOfOrder.push(write);
    if (write.token > highest) highest = write.token;
  }
  return {
    spans,
    overlaps,
    tokensIncrease,
    acceptedStaleWrites: writes.filter((write) => write.accepted && write.stale),
    acceptedOutOfOrder,
  };
}

/** Milliseconds from `from` (ns) to the first election after it by a process other than `excluded`. */
export function msUntilElected(
  candidates: readonly CandidateRecord[],
  from: bigint,
  excluded: string,
): number | undefined {
  let first: bigint | undefined;
  for (const candidate of candidates) {
    if (candidate.id === excluded) continue;
    for (const event of candidate.events) {
      const at = BigInt(event.at);
      if (event.event === 'elected' && at > from && (first === undefined || at < first)) first = at;
    }
  }
  return first === undefined ? undefined : Number(first - from) / 1e6;
}
