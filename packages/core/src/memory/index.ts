export { MemoryBackend, memoryBackendFactory, memoryCapabilities } from './backend.js';
export { MemoryElection } from './election.js';
export { type MemoryEntry, MemoryStore, memoryStore } from './store.js';
