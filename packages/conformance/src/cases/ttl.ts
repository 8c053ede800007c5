import type { Logger } from '@baton/core/adapter';
import { expect } from 'vitest';
import { uniqueElection } from '../context.js';
import type { CaseRegistry } from '../registry.js';

/** A ttl no store grants as asked: below every store's minimum and off every granularity. */
const TOO_SHORT_MS = 0.5;

export function ttlCases({ ctx, test }: CaseRegistry): void {
  test(
    '16-ttl-policy',
    "a ttl below the store's minimum is raised to what the store grants, logged once at warn with both numbers, and works; under strictTtl it is refused with ERR_INVALID_ARGUMENT",
    async () => {
      const warnings: { fields: Record<string, unknown>; message: string | undefined }[] = [];
      const logger: Logger = {
        debug: () => {},
        info: () => {},
        warn: (fields, message) => warnings.push({ fields: fields as Record<string, unknown>, message }),
        error: () => {},
      };
      const raised = await ctx.client({ ttlMs: TOO_SHORT_MS, logger });
      expect(raised.ttlMs).toBeGreaterThan(TOO_SHORT_MS);
      expect(raised.ttlMs % raised.capabilities.ttlResolutionMs).toBe(0);
      const raises = warnings.filter((warning) => warning.fields.requestedTtlMs === TOO_SHORT_MS);
      expect(raises, JSON.stringify(warnings)).toHaveLength(1);
      expect(raises[0]?.fields.ttlMs).toBe(raised.ttlMs);
      expect(raises[0]?.message).toContain(String(raised.ttlMs));

      // The ttl in force is one the store keeps: a leadership at it outlives two ttls.
      const leadership = await raised.election(uniqueElection('ttl')).campaign({ id: 'raised' });
      await new Promise((resolve) => setTimeout(resolve, raised.ttlMs * 2));
      expect(leadership.isLeader).toBe(true);
      await leadership.resign();
      expect(raises).toHaveLength(1);

      const strict = ctx.target.connect({ ttlMs: TOO_SHORT_MS, strictTtl: true });
      await expect(strict).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
      await expect(strict).rejects.toThrow(String(TOO_SHORT_MS));
    },
  );
}
