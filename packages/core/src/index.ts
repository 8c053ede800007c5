// @baton/core: what an application uses. Adapter authors import @baton/core/adapter.
export type { Backend, BackendOptions, DisconnectPolicy } from './backend.js';
export { type Capabilities, type CapabilityName, capabilityNames, hasCapability } from './capabilities.js';
export { connect } from './connect.js';
export type { CampaignOptions, Election, LeaderInfo, ObserveOptions } from './election.js';
export {
  AbortError,
  AdapterLoadError,
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
export {
  type CampaignStartedEvent,
  type ElectedEvent,
  type ElectionEvent,
  type EventMessages,
  eventChannels,
  type LostEvent,
  type RenewalEvent,
  type RenewalFailedEvent,
  type ResignedEvent,
} from './events.js';
export { FencingGuard } from './fencing.js';
export type { BackendHealth, HealthOptions, HealthStatus, LeadershipHealth } from './health.js';
export type { Leadership } from './leadership.js';
export type { Logger } from './logger.js';
export type {
  CounterLike,
  HistogramLike,
  InstrumentOptionsLike,
  MeterLike,
  MeterProviderLike,
  MetricAttributes,
} from './meter-provider.js';
export { metricAttributes, metricNames } from './metrics.js';
export { type RunAsLeaderOptions, runAsLeader } from './run-as-leader.js';
export {
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_TTL_MS,
  MAX_NAME_LENGTH,
  MAX_VALUE_BYTES,
  redactUrl,
} from './validation.js';

import './builtin.js';
