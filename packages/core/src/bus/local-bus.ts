import mittImport, { type Emitter, type Handler } from 'mitt';
import type { Logger } from '../logging/logger.js';

/**
 * Events between plugins of one node. Packages add their events by declaration merging:
 *
 * @example
 * declare module '@evcharging/core' {
 *   interface LocalBusEvents { 'engine.state': { cpId: string; state: CpState } }
 * }
 */
// biome-ignore lint/suspicious/noEmptyInterface: extended by declaration merging in other packages
export interface LocalBusEvents {}

// mitt's typings read as CommonJS under NodeNext, while Node loads its ESM build whose default
// export is the factory itself.
const mitt = mittImport as unknown as typeof mittImport.default;

/** Every event of a node's bus: the declared {@link LocalBusEvents}, and any other name with an unknown payload. */
export type LocalBusEventMap = LocalBusEvents & Record<string, unknown>;
type EventName = keyof LocalBusEventMap & string;

/**
 * A typed mitt emitter per node. Unlike raw mitt, a throwing handler is logged and does not stop
 * the handlers after it nor throw into the emitter. Cross-node traffic never goes through it.
 */
export class LocalBus {
  private readonly emitter: Emitter<Record<string, unknown>> = mitt();
  // Wrappers per event and handler: one function may listen to several events, or twice to one.
  private readonly wrapped = new Map<string, Map<Handler<never>, Handler<unknown>[]>>();

  constructor(private readonly logger?: Logger) {}

  on<E extends EventName>(event: E, handler: (payload: LocalBusEventMap[E]) => void): () => void {
    const safe: Handler<unknown> = (payload) => {
      try {
        handler(payload as LocalBusEventMap[E]);
      } catch (error) {
        this.logger?.error({ err: error, event }, 'local bus handler failed');
      }
    };
    let byHandler = this.wrapped.get(event);
    if (!byHandler) {
      byHandler = new Map();
      this.wrapped.set(event, byHandler);
    }
    const list = byHandler.get(handler as Handler<never>) ?? [];
    list.push(safe);
    byHandler.set(handler as Handler<never>, list);
    this.emitter.on(event, safe);
    return () => this.remove(event, handler as Handler<never>, safe);
  }

  off<E extends EventName>(event: E, handler: (payload: LocalBusEventMap[E]) => void): void {
    const safe = this.wrapped.get(event)?.get(handler as Handler<never>)?.[0];
    if (safe) this.remove(event, handler as Handler<never>, safe);
  }

  emit<E extends EventName>(event: E, payload: LocalBusEventMap[E]): void {
    this.emitter.emit(event, payload);
  }

  clear(): void {
    this.emitter.all.clear();
    this.wrapped.clear();
  }

  private remove(event: string, handler: Handler<never>, safe: Handler<unknown>): void {
    const byHandler = this.wrapped.get(event);
    const list = byHandler?.get(handler);
    const i = list ? list.indexOf(safe) : -1;
    if (!byHandler || !list || i < 0) return;
    list.splice(i, 1);
    if (list.length === 0) byHandler.delete(handler);
    if (byHandler.size === 0) this.wrapped.delete(event);
    this.emitter.off(event, safe);
  }
}
