import { execFile } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const tsx = join(root, 'node_modules', '.bin', 'tsx');
const sim = join(root, 'examples', 'quickstart', 'src', 'sim.ts');

function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      tsx,
      ['--conditions=@evcharging/source', sim, ...args],
      { cwd: root, env: { ...process.env, LOG_LEVEL: 'silent' }, timeout: 120_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

describe('pnpm sim (the process)', () => {
  it('exits with code 2 and the usage on a bad flag', async () => {
    const { code, stdout, stderr } = await run(['--', '--cps', 'many']);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toContain('error: --cps expects an integer from 1 to 100000, got "many"');
    expect(stderr).toContain('Usage: pnpm sim -- [options]');
  });

  it('runs a small network, prints the summary and writes the JSON report and the sessions CSV', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sim-cli-'));
    const json = join(dir, 'report.json');
    const csv = join(dir, 'sessions.csv');
    const args = ['--cps', '6', '--drivers', '30', '--hours', '6', '--start-hour', '7', '--seed', '3'];
    const { code, stdout, stderr } = await run([...args, '--json', json, '--csv', csv]);
    expect(code, stderr).toBe(0);
    expect(stdout).toMatch(/charging points\s+6\n/);
    expect(stdout).toMatch(/event-log hash\s+[0-9a-f]{64}\n/);
    expect(stdout).toMatch(/speed\s+[\d,]+x real time/);
    // Without a terminal the progress goes to stderr a line per tenth of the run.
    expect(stderr).toMatch(/\] 06:00 \/ 06:00 simulated/);
    const file = JSON.parse(await readFile(json, 'utf8'));
    expect(file.options).toMatchObject({ cps: 6, drivers: 30, hours: 6, seed: 3 });
    expect(file.run.wall_ms).toBeGreaterThan(0);
    const report = file.report;
    expect(report.cps).toBe(6);
    expect(report.simulated_ms).toBe(6 * 3_600_000);
    expect(report.fleet.arrivals).toBeGreaterThan(0);
    const lines = (await readFile(csv, 'utf8')).trim().split('\n');
    expect(lines[0]).toBe(
      'session_id,request_id,driver_id,cp_id,status,requested_at,start_time,end_time,energy_kwh,total_cost_eur,reason',
    );
    const sessions = lines.length - 1;
    expect(sessions).toBe(report.sessions.completed + report.sessions.failed + report.sessions.open);
    const completed = lines.slice(1).filter((l) => l.split(',')[4] === 'completed');
    const kwh = completed.reduce((sum, l) => sum + Number(l.split(',')[8]), 0);
    expect(kwh).toBeCloseTo(report.energy_kwh, 2);
    // The same seed prints the same hash.
    const again = await run(args);
    const hash = (out: string) => /event-log hash\s+([0-9a-f]{64})/.exec(out)![1];
    expect(hash(again.stdout)).toBe(hash(stdout));
  }, 120_000);

  it('replays the sessions of a run with vehicles from its CSV: same arrivals, CPs and durations', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sim-cli-'));
    const recorded = join(dir, 'recorded.csv');
    const replayed = join(dir, 'replayed.csv');
    const common = ['--cps', '6', '--drivers', '30', '--hours', '6', '--start-hour', '7', '--seed', '3'];
    const first = await run([...common, '--vehicles', 'default', '--site-limit', '30', '--csv', recorded]);
    expect(first.code, first.stderr).toBe(0);
    const second = await run([...common, '--arrivals', recorded, '--csv', replayed]);
    expect(second.code, second.stderr).toBe(0);
    // Each session as its arrival, CP and charging time.
    const sessions = async (file: string) =>
      (await readFile(file, 'utf8'))
        .trim()
        .split('\n')
        .slice(1)
        .map((line) => line.split(','))
        .filter((f) => f[7] !== '')
        .map((f) => `${f[5]} ${f[3]} ${(Date.parse(f[7]!) - Date.parse(f[6]!)) / 1000}`)
        .sort();
    const before = await sessions(recorded);
    expect(before.length).toBeGreaterThan(5);
    expect(second.stderr).toContain(`replaying ${before.length} arrivals from ${recorded}`);
    expect(await sessions(replayed)).toEqual(before);
  }, 120_000);

  it('names the line of an arrivals file it cannot replay, and exits with code 2', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sim-cli-'));
    const file = join(dir, 'arrivals.csv');
    await writeFile(file, 'arrival,departure\n2026-01-01T08:00:00Z,2026-01-01T09:00:00Z\nsoon,later\n');
    const { code, stderr } = await run(['--cps', '2', '--hours', '1', '--arrivals', file]);
    expect(code).toBe(2);
    expect(stderr).toContain(`error: ${file}:3: arrival must be an ISO 8601 time, got "soon"`);
  });
});
