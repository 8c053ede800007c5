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
export { EventRecorder, type RecordedEvent } from './event-recorder.js';
export { type FaultMode, FaultProxy } from './fault-proxy.js';
export { type Measurement, measurements } from './measurements.js';
export { type MetricPoint, MetricsRecorder, metricValue, pointsOf } from './metrics-recorder.js';
export type { CandidatePlan } from './process/candidate.js';
export { type CandidateEvent, CandidateProcess, type ChildPlan } from './process/candidate-process.js';
export { FencedResource, type FencedWrite } from './process/fenced-resource.js';
export {
  type CandidateRecord,
  type HeldSpan,
  heldSpans,
  judgeTimeline,
  msUntilElected,
  type TimelineVerdict,
} from './process/timeline.js';
export type { CaseRegistry } from './registry.js';
export { runConformanceSuite } from './suite.js';
export type { CaseId, ConformanceSuite, ConformanceTarget, FaultHooks, StoreHooks } from './target.js';
