import type { Logger } from './logger.js';

type Level = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';

/**
 * A child logger that becomes one (`parent.child(bindings)`) at its first line at a level the
 * parent writes (lines below it are dropped without making it). A node and
 * each of its plugins get a logger, and an idle CP of a large fleet at the default level never
 * writes a line: a pino child costs its object, its formatters, its bindings text and hidden
 * classes of its own (several hundred bytes), this one an object and its bindings.
 *
 * @example
 * const logger = new LazyChildLogger(parent, { node: 'engine/CP-001' });
 * logger.warn({ err }, 'publish failed'); // the pino child is made here, once
 */
export class LazyChildLogger implements Logger {
  private target: Logger | undefined;

  constructor(
    private readonly parent: Logger,
    private readonly bindings: Record<string, unknown>,
  ) {}

  trace(context: object | string, message?: string): void {
    this.line('trace', context, message);
  }

  debug(context: object | string, message?: string): void {
    this.line('debug', context, message);
  }

  info(context: object | string, message?: string): void {
    this.line('info', context, message);
  }

  warn(context: object | string, message?: string): void {
    this.line('warn', context, message);
  }

  error(context: object | string, message?: string): void {
    this.line('error', context, message);
  }

  fatal(context: object | string, message?: string): void {
    this.line('fatal', context, message);
  }

  /** A child with these bindings added (made lazily too). */
  child(bindings: Record<string, unknown>): Logger {
    return this.target
      ? this.target.child(bindings)
      : new LazyChildLogger(this.parent, { ...this.bindings, ...bindings });
  }

  /**
   * Writes one line the way it was called here, `(message)` or `(context, message)`, when the
   * parent writes this level (a pino logger says; any other logger is asked anyway): a line below
   * the level must not make the child either.
   */
  private line(level: Level, context: object | string, message: string | undefined): void {
    if (!this.target) {
      const parent = this.parent as { isLevelEnabled?: (level: string) => boolean };
      if (typeof parent.isLevelEnabled === 'function' && !parent.isLevelEnabled(level)) return;
      this.target = this.parent.child(this.bindings);
    }
    const write = this.target[level] as (context: object | string, message?: string) => void;
    if (message === undefined) write.call(this.target, context);
    else write.call(this.target, context, message);
  }
}
