import type { Clock } from '@evcharging/core';
import type { CentralStore } from './central-store.js';
import { MemoryCentralStore } from './memory-central-store.js';
import { SqliteCentralStore } from './sqlite-central-store.js';

const SQLALCHEMY_URL = /^sqlite(?:\+\w+)?:\/\/\/(.*)$/;

/**
 * Opens the store a `CENTRAL_DB_URL` names: empty, `memory:` or `:memory:` → in memory; a path,
 * `file:<path>`, or the original's SQLAlchemy form `sqlite:///<path>` (`sqlite:////abs/path` for an
 * absolute one) → SQLite.
 *
 * @example
 * const store = openCentralStore(process.env.CENTRAL_DB_URL); // e.g. sqlite:///./evcharging.db
 */
export function openCentralStore(dbUrl: string | undefined, options: { clock?: Clock } = {}): CentralStore {
  const url = (dbUrl ?? '').trim();
  if (url === '' || url === 'memory:' || url === ':memory:') return new MemoryCentralStore();
  const sqlalchemy = SQLALCHEMY_URL.exec(url);
  let path = url;
  if (sqlalchemy) path = sqlalchemy[1]!;
  else if (url.startsWith('file:')) path = url.slice('file:'.length);
  else if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) {
    throw new Error(
      `db_url ${JSON.stringify(url)}: only sqlite:///<path>, file:<path>, a path or memory: are supported`,
    );
  }
  if (path === '') throw new Error(`db_url ${JSON.stringify(url)} names no file`);
  return new SqliteCentralStore(path, options.clock ? { clock: options.clock } : {});
}
