import type { V1Lease } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { acquiredLease, releasedLease, renewedLease, vacantLease } from '../src/lease-record.js';
import { LeaseObservation } from '../src/observation.js';

let version = 100;
function served(lease: V1Lease): V1Lease {
  version++;
  return JSON.parse(JSON.stringify({ ...lease, metadata: { ...lease.metadata, resourceVersion: String(version) } }));
}

describe("LeaseObservation: client-go's rule of expiry, on the observer's own clock", () => {
  const held = served(
    acquiredLease(served(vacantLease('x', 'x', new Date(0))), { holder: 'a', token: 1n }, 3, new Date(0)),
  );

  it('a holder is valid until leaseDurationSeconds after the observer saw its record change', () => {
    const seen = new LeaseObservation();
    expect(seen.seen(held, 1_000)).toBe(true);
    expect(seen.expiresAt).toBe(4_000);
    expect(seen.heldAt(3_999)).toBe(true);
    expect(seen.heldAt(4_000)).toBe(false);
    // The same record read again later is no renewal, however late.
    expect(seen.seen(held, 3_500)).toBe(false);
    expect(seen.expiresAt).toBe(4_000);
    // A renewal (a new renewTime, whatever its value) restarts the count when it is seen.
    const renewed = served(renewedLease(held, new Date(-60_000)));
    expect(seen.seen(renewed, 3_900)).toBe(true);
    expect(seen.expiresAt).toBe(6_900);
  });

  it('an annotation-only change is no renewal', () => {
    const seen = new LeaseObservation();
    seen.seen(held, 0);
    const annotated = served({ ...held, metadata: { ...held.metadata, annotations: { note: 'x' } } });
    expect(seen.seen(annotated, 2_000)).toBe(false);
    expect(seen.expiresAt).toBe(3_000);
    expect(seen.current?.metadata?.annotations?.note).toBe('x');
  });

  it('a released Lease has no holder to wait for', () => {
    const seen = new LeaseObservation();
    seen.seen(served(releasedLease(held, new Date(0))), 0);
    expect(seen.expiresAt).toBeUndefined();
    expect(seen.heldAt(0)).toBe(false);
    expect(seen.lastHolderUntil).toBe(Number.NEGATIVE_INFINITY);
  });

  it('a version older than one already seen (a late watch event) is ignored', () => {
    const seen = new LeaseObservation();
    const newer = served(renewedLease(held, new Date(1)));
    seen.seen(newer, 0);
    expect(seen.seen(held, 10)).toBe(false);
    expect(seen.current).toBe(newer);
  });

  it('after a deletion, the holder last seen is waited out; a deletion older than what was seen is ignored', () => {
    const seen = new LeaseObservation();
    seen.seen(held, 1_000);
    expect(seen.gone(BigInt(version) - 5n, 1_500)).toBe(false);
    expect(seen.current).toBe(held);
    expect(seen.gone(BigInt(version) + 1n, 1_500)).toBe(true);
    expect(seen.current).toBeUndefined();
    expect(seen.expiresAt).toBeUndefined();
    expect(seen.lastHolderUntil).toBe(4_000);
    // A client that never saw a holder need not wait.
    const fresh = new LeaseObservation();
    expect(fresh.gone(undefined, 0)).toBe(true);
    expect(fresh.lastHolderUntil).toBe(Number.NEGATIVE_INFINITY);
  });
});
