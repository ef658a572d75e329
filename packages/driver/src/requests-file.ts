import { readFile } from 'node:fs/promises';

/** One charging request of a driver's list: where, and optionally how much. */
export interface DriverRequestSpec {
  cp_id: string;
  /** Stop after this energy, kWh. */
  target_kwh?: number;
  /** Stop after this many seconds. */
  duration_s?: number;
}

/** A requests file that cannot be read; names the file and the line. */
export class RequestsFileError extends Error {
  override readonly name = 'RequestsFileError';
  constructor(
    readonly file: string,
    readonly line: number,
    readonly problem: string,
  ) {
    super(line > 0 ? `${file}:${line}: ${problem}` : `${file}: ${problem}`);
  }
}

const CP_ID = /^[^\s=#]{1,256}$/;
const DURATION = /^(\d+(?:\.\d+)?)(s|m|h)?$/;
const UNIT_S: Record<string, number> = { s: 1, m: 60, h: 3600 };

function positiveNumber(text: string): number | undefined {
  if (!/^\d+(?:\.\d+)?$/.test(text)) return undefined;
  const n = Number(text);
  return n > 0 && Number.isFinite(n) ? n : undefined;
}

/**
 * Parses the original's requests format: one CP id per line, `#` starts a comment, blank lines are
 * ignored. A line may add `kwh=<number>` (stop after that energy) and/or `duration=<n>[s|m|h]`
 * (stop after that time; seconds without a unit).
 *
 * @example
 * parseRequests('CP-001\nCP-002 kwh=10  # top up\nCP-003 duration=10m\n', 'requests.txt');
 * // [{ cp_id: 'CP-001' }, { cp_id: 'CP-002', target_kwh: 10 }, { cp_id: 'CP-003', duration_s: 600 }]
 */
export function parseRequests(text: string, file = '<requests>'): DriverRequestSpec[] {
  const specs: DriverRequestSpec[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    const content = lines[i]!.replace(/#.*$/, '').trim();
    if (content === '') continue;
    const [cpId, ...options] = content.split(/\s+/);
    if (!cpId || !CP_ID.test(cpId)) {
      throw new RequestsFileError(
        file,
        lineNo,
        `expected a CP id (1 to 256 characters, no spaces, "=" or "#") first, got ${JSON.stringify(cpId)}`,
      );
    }
    const spec: DriverRequestSpec = { cp_id: cpId };
    for (const option of options) {
      const eq = option.indexOf('=');
      const name = eq > 0 ? option.slice(0, eq).toLowerCase() : option;
      const value = eq > 0 ? option.slice(eq + 1) : '';
      if (name === 'kwh') {
        const kwh = positiveNumber(value);
        if (kwh === undefined) {
          throw new RequestsFileError(
            file,
            lineNo,
            `kwh must be a positive number, got ${JSON.stringify(value)}`,
          );
        }
        spec.target_kwh = kwh;
      } else if (name === 'duration') {
        const match = DURATION.exec(value);
        const seconds = match ? Number(match[1]) * UNIT_S[match[2] ?? 's']! : 0;
        if (!(seconds > 0)) {
          throw new RequestsFileError(
            file,
            lineNo,
            `duration must be a positive number of seconds, optionally with s, m or h (600, 10m), got ${JSON.stringify(value)}`,
          );
        }
        spec.duration_s = seconds;
      } else {
        throw new RequestsFileError(
          file,
          lineNo,
          `unknown option ${JSON.stringify(option)} after ${cpId}: expected kwh=<number> or duration=<seconds>`,
        );
      }
    }
    specs.push(spec);
  }
  return specs;
}

/** Reads and parses a requests file; an unreadable or empty file fails naming it. */
export async function loadRequestsFile(path: string): Promise<DriverRequestSpec[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new RequestsFileError(
      path,
      0,
      `cannot read: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  const specs = parseRequests(text, path);
  if (specs.length === 0)
    throw new RequestsFileError(path, 0, 'no requests in the file (only comments or blank lines)');
  return specs;
}
