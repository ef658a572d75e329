// Checks of host names, bind addresses and writable files, made when a role starts, so a value that
// can never work stops the process at once with exit code 2 and the variable's name, instead of a
// stack trace seconds later (a bind address) or a silent failure when the file is first needed.

import { lookup } from 'node:dns/promises';
import { accessSync, constants, statSync } from 'node:fs';
import { createServer, isIP } from 'node:net';
import { dirname, resolve } from 'node:path';
import type { ConfigProblem } from '@evcharging/core';

const LABEL = /^[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?$/;

/**
 * True for an IPv4 or IPv6 address (brackets allowed) or a host name made of labels of letters,
 * digits, `-` and `_` (compose service names may have `_`), each 1 to 63 characters, 253 in all, an
 * optional final dot. Says nothing of whether the name resolves: a compose service that is not up
 * yet is a valid host that its user retries.
 */
export function isHostSyntax(host: string): boolean {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  if (isIP(bare) !== 0) return true;
  if (bare !== host) return false;
  const name = host.endsWith('.') ? host.slice(0, -1) : host;
  if (name.length === 0 || name.length > 253) return false;
  return name.split('.').every((label) => LABEL.test(label));
}

const HOST_EXPECTED = 'a host name (letters, digits, "-", "_", dot-separated labels) or an IP address';

/** A problem when `host` can never be a host (bad syntax); none for a name that may resolve later. */
export function checkHost(host: string, variable: string): ConfigProblem[] {
  return isHostSyntax(host) ? [] : [{ variable, expected: HOST_EXPECTED, received: host }];
}

/**
 * A problem when `path` cannot be a file this process writes: its folder must exist and be
 * writable, and the path itself, if it exists, must be a writable file (not a folder).
 */
export function checkWritableFile(path: string, variable: string): ConfigProblem[] {
  const problem = (why: string): ConfigProblem[] => [
    { variable, expected: `a file path in an existing, writable folder (${why})`, received: path },
  ];
  const full = resolve(path);
  const folder = dirname(full);
  try {
    if (!statSync(folder).isDirectory()) return problem(`${folder} is not a folder`);
  } catch {
    return problem(`folder ${folder} does not exist`);
  }
  try {
    accessSync(folder, constants.W_OK);
  } catch {
    return problem(`folder ${folder} is not writable`);
  }
  try {
    const stat = statSync(full);
    if (!stat.isFile()) return problem(`${full} exists and is not a file`);
    accessSync(full, constants.W_OK);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    return problem(`${full} is not writable`);
  }
  return [];
}

/** The `code` of a Node error, or its message's first line. */
function reasonOf(error: unknown): string {
  const e = error as NodeJS.ErrnoException;
  return e.code ?? String(e.message ?? error).split('\n')[0]!;
}

/**
 * A problem when `host` cannot be listened on by this process: it does not resolve, or resolves to
 * an address that is not this machine's (`EADDRNOTAVAIL`). Binds port 0 on it and closes at once.
 * A port in use is not this check's business (the role reports it when it listens).
 */
export async function checkBindable(host: string, variable: string): Promise<ConfigProblem[]> {
  const syntax = checkHost(host, variable);
  if (syntax.length > 0) return syntax;
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  const expected = (why: string) =>
    `an address of this machine to listen on, e.g. 0.0.0.0 or 127.0.0.1 (${why})`;
  let address: string;
  try {
    address = isIP(bare) !== 0 ? bare : (await lookup(bare)).address;
  } catch (error) {
    return [{ variable, expected: expected(`${bare} does not resolve: ${reasonOf(error)}`), received: host }];
  }
  const bound = await new Promise<unknown>((done) => {
    const server = createServer();
    server.once('error', (error) => done(error));
    server.listen(0, address, () => server.close(() => done(undefined)));
  });
  if (bound === undefined) return [];
  return [
    { variable, expected: expected(`cannot listen on ${address}: ${reasonOf(bound)}`), received: host },
  ];
}
