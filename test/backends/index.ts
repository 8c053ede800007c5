export { backendAvailability, requireBackends } from './availability.js';
export { type DescribeLike, describeBackend } from './describe.js';
export { ELECTOR_RULES, KubernetesServer, TEST_NAMESPACE } from './kubernetes.js';
export type { KubernetesUser } from './kubernetes-credentials.js';
export { startCluster, startKubernetes, startServer } from './start.js';
export { serverForSuite } from './suite-server.js';
export type { BackendKind, ClusterHandle, ClusterKind, ServerHandle, StartOptions } from './types.js';
