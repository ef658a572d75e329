import type { Logger } from '../logging/logger.js';
import { EventStream } from './event-stream.js';

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

/**
 * A typed event stream per node, for in-process events between its plugins (see
 * {@link EventStream}: a throwing handler is logged and does not stop the others). Cross-node
 * traffic never goes through it.
 */
export class LocalBus extends EventStream<LocalBusEvents & Record<string, unknown>> {
  constructor(logger?: Logger) {
    super(logger, 'local bus');
  }
}
