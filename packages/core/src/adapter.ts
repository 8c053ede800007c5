// @baton/core/adapter: the machinery adapters are built from, beside everything @baton/core
// exports. Applications import @baton/core.

export { type HoldsAbandoned, removeAbandoned } from './abandoned.js';
export { backoffDelay, jitter, raceAbort, sleep, throwIfAborted, toAbortError, withTimeout } from './abort.js';
export type { ResolvedBackendOptions } from './backend.js';
export { BackendBase } from './backend-base.js';
export { type CampaignSteps, type RetryPolicy, runCampaign } from './campaign-loop.js';
export { assertCapabilities } from './capabilities.js';
export { ClientScope, type ResolvedCampaign, resolveCampaignOptions } from './client-scope.js';
export { monotonicNow } from './clock.js';
export { connectWith } from './connect.js';
export { type CampaignPlan, ElectionBase } from './election-base.js';
export type { ElectionContext } from './election-context.js';
export { type HandOut, handOutTerm, leaseReadyForTerm } from './hand-out.js';
export * from './index.js';
export { LeadershipTerm, type TermActions, type TermEndListener, type TermInit } from './leadership-term.js';
export {
  defaultSafetyMargin,
  Lease,
  type LeaseLossListener,
  type LeaseOptions,
  type RenewalListener,
  type RenewalReport,
  type RenewOutcome,
} from './lease.js';
export { silentLogger } from './logger.js';
export {
  MemoryBackend,
  MemoryElection,
  type MemoryEntry,
  MemoryStore,
  memoryBackendFactory,
  memoryCapabilities,
  memoryStore,
} from './memory/index.js';
export { type LeaderSource, observeLeader, sameLeader } from './observe.js';
export { registerAdapter } from './register-adapter.js';
export { adapterPackages, type BackendFactory, findBackend, registerBackend, registeredSchemes } from './registry.js';
export { type RequestTimeoutBounds, requestTimeoutFor } from './request-timeout.js';
export { type LeaseGrant, Session, type SessionDriver, type SessionOptions } from './session.js';
export { ClientTelemetry, configureTelemetry } from './telemetry.js';
export { acceptGrantedTtl, grantableTtl, type TtlLimits, ttlInForce } from './ttl-policy.js';
export {
  parseBackendUrl,
  parseHostList,
  resolveBackendOptions,
  validateCandidateId,
  validateElectionName,
  validateSignal,
  validateTtlMs,
  validateValue,
} from './validation.js';
export { Wakeup } from './wakeup.js';
