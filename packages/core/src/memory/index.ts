export { MemoryBackend, type MemoryUrl, memoryBackendFactory, memoryCapabilities } from './backend.js';
export type { MemoryElectionContext } from './context.js';
export { MemoryElection } from './election.js';
export { type MemoryEntry, MemoryStore, memoryStore } from './store.js';
