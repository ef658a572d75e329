import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadRequestsFile, parseRequests, RequestsFileError } from './requests-file.js';

describe('parseRequests', () => {
  it('reads one CP id per line, skipping comments and blank lines', () => {
    const text = '# my list\n\nCP-001\n  CP-002  # near the station\n\r\nCP-003\r\n';
    expect(parseRequests(text)).toEqual([{ cp_id: 'CP-001' }, { cp_id: 'CP-002' }, { cp_id: 'CP-003' }]);
  });

  it('reads optional energy and duration targets, with units for durations', () => {
    expect(
      parseRequests('CP-001 kwh=10\nCP-002 duration=600\nCP-003 duration=10m kwh=2.5\nCP-004 duration=1.5h'),
    ).toEqual([
      { cp_id: 'CP-001', target_kwh: 10 },
      { cp_id: 'CP-002', duration_s: 600 },
      { cp_id: 'CP-003', duration_s: 600, target_kwh: 2.5 },
      { cp_id: 'CP-004', duration_s: 5400 },
    ]);
  });

  it.each([
    ['CP-001 kwh=abc', 'kwh must be a positive number'],
    ['CP-001 kwh=0', 'kwh must be a positive number'],
    ['CP-001 duration=-5', 'duration must be a positive number'],
    ['CP-001 duration=5d', 'duration must be a positive number'],
    ['CP-001 power=50', 'unknown option "power=50"'],
    ['CP-001 CP-002', 'unknown option "CP-002"'],
    ['=CP', 'expected a CP id'],
  ])('rejects %j naming the file and line', (line, problem) => {
    const text = `# header\nCP-009\n${line}\n`;
    expect(() => parseRequests(text, 'mine.txt')).toThrow(RequestsFileError);
    expect(() => parseRequests(text, 'mine.txt')).toThrow(`mine.txt:3: ${problem}`);
  });
});

describe('loadRequestsFile', () => {
  it('loads a file, and names the file when it is missing or empty', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'driver-requests-'));
    const good = join(dir, 'requests.txt');
    await writeFile(good, 'CP-001\nCP-002 kwh=5\n');
    expect(await loadRequestsFile(good)).toEqual([{ cp_id: 'CP-001' }, { cp_id: 'CP-002', target_kwh: 5 }]);
    const empty = join(dir, 'empty.txt');
    await writeFile(empty, '# nothing\n\n');
    await expect(loadRequestsFile(empty)).rejects.toThrow(`${empty}: no requests`);
    await expect(loadRequestsFile(join(dir, 'missing.txt'))).rejects.toThrow(/missing\.txt: cannot read/);
  });
});
