import { readFileSync } from 'node:fs';
import { validateSchema } from '@evcharging/core';
import { type Static, Type } from '@sinclair/typebox';

/** One charging point Central knows before any monitor registers it. */
export const CpDefinitionSchema = Type.Object(
  {
    cp_id: Type.String({ minLength: 1, maxLength: 256, pattern: '^[^#\\s]+$' }),
    location: Type.String({ maxLength: 256 }),
    price_eur_kwh: Type.Number({ minimum: 0 }),
    kw: Type.Number({ exclusiveMinimum: 0 }),
    /** AC (default) or DC: which of a vehicle's limits applies at this CP (smart charging). */
    supply: Type.Optional(Type.Union([Type.Literal('AC'), Type.Literal('DC')])),
    secret: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
  },
  { additionalProperties: false },
);
export type CpDefinition = Static<typeof CpDefinitionSchema>;

/** Thrown for a bad CP definition; names the source and the entry. */
export class CpDefinitionError extends Error {
  override readonly name = 'CpDefinitionError';
}

/** Checks CP definitions from any source; `where(i)` names entry i in error messages. */
export function checkCpDefinitions(
  entries: readonly unknown[],
  where: (index: number) => string = (i) => `cps[${i}]`,
): CpDefinition[] {
  const seen = new Set<string>();
  const problems: string[] = [];
  const result: CpDefinition[] = [];
  entries.forEach((entry, i) => {
    const checked = validateSchema<CpDefinition>(CpDefinitionSchema, entry);
    if (!checked.ok) {
      problems.push(`${where(i)}: ${checked.reasons.join('; ')}`);
      return;
    }
    if (seen.has(checked.value.cp_id)) {
      problems.push(`${where(i)}: duplicate cp_id ${JSON.stringify(checked.value.cp_id)}`);
      return;
    }
    seen.add(checked.value.cp_id);
    result.push(checked.value);
  });
  if (problems.length > 0) throw new CpDefinitionError(`invalid CP definitions:\n  ${problems.join('\n  ')}`);
  return result;
}

const CSV_COLUMNS = ['cp_id', 'location', 'price_eur_kwh', 'kw', 'supply', 'secret'] as const;

/**
 * Parses CSV CP definitions: a header naming the columns (cp_id, location, price_eur_kwh, kw and an
 * optional secret, in any order), then one CP per line; `#` comments and blank lines are ignored.
 * A field may be double-quoted to hold a comma.
 */
export function parseCpCsv(text: string, source = 'CSV'): CpDefinition[] {
  const rows: { line: number; cells: string[] }[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    rows.push({ line: i + 1, cells: splitCsvLine(line) });
  });
  const header = rows.shift();
  if (!header) return [];
  const columns = header.cells.map((c) => c.trim().toLowerCase());
  for (const required of ['cp_id', 'location', 'price_eur_kwh', 'kw']) {
    if (!columns.includes(required)) {
      throw new CpDefinitionError(`${source}:${header.line}: header lacks the column "${required}"`);
    }
  }
  const unknown = columns.filter((c) => !(CSV_COLUMNS as readonly string[]).includes(c));
  if (unknown.length > 0) {
    throw new CpDefinitionError(`${source}:${header.line}: unknown columns ${unknown.join(', ')}`);
  }
  const entries = rows.map(({ cells }) => {
    const entry: Record<string, unknown> = {};
    columns.forEach((column, c) => {
      const cell = (cells[c] ?? '').trim();
      if ((column === 'secret' || column === 'supply') && cell === '') return;
      entry[column] = column === 'price_eur_kwh' || column === 'kw' ? toNumber(cell) : cell;
    });
    return entry;
  });
  return checkCpDefinitions(entries, (i) => `${source}:${rows[i]!.line}`);
}

function toNumber(cell: string): number | string {
  const n = Number(cell);
  return cell !== '' && Number.isFinite(n) ? n : cell;
}

function splitCsvLine(line: string): string[] {
  const cells: string[] = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        current += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else current += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      cells.push(current);
      current = '';
    } else current += ch;
  }
  cells.push(current);
  return cells;
}

/**
 * Reads CP definitions from a file: `.json` holds an array of definitions (or `{ "cps": [...] }`),
 * anything else is read as CSV (see {@link parseCpCsv}).
 *
 * @example
 * const cps = loadCpDefinitions('./cps.csv');
 */
export function loadCpDefinitions(path: string): CpDefinition[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new CpDefinitionError(`cannot read CP definitions file ${path}: ${(error as Error).message}`);
  }
  if (!path.toLowerCase().endsWith('.json')) return parseCpCsv(text, path);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new CpDefinitionError(`${path}: not valid JSON: ${(error as Error).message}`);
  }
  const list = Array.isArray(parsed)
    ? parsed
    : parsed && typeof parsed === 'object'
      ? (parsed as { cps?: unknown }).cps
      : undefined;
  if (!Array.isArray(list)) {
    throw new CpDefinitionError(`${path}: expected an array of CP definitions or { "cps": [...] }`);
  }
  return checkCpDefinitions(list, (i) => `${path}: cps[${i}]`);
}
