import { CapabilityMissingError } from './errors.js';

/** What a backend guarantees. Declared by each adapter, checked by the conformance suite. */
export interface Capabilities {
  readonly fencing: {
    /** Where the token comes from, e.g. "create revision of the leader's key". */
    readonly source: string;
    /** `never`, or the circumstance in which a later leadership could get a smaller token. */
    readonly regression: 'never' | string;
  };
  readonly minTtlMs: number;
  readonly maxTtlMs: number;
  /** The store rounds ttl up to a multiple of this. */
  readonly ttlResolutionMs: number;
  /** Candidates are elected in the order they started campaigning. */
  readonly fifo: boolean;
  readonly leaderRead: 'linearizable' | 'sequential' | 'eventual';
  readonly notify: 'watch' | 'pubsub' | 'poll';
  /** The store's documented worst case from a leader's crash to a successor, as a formula. */
  readonly worstCaseFailover: string;
  /** That formula evaluated for the ttl in use, in milliseconds. */
  readonly worstCaseFailoverMs: number;
}

/** Names usable in `connect(url, { requires })`. */
export type CapabilityName = 'fifo' | 'watch' | 'linearizable-leader-read' | 'monotonic-fencing';

export const capabilityNames: readonly CapabilityName[] = [
  'fifo',
  'watch',
  'linearizable-leader-read',
  'monotonic-fencing',
];

export function hasCapability(capabilities: Capabilities, name: CapabilityName): boolean {
  switch (name) {
    case 'fifo':
      return capabilities.fifo;
    case 'watch':
      return capabilities.notify === 'watch';
    case 'linearizable-leader-read':
      return capabilities.leaderRead === 'linearizable';
    case 'monotonic-fencing':
      return capabilities.fencing.regression === 'never';
  }
}

export function assertCapabilities(
  kind: string,
  capabilities: Capabilities,
  required: readonly CapabilityName[],
): void {
  const missing = required.filter((name) => !hasCapability(capabilities, name));
  if (missing.length > 0) throw new CapabilityMissingError(kind, missing);
}
