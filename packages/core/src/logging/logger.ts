import { pino } from 'pino';

export interface LogFn {
  (message: string): void;
  (context: object, message?: string): void;
}

/** Structured logger given to every plugin (pino underneath; any compatible logger works). */
export interface Logger {
  trace: LogFn;
  debug: LogFn;
  info: LogFn;
  warn: LogFn;
  error: LogFn;
  fatal: LogFn;
  child(bindings: Record<string, unknown>): Logger;
}

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface LoggerOptions {
  /** Default: `LOG_LEVEL`, or `silent` under vitest, else `info`. Case-insensitive. */
  level?: string;
  name?: string;
  /** Where JSON lines go (default stdout). */
  destination?: NodeJS.WritableStream;
}

/** Maps the original's level names (INFO, WARNING, ...) to pino's. */
export function normalizeLevel(level: string | undefined): LogLevel {
  const l = (level ?? '').trim().toLowerCase();
  if (l === 'warning') return 'warn';
  if (l === 'critical') return 'fatal';
  if (['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(l)) return l as LogLevel;
  return 'info';
}

/**
 * Creates a pino logger; quiet in tests unless LOG_LEVEL asks otherwise.
 *
 * @example
 * const logger = createLogger({ name: 'central', level: 'debug' });
 * logger.info({ cp_id: 'CP-001' }, 'registered');
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  const fallback = process.env.VITEST && !process.env.LOG_LEVEL ? 'silent' : process.env.LOG_LEVEL;
  const level = normalizeLevel(options.level ?? fallback);
  const base = { level, ...(options.name ? { name: options.name } : {}) };
  return options.destination ? pino(base, options.destination) : pino(base);
}

/** A logger that discards everything. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
