import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadBetterSqlite3 } from './load-better-sqlite3.js';
import { openCentralStore } from './open-central-store.js';
import { SqliteCentralStore } from './sqlite-central-store.js';
import { BETTER_SQLITE3_RANGE, SqliteUnavailableError } from './sqlite-unavailable-error.js';

/** What Node's require throws for a package that is not installed. */
function notInstalled(id: string): never {
  throw Object.assign(new Error(`Cannot find module '${id}'\nRequire stack:\n- /app/index.js`), {
    code: 'MODULE_NOT_FOUND',
  });
}

describe('better-sqlite3 as an optional peer', () => {
  it('names the package to install when it is missing', () => {
    const attempt = () => loadBetterSqlite3('./central.db', notInstalled);
    expect(attempt).toThrow(SqliteUnavailableError);
    expect(attempt).toThrow(
      /SQLite store "\.\/central\.db" needs .*better-sqlite3.*npm install better-sqlite3@\^12/,
    );
  });

  it('keeps the error of a native build that is present but broken', () => {
    const broken = () => {
      throw Object.assign(new Error('Module did not self-register'), { code: 'ERR_DLOPEN_FAILED' });
    };
    expect(() => loadBetterSqlite3('./central.db', broken)).toThrow(/did not self-register/);
  });

  it('names the range the package declares as its optional peer', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
    expect(pkg.dependencies?.['better-sqlite3']).toBeUndefined();
    expect(pkg.peerDependencies['better-sqlite3']).toBe(BETTER_SQLITE3_RANGE);
    expect(pkg.peerDependenciesMeta['better-sqlite3']).toEqual({ optional: true });
  });

  it('loads it lazily when installed: the SQLite store opens through openCentralStore', () => {
    const store = openCentralStore('sqlite:///:memory:');
    expect(store).toBeInstanceOf(SqliteCentralStore);
    expect(store.listCps()).toEqual([]);
    store.close();
  });
});
