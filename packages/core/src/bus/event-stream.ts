import mittImport, { type Emitter, type Handler } from 'mitt';
import type { Logger } from '../logging/logger.js';

// mitt's typings read as CommonJS under NodeNext, while Node loads its ESM build whose default
// export is the factory itself.
const mitt = mittImport as unknown as typeof mittImport.default;

/**
 * A typed mitt emitter whose listeners cannot hurt the emitter: a throwing listener is logged and
 * neither stops the listeners after it nor throws into `emit`. A component announces its changes
 * on one of these (the node's local bus, Central's events).
 *
 * @example
 * interface DoorEvents { opened: { door: string } }
 * const events = new EventStream<DoorEvents>();
 * const off = events.on('opened', ({ door }) => console.log(door));
 * events.emit('opened', { door: 'north' });
 * off();
 */
export class EventStream<Events extends object> {
  // Made at the first listener: a node's bus that nobody listens to (most CPs' in a large fleet)
  // then costs no emitter, no maps and no closures, and emitting on it does nothing.
  private emitter: Emitter<Record<string, unknown>> | undefined;
  // Wrappers per event and listener: one function may listen to several events, or twice to one.
  private wrapped: Map<string, Map<Handler<never>, Handler<unknown>[]>> | undefined;

  /** @param label names the stream in the log line of a failed listener. */
  constructor(
    private readonly logger?: Logger,
    private readonly label = 'event stream',
  ) {}

  /** Listens to one event; returns the function that stops listening. */
  on<E extends keyof Events & string>(event: E, listener: (payload: Events[E]) => void): () => void {
    const safe: Handler<unknown> = (payload) => {
      try {
        listener(payload as Events[E]);
      } catch (error) {
        this.logger?.error({ err: error, event }, `${this.label} handler failed`);
      }
    };
    this.wrapped ??= new Map();
    this.emitter ??= mitt();
    let byListener = this.wrapped.get(event);
    if (!byListener) {
      byListener = new Map();
      this.wrapped.set(event, byListener);
    }
    const list = byListener.get(listener as Handler<never>) ?? [];
    list.push(safe);
    byListener.set(listener as Handler<never>, list);
    this.emitter.on(event, safe);
    return () => this.remove(event, listener as Handler<never>, safe);
  }

  off<E extends keyof Events & string>(event: E, listener: (payload: Events[E]) => void): void {
    const safe = this.wrapped?.get(event)?.get(listener as Handler<never>)?.[0];
    if (safe) this.remove(event, listener as Handler<never>, safe);
  }

  /** Calls every listener of the event, synchronously, in the order they started listening. */
  emit<E extends keyof Events & string>(event: E, payload: Events[E]): void {
    // mitt's own emit, without its two arrays and a closure per call (Central emits on every
    // telemetry reading): the listeners as they were when the emit began, then the wildcard ones.
    const all = this.emitter?.all;
    if (!all) return;
    const listeners = all.get(event) as Handler<unknown>[] | undefined;
    if (listeners) {
      if (listeners.length === 1) listeners[0]!(payload);
      else for (const listener of listeners.slice()) listener(payload);
    }
    const wildcard = all.get('*') as ((type: string, payload: unknown) => void)[] | undefined;
    if (wildcard) for (const listener of wildcard.slice()) listener(event, payload);
  }

  /** True when someone listens to the event (lets a hot path skip building its payload). */
  has(event: keyof Events & string): boolean {
    return (this.emitter?.all.get(event)?.length ?? 0) > 0;
  }

  clear(): void {
    this.emitter?.all.clear();
    this.wrapped?.clear();
  }

  private remove(event: string, listener: Handler<never>, safe: Handler<unknown>): void {
    const byListener = this.wrapped?.get(event);
    const list = byListener?.get(listener);
    const i = list ? list.indexOf(safe) : -1;
    if (!byListener || !list || i < 0) return;
    list.splice(i, 1);
    if (list.length === 0) byListener.delete(listener);
    if (byListener.size === 0) this.wrapped?.delete(event);
    this.emitter?.off(event, safe);
  }
}
