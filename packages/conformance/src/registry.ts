import { it } from 'vitest';
import type { SuiteContext } from './context.js';
import type { CaseId } from './target.js';

export interface CaseRegistry {
  readonly ctx: SuiteContext;
  /** Registers one contract case; a case the suite declares skipped is registered as skipped, with its reason. */
  test(id: CaseId, title: string, body: () => Promise<void>, timeoutMs?: number): void;
}

/** Which cases ran and which were skipped, and why, for the report printed after the run. */
export class CaseLedger {
  readonly registered: CaseId[] = [];
  readonly skipped = new Map<CaseId, string>();

  registry(ctx: SuiteContext, skip: Readonly<Partial<Record<CaseId, string>>>): CaseRegistry {
    return {
      ctx,
      test: (id, title, body, timeoutMs) => {
        this.registered.push(id);
        const reason = skip[id];
        if (reason !== undefined) {
          this.skipped.set(id, reason);
          it.skip(`[${id}] ${title} (skipped: ${reason})`, body);
          return;
        }
        it(`[${id}] ${title}`, body, timeoutMs ?? Math.max(30_000, ctx.ttlMsOrDefault * 12));
      },
    };
  }

  report(name: string): string {
    const lines = [
      `[conformance] ${name}: ${this.registered.length} cases, ${this.registered.length - this.skipped.size} run, ${this.skipped.size} skipped`,
    ];
    for (const [id, reason] of this.skipped) lines.push(`[conformance] ${name}: SKIPPED ${id}: ${reason}`);
    return lines.join('\n');
  }
}
