import { parseArgs } from 'node:util';
import { ConfigError, type ConfigProblem, envName, loadConfig } from '@evcharging/core';
import type { Static, TObject, TSchema } from '@sinclair/typebox';

/** One role's command line: its environment prefix, schema, and a sentence per variable. */
export interface RoleDefinition<S extends TObject> {
  /** Program name in messages and `--help`, e.g. `ev-cp-engine`. */
  program: string;
  /** One line: what the process is. */
  summary: string;
  /** Environment prefix of the original (docs/wire-contract.md §9), e.g. `CP_ENGINE`. */
  prefix: string;
  schema: S;
  /** What each variable means, for `--help`, `.env.example` and the docs. */
  meanings: { [K in keyof Static<S> & string]: string };
  /** Unprefixed variables read when the prefixed one is unset (`KAFKA_BOOTSTRAP`). */
  fallbacks?: { [K in keyof Static<S> & string]?: string[] };
  /** Checks the schema cannot express (a broker list, a file that must exist); named problems. */
  check?(config: Static<S>, variableOf: (field: string) => string): ConfigProblem[];
  /** Checks that need I/O (can this bind address be listened on?), made before the role starts. */
  checkAtStart?(config: Static<S>, variableOf: (field: string) => string): Promise<ConfigProblem[]>;
  /** Lines closing `--help` (what the process answers besides its options, such as signals). */
  notes?: string[];
}

/** What the command line asked for: a configuration to run with, or an answer to print and exit. */
export type RoleCliResult<S extends TObject> =
  | { kind: 'run'; config: Static<S>; sources: Record<string, string> }
  | { kind: 'exit'; code: 0 | 2; stream: 'stdout' | 'stderr'; text: string };

/** `cp_id` → `--cp-id`. */
export function flagOf(field: string): string {
  return `--${field.replace(/_/g, '-')}`;
}

function isBoolean(schema: TSchema): boolean {
  return schema.type === 'boolean';
}

function fieldsOf<S extends TObject>(role: RoleDefinition<S>): [string, TSchema][] {
  return Object.entries(role.schema.properties) as [string, TSchema][];
}

/** Every environment variable a role reads, prefixed ones first, then the fallbacks. */
export function roleVariables<S extends TObject>(role: RoleDefinition<S>): string[] {
  const names = fieldsOf(role).map(([field]) => envName(role.prefix, field));
  const fallbacks = Object.values(role.fallbacks ?? {}).flat() as string[];
  return [...names, ...fallbacks.filter((v, i) => fallbacks.indexOf(v) === i && !names.includes(v))];
}

/** The `--help` text: every flag with its variable, default and meaning. */
export function helpText<S extends TObject>(role: RoleDefinition<S>): string {
  const required = new Set(role.schema.required ?? []);
  const lines = [
    `${role.program}: ${role.summary}`,
    '',
    `Usage: ${role.program} [options]`,
    '',
    `Every option overrides its environment variable (prefix ${role.prefix}_); an empty value counts as unset.`,
    'A bad or missing value stops the process with exit code 2, naming the variable.',
    '',
    'Options:',
  ];
  for (const [field, schema] of fieldsOf(role)) {
    const fallbacks = (role.fallbacks as Record<string, string[] | undefined> | undefined)?.[field] ?? [];
    const variable = [envName(role.prefix, field), ...fallbacks].join(' or ');
    const flag = isBoolean(schema) ? flagOf(field) : `${flagOf(field)} <value>`;
    // TypeBox lists fields with a default as required too: only those without one must be set.
    const when =
      schema.default !== undefined
        ? `default ${JSON.stringify(schema.default)}`
        : required.has(field)
          ? 'required'
          : 'optional';
    lines.push(`  ${flag}`);
    lines.push(`      ${variable} (${when}): ${(role.meanings as Record<string, string>)[field]}`);
  }
  lines.push('  -h, --help');
  lines.push('      print this text and exit');
  if (role.notes?.length) lines.push('', ...role.notes);
  return `${lines.join('\n')}\n`;
}

function problemText<S extends TObject>(
  role: RoleDefinition<S>,
  problems: ConfigProblem[],
  flags: Map<string, string>,
): string {
  const lines = problems.map((p) => {
    const flag = flags.get(p.variable);
    const where = flag ? `${p.variable} (from ${flag})` : p.variable;
    const got = p.received === undefined ? ' (not set)' : `, got ${JSON.stringify(p.received)}`;
    return `  ${where}: expected ${p.expected}${got}`;
  });
  return `${role.program}: invalid configuration:\n${lines.join('\n')}\nRun ${role.program} --help for every variable.\n`;
}

/**
 * Reads a role's configuration from its environment and command line: flags win over variables,
 * prefixed variables over their fallbacks, and both over the schema's defaults. Never exits or
 * prints itself, so it can be tested; {@link readRoleConfigOrExit} does that for an entry point.
 *
 * @example
 * const result = readRoleConfig(engineRole, ['--cp-id', 'CP-001'], process.env);
 * if (result.kind === 'run') result.config.cp_id; // 'CP-001'
 */
export function readRoleConfig<S extends TObject>(
  role: RoleDefinition<S>,
  argv: readonly string[],
  env: Record<string, string | undefined>,
): RoleCliResult<S> {
  return readRole(role, argv, env).result;
}

/**
 * {@link readRoleConfig}, then the role's {@link RoleDefinition.checkAtStart} checks (a bind
 * address that does not resolve or is not this machine's): their problems exit 2 like the others.
 */
export async function readRoleConfigAtStart<S extends TObject>(
  role: RoleDefinition<S>,
  argv: readonly string[],
  env: Record<string, string | undefined>,
): Promise<RoleCliResult<S>> {
  const { result, variableOf, flags } = readRole(role, argv, env);
  if (result.kind !== 'run' || !role.checkAtStart) return result;
  const problems = await role.checkAtStart(result.config, variableOf);
  if (problems.length === 0) return result;
  return { kind: 'exit', code: 2, stream: 'stderr', text: problemText(role, problems, flags) };
}

function readRole<S extends TObject>(
  role: RoleDefinition<S>,
  argv: readonly string[],
  env: Record<string, string | undefined>,
): { result: RoleCliResult<S>; variableOf: (field: string) => string; flags: Map<string, string> } {
  // Flags given on the command line, by variable; filled once the arguments are parsed.
  const flags = new Map<string, string>();
  const fallbacks = (role.fallbacks ?? {}) as Record<string, string[]>;
  const variableOf = (field: string): string => {
    const own = envName(role.prefix, field);
    if (flags.has(own) || (env[own] ?? '') !== '') return own;
    return fallbacks[field]?.find((alt) => (env[alt] ?? '') !== '') ?? own;
  };
  const done = (result: RoleCliResult<S>) => ({ result, variableOf, flags });
  const options: Record<string, { type: 'string' | 'boolean'; short?: string }> = {
    help: { type: 'boolean', short: 'h' },
  };
  for (const [field, schema] of fieldsOf(role)) {
    options[flagOf(field).slice(2)] = { type: isBoolean(schema) ? 'boolean' : 'string' };
  }
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({ args: [...argv], options, strict: true, allowPositionals: false }));
  } catch (error) {
    return done({
      kind: 'exit',
      code: 2,
      stream: 'stderr',
      text: `${role.program}: ${(error as Error).message}\nRun ${role.program} --help for the options.\n`,
    });
  }
  if (values.help) return done({ kind: 'exit', code: 0, stream: 'stdout', text: helpText(role) });

  const overrides: Record<string, string | undefined> = {};
  for (const [field] of fieldsOf(role)) {
    const value = values[flagOf(field).slice(2)];
    if (value === undefined) continue;
    overrides[field] = String(value);
    if (value !== '') flags.set(envName(role.prefix, field), flagOf(field));
  }
  const sources: Record<string, string> = {};
  let config: Static<S>;
  try {
    config = loadConfig(role.prefix, role.schema, env, { fallbacks, overrides });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    // A bad value read from a fallback (KAFKA_BOOTSTRAP) is reported under that variable.
    const fieldOf = new Map(fieldsOf(role).map(([field]) => [envName(role.prefix, field), field]));
    const problems = error.problems.map((p) => {
      const field = fieldOf.get(p.variable);
      return field === undefined ? p : { ...p, variable: variableOf(field) };
    });
    return done({ kind: 'exit', code: 2, stream: 'stderr', text: problemText(role, problems, flags) });
  }
  const problems = role.check?.(config, variableOf) ?? [];
  if (problems.length > 0) {
    return done({ kind: 'exit', code: 2, stream: 'stderr', text: problemText(role, problems, flags) });
  }
  for (const [field, schema] of fieldsOf(role)) {
    const variable = variableOf(field);
    const flag = flags.get(envName(role.prefix, field));
    if (flag) sources[field] = flag;
    else if ((env[variable] ?? '') !== '') sources[field] = variable;
    else if (schema.default !== undefined) sources[field] = 'default';
  }
  return done({ kind: 'run', config, sources });
}

/** Prints a configuration problem naming the variable and exits with code 2 (no stack trace). */
export function exitWithProblems(program: string, problems: ConfigProblem[]): never {
  const lines = problems.map(
    (p) =>
      `  ${p.variable}: expected ${p.expected}${p.received === undefined ? ' (not set)' : `, got ${JSON.stringify(p.received)}`}`,
  );
  process.stderr.write(
    `${program}: invalid configuration:\n${lines.join('\n')}\nRun ${program} --help for every variable.\n`,
  );
  process.exit(2);
}

/**
 * {@link readRoleConfigAtStart} for an entry point: prints help or the problems and exits when
 * asked to.
 */
export async function readRoleConfigOrExit<S extends TObject>(
  role: RoleDefinition<S>,
  argv: readonly string[] = process.argv.slice(2),
  env: Record<string, string | undefined> = process.env,
): Promise<{ config: Static<S>; sources: Record<string, string> }> {
  const result = await readRoleConfigAtStart(role, argv, env);
  if (result.kind === 'run') return { config: result.config, sources: result.sources };
  (result.stream === 'stdout' ? process.stdout : process.stderr).write(result.text);
  process.exit(result.code);
}
