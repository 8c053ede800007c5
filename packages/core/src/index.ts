export { backoffDelay, jitter, raceAbort, sleep, throwIfAborted, toAbortError, withTimeout } from './abort.js';
export type { Backend, BackendOptions, DisconnectPolicy, ResolvedBackendOptions } from './backend.js';
export {
  assertCapabilities,
  type Capabilities,
  type CapabilityName,
  capabilityNames,
  hasCapability,
} from './capabilities.js';
export { ClientScope, type ResolvedCampaign, resolveCampaignOptions } from './client-scope.js';
export { monotonicNow } from './clock.js';
export { connect, connectWith } from './connect.js';
export type { CampaignOptions, Election, LeaderInfo, ObserveOptions } from './election.js';
export {
  AbortError,
  AdapterNotInstalledError,
  AuthError,
  BackendUnavailableError,
  BatonError,
  CapabilityMissingError,
  ClosedError,
  type EndReason,
  type ErrorCode,
  InvalidArgumentError,
  isBatonError,
  LeadershipLostError,
  StaleTokenError,
} from './errors.js';
export { FencingGuard } from './fencing.js';
export type { Leadership } from './leadership.js';
export { LeadershipTerm, type TermActions, type TermInit } from './leadership-term.js';
export { defaultSafetyMargin, Lease, type LeaseLossListener, type LeaseOptions, type RenewOutcome } from './lease.js';
export { type Logger, silentLogger } from './logger.js';
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
export { adapterPackages, type BackendFactory, findBackend, registerBackend, registeredSchemes } from './registry.js';
export { type RunAsLeaderOptions, runAsLeader } from './run-as-leader.js';
export { type LeaseGrant, Session, type SessionDriver, type SessionOptions } from './session.js';
export {
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_TTL_MS,
  MAX_NAME_LENGTH,
  MAX_VALUE_BYTES,
  parseBackendUrl,
  parseHostList,
  redactUrl,
  resolveBackendOptions,
  validateCandidateId,
  validateElectionName,
  validateSignal,
  validateTtlMs,
  validateValue,
} from './validation.js';

import { memoryBackendFactory } from './memory/index.js';
import { registerBackend } from './registry.js';

registerBackend(memoryBackendFactory);
