import type { Logger } from './logger.js';

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
    if (this.target || this.enabled('trace')) write(this.made().trace, this.made(), context, message);
  }

  debug(context: object | string, message?: string): void {
    if (this.target || this.enabled('debug')) write(this.made().debug, this.made(), context, message);
  }

  info(context: object | string, message?: string): void {
    if (this.target || this.enabled('info')) write(this.made().info, this.made(), context, message);
  }

  warn(context: object | string, message?: string): void {
    if (this.target || this.enabled('warn')) write(this.made().warn, this.made(), context, message);
  }

  error(context: object | string, message?: string): void {
    if (this.target || this.enabled('error')) write(this.made().error, this.made(), context, message);
  }

  fatal(context: object | string, message?: string): void {
    if (this.target || this.enabled('fatal')) write(this.made().fatal, this.made(), context, message);
  }

  /** A child with these bindings added (made lazily too). */
  child(bindings: Record<string, unknown>): Logger {
    return this.target
      ? this.target.child(bindings)
      : new LazyChildLogger(this.parent, { ...this.bindings, ...bindings });
  }

  /**
   * Whether the parent writes this level (a pino logger says; any other logger is asked anyway): a
   * line below the level must not make the child either.
   */
  private enabled(level: string): boolean {
    const parent = this.parent as { isLevelEnabled?: (level: string) => boolean };
    return typeof parent.isLevelEnabled !== 'function' || parent.isLevelEnabled(level);
  }

  private made(): Logger {
    this.target ??= this.parent.child(this.bindings);
    return this.target;
  }
}

/** Calls a level method the way it was called here: `(message)` or `(context, message?)`. */
function write(
  method: Logger['info'],
  logger: Logger,
  context: object | string,
  message: string | undefined,
): void {
  const fn = method as (context: object | string, message?: string) => void;
  if (message === undefined) fn.call(logger, context);
  else fn.call(logger, context, message);
}
