export {
  eventually,
  type HeldInterval,
  LeadershipLog,
  ObservedStates,
  SuiteContext,
  settlesWithin,
  uniqueElection,
  within,
} from './context.js';
export { type FaultMode, FaultProxy } from './fault-proxy.js';
export type { CaseRegistry } from './registry.js';
export { runConformanceSuite } from './suite.js';
export type { CaseId, ConformanceSuite, ConformanceTarget, StoreHooks } from './target.js';
