import type { Logger } from '@baton/core/adapter';

type Listener<T> = (value: T) => void;

/** A set of listeners of one connection event; a listener that throws is logged, not propagated. */
export class Listeners<T> {
  private readonly set = new Set<Listener<T>>();

  add(listener: Listener<T>): () => void {
    this.set.add(listener);
    return () => this.set.delete(listener);
  }

  emit(value: T, logger: Logger): void {
    for (const listener of [...this.set]) {
      try {
        listener(value);
      } catch (error) {
        logger.error({ err: error }, 'zookeeper connection listener threw');
      }
    }
  }

  clear(): void {
    this.set.clear();
  }
}
