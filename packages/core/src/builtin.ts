// memory:// is the embedded default: it needs no other package, so either entry point registers it.
import { memoryBackendFactory } from './memory/index.js';
import { registerBackend } from './registry.js';

registerBackend(memoryBackendFactory);
