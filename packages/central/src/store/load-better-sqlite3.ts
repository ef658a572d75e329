import { createRequire } from 'node:module';
import type BetterSqlite3 from 'better-sqlite3';
import { SqliteUnavailableError } from './sqlite-unavailable-error.js';

/**
 * Loads better-sqlite3 when a SQLite store is made, synchronously (it is a CommonJS package, so
 * `require` works from ESM and the store's constructor stays synchronous). Importing
 * `@evcharging/central` never loads it, so an application on the memory store need not install it.
 */
export function loadBetterSqlite3(
  path: string,
  require: (id: string) => unknown = createRequire(import.meta.url),
): typeof BetterSqlite3 {
  try {
    return require('better-sqlite3') as typeof BetterSqlite3; // Node caches it after the first time
  } catch (error) {
    // Only the package itself missing; a broken native build keeps its own error.
    if (isMissing(error)) throw new SqliteUnavailableError(path, error);
    throw error;
  }
}

function isMissing(error: unknown): boolean {
  const { code, message } = error as { code?: unknown; message?: unknown };
  return code === 'MODULE_NOT_FOUND' && typeof message === 'string' && message.includes("'better-sqlite3'");
}
