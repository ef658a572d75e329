// A consumer that installed only the in-memory packages asks for a SQLite store: it must get an
// error naming the package to install, and the memory store must still work.
import 'reflect-metadata';
import { MemoryCentralStore, openCentralStore, SqliteUnavailableError } from '@evcharging/central';

if (!(openCentralStore(undefined) instanceof MemoryCentralStore)) throw new Error('no memory store');
try {
  openCentralStore('sqlite:///./central.db');
  throw new Error('openCentralStore("sqlite:///./central.db") did not fail without better-sqlite3');
} catch (error) {
  if (!(error instanceof SqliteUnavailableError)) throw error;
  if (!/npm install better-sqlite3@/.test(error.message))
    throw new Error(`unhelpful message: ${error.message}`);
  console.log(`as expected: ${error.message}`);
}
