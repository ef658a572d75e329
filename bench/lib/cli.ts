import path from 'node:path';
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { cliArgs } from './stats.js';

type Options = NonNullable<ParseArgsConfig['options']>;

/** One line per flag, from the same spec `parseArgs` reads, so the usage never drifts from it. */
export function usageOf(script: string, options: Options): string {
  const flags = Object.entries(options).map(([name, option]) => {
    const value = option.type === 'string' ? ' <value>' : '';
    const fallback = option.default === undefined ? '' : `  (default ${String(option.default)})`;
    return `  --${name}${value}${fallback}`;
  });
  return `usage: ${script} [flags]\n${flags.join('\n')}\n`;
}

/**
 * `parseArgs` for a bench script (its arguments default to the command line without pnpm's `--`)
 * that answers an unknown flag, a missing value or `--help` with the usage instead of a stack
 * trace: exit code 2 for a mistake, 0 for `--help`.
 *
 * @example
 *   const { values } = parseBenchArgs(import.meta.url, { options: { rounds: { type: 'string', default: '5' } } });
 */
export function parseBenchArgs<const T extends ParseArgsConfig>(
  moduleUrl: string,
  config: T,
): ReturnType<typeof parseArgs<T>> {
  const script = path.basename(new URL(moduleUrl).pathname);
  const args = config.args ?? cliArgs();
  const options = config.options ?? {};
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(usageOf(script, options));
    process.exit(0);
  }
  try {
    return parseArgs({ ...config, args } as T);
  } catch (error) {
    process.stderr.write(`${script}: ${(error as Error).message}\n${usageOf(script, options)}`);
    process.exit(2);
  }
}
