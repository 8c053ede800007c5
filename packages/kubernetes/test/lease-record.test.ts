import type { V1Lease } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import {
  acquiredLease,
  batonLeaderOf,
  fingerprint,
  isHeldBy,
  LEADER_ANNOTATION,
  leaderOf,
  lossReason,
  proclaimedLease,
  releasedLease,
  renewedLease,
  vacantLease,
} from '../src/lease-record.js';

const NOW = new Date('2030-01-02T03:04:05.678Z');
const LATER = new Date('2030-01-02T03:04:06.789Z');

/** A Lease as the API server returns it: times as strings with six digits, bookkeeping in metadata. */
function served(lease: V1Lease, resourceVersion: string): V1Lease {
  return JSON.parse(
    JSON.stringify({
      ...lease,
      metadata: { ...lease.metadata, resourceVersion, uid: 'u-1', managedFields: [{ manager: 'x' }] },
    }),
  ) as V1Lease;
}

describe('the Lease record, written as client-go writes it', () => {
  const vacant = served(vacantLease('fields', 'Fields', NOW), '10');

  it('a vacant Lease: no holder, 1 s, MicroTimes, no transition; the election name annotated', () => {
    expect(vacant.spec).toEqual({
      holderIdentity: '',
      leaseDurationSeconds: 1,
      acquireTime: '2030-01-02T03:04:05.678000Z',
      renewTime: '2030-01-02T03:04:05.678000Z',
      leaseTransitions: 0,
    });
    expect(vacant.metadata?.annotations).toEqual({ 'baton.dev/election': 'Fields' });
    expect(leaderOf(vacant)).toBeUndefined();
  });

  it('acquiring: holder, duration, both times now, one more transition, the token and value in the annotation', () => {
    const taken = served(acquiredLease(vacant, { holder: 'a', token: 10n, value: 'v' }, 3, LATER), '11');
    expect(taken.spec).toMatchObject({
      holderIdentity: 'a',
      leaseDurationSeconds: 3,
      acquireTime: '2030-01-02T03:04:06.789000Z',
      renewTime: '2030-01-02T03:04:06.789000Z',
      leaseTransitions: 1,
    });
    expect(leaderOf(taken)).toEqual({ id: 'a', token: 10n, value: 'v' });
    expect(isHeldBy(taken, 'a', 10n)).toBe(true);
    expect(isHeldBy(taken, 'a', 9n)).toBe(false);
    // Sent back without the server's field bookkeeping, with everything else as read.
    const body = acquiredLease(vacant, { holder: 'a', token: 10n }, 3, LATER);
    expect(body.metadata).toMatchObject({ resourceVersion: '10', uid: 'u-1' });
    expect(body.metadata?.managedFields).toBeUndefined();
  });

  it('renewing changes renewTime only, so that client-go sees a new record; proclaiming changes no record field', () => {
    const taken = served(acquiredLease(vacant, { holder: 'a', token: 10n }, 3, NOW), '11');
    const renewed = served(renewedLease(taken, LATER), '12');
    expect(renewed.spec).toEqual({ ...taken.spec, renewTime: '2030-01-02T03:04:06.789000Z' });
    expect(fingerprint(renewed)).not.toBe(fingerprint(taken));
    const proclaimed = served(proclaimedLease(renewed, { holder: 'a', token: 10n, value: 'next' }), '13');
    expect(fingerprint(proclaimed)).toBe(fingerprint(renewed));
    expect(leaderOf(proclaimed)).toEqual({ id: 'a', token: 10n, value: 'next' });
  });

  it('releasing: no holder, 1 s, both times now, transitions kept, the annotation gone with the holder', () => {
    const taken = served(acquiredLease(vacant, { holder: 'a', token: 10n }, 3, NOW), '11');
    const released = served(releasedLease(taken, LATER), '12');
    expect(released.spec).toEqual({
      holderIdentity: '',
      leaseDurationSeconds: 1,
      acquireTime: '2030-01-02T03:04:06.789000Z',
      renewTime: '2030-01-02T03:04:06.789000Z',
      leaseTransitions: 1,
    });
    expect(released.metadata?.annotations?.[LEADER_ANNOTATION]).toBeUndefined();
    expect(released.metadata?.annotations?.['baton.dev/election']).toBe('Fields');
    expect(lossReason(released)).toBe('expired');
  });

  it('a holder taking its own stale record again keeps the transition count', () => {
    const taken = served(acquiredLease(vacant, { holder: 'a', token: 10n }, 3, NOW), '11');
    expect(acquiredLease(taken, { holder: 'a', token: 11n }, 3, LATER).spec?.leaseTransitions).toBe(1);
    expect(acquiredLease(taken, { holder: 'b', token: 11n }, 3, LATER).spec?.leaseTransitions).toBe(2);
  });

  it('an annotation another holder left behind says nothing about the current holder', () => {
    const taken = served(acquiredLease(vacant, { holder: 'a', token: 10n, value: 'v' }, 3, NOW), '11');
    // client-go takes the Lease: it keeps the annotations it read and writes its own record.
    const byGo = served({ ...taken, spec: { ...taken.spec, holderIdentity: 'go-1', leaseTransitions: 2 } }, '12');
    expect(batonLeaderOf(byGo)).toBeUndefined();
    expect(leaderOf(byGo)).toEqual({ id: 'go-1', token: 0n });
    expect(isHeldBy(byGo, 'a', 10n)).toBe(false);
    expect(lossReason(byGo)).toBe('deposed');
    expect(lossReason(undefined)).toBe('deposed');
  });

  it('an annotation that is not Baton JSON is ignored', () => {
    for (const text of ['nope', '{"holder":"a","token":"-1"}', '{"holder":"a","token":7}', '{"holder":"a"}']) {
      const lease = served({ ...vacant, spec: { ...vacant.spec, holderIdentity: 'a' } }, '12');
      lease.metadata = { ...lease.metadata, annotations: { [LEADER_ANNOTATION]: text } };
      expect(leaderOf(lease), text).toEqual({ id: 'a', token: 0n });
    }
  });
});
