import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { resolve } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { centralRole } from './central-role.js';
import { cpEngineRole } from './cp-engine-role.js';
import { cpMonitorRole } from './cp-monitor-role.js';
import { driverRole } from './driver-role.js';
import { withoutStack } from './kafka-settings.js';
import { readRoleConfig, readRoleConfigAtStart } from './role-cli.js';
import { checkBindable, checkHost, checkWritableFile, isHostSyntax } from './start-checks.js';

// Root may write anywhere, so chmod alone cannot make a folder unwritable in CI (which runs as
// root): access() to a folder named `locked` is refused as the kernel would refuse it otherwise.
vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs')>();
  const accessSync: typeof fs.accessSync = (path, mode) => {
    if (String(path).endsWith('/locked') && mode !== undefined && (mode & fs.constants.W_OK) !== 0) {
      throw Object.assign(new Error(`EACCES: permission denied, access '${String(path)}'`), {
        code: 'EACCES',
      });
    }
    fs.accessSync(path, mode);
  };
  return { ...fs, accessSync, default: { ...fs, accessSync } };
});

const dir = mkdtempSync(resolve(tmpdir(), 'ev-start-checks-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const text = (result: { kind: string; text?: string }) => (result.kind === 'exit' ? (result.text ?? '') : '');

describe('isHostSyntax', () => {
  it.each([
    'localhost',
    'ev-central',
    'ev_cp_e_1',
    'kafka.example.org',
    'kafka.example.org.',
    '127.0.0.1',
    '0.0.0.0',
    '::1',
    '[::1]',
    'a'.repeat(63),
    'host-that-does-not-resolve-yet.invalid',
  ])('accepts %s', (host) => expect(isHostSyntax(host)).toBe(true));

  it.each([
    'no such host!',
    '',
    ' ',
    'host name',
    'http://central',
    'central:8000',
    '-central',
    'central-',
    'a..b',
    '.central',
    'a'.repeat(64),
    `${'a.'.repeat(127)}a`,
    '[central]',
    'caf\u00e9',
  ])('refuses %j', (host) => expect(isHostSyntax(host)).toBe(false));
});

describe('checkHost and checkWritableFile', () => {
  it('names the variable and what it expects', () => {
    expect(checkHost('no such host!', 'CP_MONITOR_CENTRAL_HOST')).toEqual([
      {
        variable: 'CP_MONITOR_CENTRAL_HOST',
        expected: expect.stringContaining('a host name'),
        received: 'no such host!',
      },
    ]);
    expect(checkHost('ev-central', 'CP_MONITOR_CENTRAL_HOST')).toEqual([]);
  });

  it('accepts a new or existing file in a writable folder and refuses the rest', () => {
    const existing = resolve(dir, 'outbox.json');
    writeFileSync(existing, '{}');
    expect(checkWritableFile(existing, 'V')).toEqual([]);
    expect(checkWritableFile(resolve(dir, 'new.json'), 'V')).toEqual([]);
    const missing = checkWritableFile(resolve(dir, 'no-such-folder', 'outbox.json'), 'CP_ENGINE_OUTBOX_FILE');
    expect(missing).toHaveLength(1);
    expect(missing[0]!.variable).toBe('CP_ENGINE_OUTBOX_FILE');
    expect(missing[0]!.expected).toMatch(/existing, writable folder .*does not exist/);
    expect(checkWritableFile(dir, 'V')[0]!.expected).toContain('is not a file');
    expect(checkWritableFile(resolve(existing, 'x.json'), 'V')[0]!.expected).toContain('is not a folder');
  });

  it('refuses a folder this process cannot write', () => {
    const locked = resolve(dir, 'locked');
    mkdirSync(locked);
    chmodSync(locked, 0o500);
    try {
      expect(checkWritableFile(resolve(locked, 'state.json'), 'V')[0]!.expected).toContain('not writable');
    } finally {
      chmodSync(locked, 0o700);
    }
  });
});

describe('checkBindable', () => {
  it('accepts the loopback and wildcard addresses and localhost', async () => {
    for (const host of ['127.0.0.1', '0.0.0.0', 'localhost']) {
      expect(await checkBindable(host, 'CENTRAL_BIND_HOST')).toEqual([]);
    }
  });

  it('refuses a name that does not resolve and an address of another machine, naming the variable', async () => {
    const [unknown] = await checkBindable('no-such-host.invalid', 'CENTRAL_BIND_HOST');
    expect(unknown).toMatchObject({ variable: 'CENTRAL_BIND_HOST', received: 'no-such-host.invalid' });
    expect(unknown!.expected).toMatch(/address of this machine .*does not resolve/);
    // TEST-NET-1 (RFC 5737): never an address of this machine.
    const [foreign] = await checkBindable('192.0.2.1', 'CP_ENGINE_HEALTH_HOST');
    expect(foreign!.expected).toMatch(/cannot listen on 192\.0\.2\.1: EADDRNOTAVAIL/);
    const [syntax] = await checkBindable('bad host', 'CENTRAL_BIND_HOST');
    expect(syntax!.expected).toContain('a host name');
  });
});

describe('the roles refuse the six variables that were not checked', () => {
  it('CP_MONITOR_CP_E_HOST and CP_MONITOR_CENTRAL_HOST: bad syntax exits 2; a name not up yet runs', () => {
    const bad = readRoleConfig(cpMonitorRole, [], {
      CP_MONITOR_CP_ID: 'CP-001',
      CP_MONITOR_CP_E_HOST: 'no such host!',
      CP_MONITOR_CENTRAL_HOST: 'http://central:8000',
    });
    expect(bad).toMatchObject({ kind: 'exit', code: 2 });
    expect(text(bad)).toContain('CP_MONITOR_CP_E_HOST: expected a host name');
    expect(text(bad)).toContain('got "no such host!"');
    expect(text(bad)).toContain('CP_MONITOR_CENTRAL_HOST: expected a host name');
    const later = readRoleConfig(cpMonitorRole, [], {
      CP_MONITOR_CP_ID: 'CP-001',
      CP_MONITOR_CP_E_HOST: 'ev-cp-e-1',
      CP_MONITOR_CENTRAL_HOST: 'not-up-yet.invalid',
    });
    expect(later.kind).toBe('run');
  });

  it('CP_ENGINE_OUTBOX_FILE and DRIVER_STATE_FILE in a folder that does not exist exit 2 at start', async () => {
    const missing = resolve(dir, 'gone', 'file.json');
    // A path of the machine that runs the role: the plain reading (compose-files.test.ts) takes it.
    expect(
      readRoleConfig(cpEngineRole, [], { CP_ENGINE_CP_ID: 'x', CP_ENGINE_OUTBOX_FILE: missing }).kind,
    ).toBe('run');
    const engine = await readRoleConfigAtStart(cpEngineRole, [], {
      CP_ENGINE_CP_ID: 'CP-001',
      CP_ENGINE_OUTBOX_FILE: missing,
    });
    expect(text(engine)).toContain(
      'CP_ENGINE_OUTBOX_FILE: expected a file path in an existing, writable folder',
    );
    const driver = await readRoleConfigAtStart(driverRole, ['--state-file', missing], {
      DRIVER_DRIVER_ID: 'd',
      DRIVER_REQUESTS_FILE: 'r.txt',
    });
    expect(text(driver)).toContain('DRIVER_STATE_FILE (from --state-file): expected a file path');
    expect(text(driver)).not.toMatch(/\n\s+at /);
  });

  it('CENTRAL_BIND_HOST and CP_ENGINE_HEALTH_HOST are checked at start: resolvable and bindable', async () => {
    const central = await readRoleConfigAtStart(centralRole, [], {
      CENTRAL_BIND_HOST: 'no-such-host.invalid',
    });
    expect(central).toMatchObject({ kind: 'exit', code: 2, stream: 'stderr' });
    expect(text(central)).toContain('CENTRAL_BIND_HOST: expected an address of this machine to listen on');
    const engine = await readRoleConfigAtStart(cpEngineRole, ['--health-host', '192.0.2.1'], {
      CP_ENGINE_CP_ID: 'CP-001',
    });
    expect(text(engine)).toContain('CP_ENGINE_HEALTH_HOST (from --health-host): expected an address');
    const syntax = readRoleConfig(centralRole, [], { CENTRAL_BIND_HOST: 'no such host!' });
    expect(text(syntax)).toContain('CENTRAL_BIND_HOST: expected a host name');
    const fine = await readRoleConfigAtStart(centralRole, [], { CENTRAL_BIND_HOST: '127.0.0.1' });
    expect(fine.kind).toBe('run');
  });
});

describe('kafkajs log contexts', () => {
  it('lose their stack and keep the one-line error', () => {
    expect(
      withoutStack({
        kafkajs: 'Connection',
        error: 'connect ECONNREFUSED 127.0.0.1:1',
        stack: 'Error: x\n    at y',
      }),
    ).toEqual({ kafkajs: 'Connection', error: 'connect ECONNREFUSED 127.0.0.1:1' });
    const own = { err: new Error('x'), stack: 'kept: not a kafkajs line' };
    expect(withoutStack(own)).toBe(own);
  });
});
