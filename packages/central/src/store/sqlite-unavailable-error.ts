/** The range of better-sqlite3 this package is built and tested against (its optional peer). */
export const BETTER_SQLITE3_RANGE = '^12.4.0';

/**
 * Thrown when a SQLite store is asked for but `better-sqlite3` is not installed. It is an optional
 * peer dependency: simulations and tests on the memory store never pay for its native build.
 *
 * @example
 * try {
 *   openCentralStore('sqlite:///./central.db');
 * } catch (error) {
 *   if (error instanceof SqliteUnavailableError) console.error(error.message); // names the package to install
 * }
 */
export class SqliteUnavailableError extends Error {
  override readonly name = 'SqliteUnavailableError';
  constructor(
    /** The database file that was asked for. */
    readonly path: string,
    cause: unknown,
  ) {
    super(
      `SQLite store "${path}" needs the optional peer dependency better-sqlite3, which is not installed: ` +
        `run \`npm install better-sqlite3@${BETTER_SQLITE3_RANGE}\` (or pnpm add / yarn add) in your application, ` +
        'or use the in-memory store (CENTRAL_DB_URL unset or memory:)',
      { cause },
    );
  }
}
