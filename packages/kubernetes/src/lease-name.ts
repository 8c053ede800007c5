import { createHash } from 'node:crypto';

/** A Lease name is a DNS-1123 subdomain: dot-separated labels of a-z 0-9 -, at most 253 characters. */
const SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const MAX_SLUG = 40;
const HASH_HEX = 16;

/**
 * The Lease an election lives in. An election name that is already a valid Lease name is used
 * as it is, so that a client-go process configured with the same name shares the Lease. Any
 * other name (upper case, "/", "_") maps to a readable slug and the first 64 bits of its
 * SHA-256: `billing/Charges` becomes `billing-charges-` followed by 16 hex digits. Two election
 * names map to one Lease only if someone names an election after another's mapped name.
 */
export function leaseNameOf(election: string): string {
  if (election.length <= 253 && SUBDOMAIN.test(election)) return election;
  const slug = election
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .slice(0, MAX_SLUG)
    .replace(/^-+|-+$/g, '');
  const hash = createHash('sha256').update(election, 'utf8').digest('hex').slice(0, HASH_HEX);
  return slug === '' ? hash : `${slug}-${hash}`;
}
