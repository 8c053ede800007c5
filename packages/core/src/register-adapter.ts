import type { Backend, BackendOptions } from './backend.js';
import { connectWith } from './connect.js';
import { type BackendFactory, registerBackend } from './registry.js';

/**
 * What an adapter package does when it is first imported: registers its factory, so that
 * `connect(url)` finds it by scheme, and gets back the typed connect of its own entry point,
 * which connects through that factory with the adapter's option type (a typed `client`).
 */
export function registerAdapter<U, B extends Backend, O extends object = BackendOptions>(
  factory: BackendFactory<U>,
): (url: string, options?: O) => Promise<B> {
  registerBackend(factory);
  return async (url, options) => (await connectWith(factory, url, options as BackendOptions | undefined)) as B;
}
