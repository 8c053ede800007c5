import type { EndReason, LeaderInfo } from '@baton/core/adapter';
import { type V1Lease, V1MicroTime, type V1ObjectMeta } from '@kubernetes/client-node';

/** Where Baton keeps what client-go's record has no field for: the leader's token and value. */
export const LEADER_ANNOTATION = 'baton.dev/leader';
/** The election name a Lease was made for, for operators (Lease names are derived from it). */
export const ELECTION_ANNOTATION = 'baton.dev/election';

/** The leader annotation's content; it belongs to the holder it names and to no other. */
export interface BatonLeader {
  readonly holder: string;
  readonly token: bigint;
  readonly value?: string;
}

/** The LeaderElectionRecord fields of a Lease, as client-go reads them. */
export interface LeaseRecord {
  /** '' when nobody holds the Lease (never created, or released). */
  readonly holder: string;
  readonly durationSeconds: number;
  readonly transitions: number;
}

export function recordOf(lease: V1Lease): LeaseRecord {
  const spec = lease.spec ?? {};
  return {
    holder: spec.holderIdentity ?? '',
    durationSeconds: spec.leaseDurationSeconds ?? 0,
    transitions: spec.leaseTransitions ?? 0,
  };
}

/** Times come back from the API server as strings, whatever the generated types say. */
function timeText(time: unknown): string {
  if (time instanceof Date) return time.toISOString();
  return typeof time === 'string' ? time : '';
}

/**
 * What client-go compares to decide whether a Lease changed since it last looked: the fields
 * of its LeaderElectionRecord, not the annotations nor the resourceVersion. A change resets the
 * observer's expiry clock; a write that leaves these alike (a proclaim) does not.
 */
export function fingerprint(lease: V1Lease): string {
  const spec = lease.spec ?? {};
  return JSON.stringify([
    spec.holderIdentity ?? '',
    spec.leaseDurationSeconds ?? 0,
    timeText(spec.acquireTime),
    timeText(spec.renewTime),
    spec.leaseTransitions ?? 0,
    spec.strategy ?? '',
    spec.preferredHolder ?? '',
  ]);
}

/** The resourceVersion as an integer: resourceVersions of one resource compare as integers (etcd revisions). */
export function versionOf(lease: V1Lease): bigint {
  const text = lease.metadata?.resourceVersion ?? '';
  if (!/^[1-9]\d*$/.test(text)) throw new Error(`the API server returned a Lease with resourceVersion "${text}"`);
  return BigInt(text);
}

/** The leader annotation, when it names the Lease's current holder; a stale one (another holder's) is ignored. */
export function batonLeaderOf(lease: V1Lease): BatonLeader | undefined {
  const holder = lease.spec?.holderIdentity ?? '';
  const text = lease.metadata?.annotations?.[LEADER_ANNOTATION];
  if (holder === '' || text === undefined) return undefined;
  try {
    const parsed = JSON.parse(text) as { holder?: unknown; token?: unknown; value?: unknown };
    if (parsed.holder !== holder || typeof parsed.token !== 'string' || !/^[1-9]\d*$/.test(parsed.token)) {
      return undefined;
    }
    return {
      holder,
      token: BigInt(parsed.token),
      ...(typeof parsed.value === 'string' ? { value: parsed.value } : {}),
    };
  } catch {
    return undefined;
  }
}

/**
 * Who leads according to the Lease: its holder, with the token and value of Baton's annotation.
 * A holder that is not a Baton candidate (a client-go process) carries no Baton token: 0n.
 */
export function leaderOf(lease: V1Lease | undefined): LeaderInfo | undefined {
  const holder = lease?.spec?.holderIdentity ?? '';
  if (!lease || holder === '') return undefined;
  const baton = batonLeaderOf(lease);
  if (!baton) return { id: holder, token: 0n };
  return baton.value === undefined
    ? { id: holder, token: baton.token }
    : { id: holder, token: baton.token, value: baton.value };
}

/** Whether the Lease is still held by this holder with this token. */
export function isHeldBy(lease: V1Lease | undefined, holder: string, token: bigint): boolean {
  const baton = lease ? batonLeaderOf(lease) : undefined;
  return baton !== undefined && baton.holder === holder && baton.token === token;
}

/** Why a leadership is over, given the Lease as it is now (undefined: deleted). */
export function lossReason(lease: V1Lease | undefined): EndReason {
  return lease && (lease.spec?.holderIdentity ?? '') === '' ? 'expired' : 'deposed';
}

/** The metadata to send back in a full-object update: what was read, without the server's bookkeeping. */
function metadataFrom(lease: V1Lease, annotations: Record<string, string>): V1ObjectMeta {
  const { managedFields: _managed, ...metadata } = lease.metadata ?? {};
  return { ...metadata, annotations };
}

function annotationsWith(lease: V1Lease, leader: BatonLeader | undefined): Record<string, string> {
  const { [LEADER_ANNOTATION]: _previous, ...others } = lease.metadata?.annotations ?? {};
  if (!leader) return others;
  const text = JSON.stringify({
    holder: leader.holder,
    token: String(leader.token),
    ...(leader.value === undefined ? {} : { value: leader.value }),
  });
  return { ...others, [LEADER_ANNOTATION]: text };
}

/**
 * A Lease nobody holds, for an election used for the first time. Candidates then take it with
 * an update like any other, so that every acquisition has a resourceVersion to be guarded by
 * (and to take its token from). Times and duration as client-go's release writes them.
 */
export function vacantLease(name: string, election: string, now: Date): V1Lease {
  const time = new V1MicroTime(now.getTime());
  return {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { name, annotations: { [ELECTION_ANNOTATION]: election } },
    spec: { holderIdentity: '', leaseDurationSeconds: 1, acquireTime: time, renewTime: time, leaseTransitions: 0 },
  };
}

/**
 * The update that takes `lease` for `holder`, as client-go's tryAcquireOrRenew writes it:
 * acquire and renew time now, the duration, and one more transition when the holder changes
 * (taking an empty holder included). Baton's annotation records the token and value.
 */
export function acquiredLease(lease: V1Lease, leader: BatonLeader, durationSeconds: number, now: Date): V1Lease {
  const time = new V1MicroTime(now.getTime());
  const previous = recordOf(lease);
  return {
    ...lease,
    metadata: metadataFrom(lease, annotationsWith(lease, leader)),
    spec: {
      ...lease.spec,
      holderIdentity: leader.holder,
      leaseDurationSeconds: durationSeconds,
      acquireTime: time,
      renewTime: time,
      leaseTransitions: previous.holder === leader.holder ? previous.transitions : previous.transitions + 1,
    },
  };
}

/** A renewal: a new renewTime, everything else kept. client-go counts the Lease as renewed only if a record field changes. */
export function renewedLease(lease: V1Lease, now: Date): V1Lease {
  return {
    ...lease,
    metadata: metadataFrom(lease, lease.metadata?.annotations ?? {}),
    spec: { ...lease.spec, renewTime: new V1MicroTime(now.getTime()) },
  };
}

/** A new value in Baton's annotation; the record is unchanged, so it is not a renewal. */
export function proclaimedLease(lease: V1Lease, leader: BatonLeader): V1Lease {
  return { ...lease, metadata: metadataFrom(lease, annotationsWith(lease, leader)), spec: { ...lease.spec } };
}

/**
 * The release, as client-go's: no holder, a duration of 1 s, acquire and renew time now,
 * transitions kept; Baton's annotation goes with the holder. Any candidate may take it at once.
 */
export function releasedLease(lease: V1Lease, now: Date): V1Lease {
  const time = new V1MicroTime(now.getTime());
  return {
    ...lease,
    metadata: metadataFrom(lease, annotationsWith(lease, undefined)),
    spec: {
      ...lease.spec,
      holderIdentity: '',
      leaseDurationSeconds: 1,
      acquireTime: time,
      renewTime: time,
      leaseTransitions: recordOf(lease).transitions,
    },
  };
}
