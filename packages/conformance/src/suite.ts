import { afterAll, afterEach, beforeAll, describe } from 'vitest';
import { electionCases } from './cases/election.js';
import { inputCases } from './cases/input.js';
import { lossCases } from './cases/loss.js';
import { observeCases } from './cases/observe.js';
import { operationsCases } from './cases/operations.js';
import { processCases } from './cases/process.js';
import { scaleCases } from './cases/scale.js';
import { ttlCases } from './cases/ttl.js';
import { SuiteContext } from './context.js';
import { measurements } from './measurements.js';
import { CaseLedger } from './registry.js';
import type { ConformanceSuite } from './target.js';

/**
 * Registers the conformance cases for one backend in the calling vitest file. The same
 * cases run against every backend; a case a backend cannot run is declared in
 * `suite.skip` with its reason, registered as skipped, and listed in the report printed
 * after the run, so a skip never passes silently.
 */
export function runConformanceSuite(suite: ConformanceSuite): void {
  const ctx = new SuiteContext();
  const ledger = new CaseLedger();
  ctx.name = suite.name;
  describe(`conformance: ${suite.name}`, () => {
    beforeAll(async () => {
      ctx.setTarget(await suite.setup());
    });
    afterEach(async () => {
      await ctx.closeClients();
    });
    afterAll(async () => {
      await ctx.closeClients();
      await suite.teardown?.();
      console.log(ledger.report(suite.name));
      for (const m of measurements.filter((entry) => entry.backend === suite.name)) {
        console.log(`[conformance] ${suite.name}: ${m.measure}: ${m.ms.toFixed(0)} ms (ttl ${m.ttlMs} ms)`);
      }
    });
    const registry = ledger.registry(ctx, suite.skip ?? {});
    electionCases(registry);
    observeCases(registry);
    lossCases(registry);
    inputCases(registry);
    scaleCases(registry);
    ttlCases(registry);
    processCases(registry);
    operationsCases(registry);
  });
}
