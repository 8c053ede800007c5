export { backendAvailability, requireBackends } from './availability.js';
export { type DescribeLike, describeBackend } from './describe.js';
export { startCluster, startServer } from './start.js';
export type { BackendKind, ClusterHandle, ClusterKind, ServerHandle, StartOptions } from './types.js';
