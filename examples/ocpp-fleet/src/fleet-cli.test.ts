import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { RPCServer } from 'ocpp-rpc';
import { describe, expect, it } from 'vitest';
import { parseFleetArgs, UsageError } from './fleet-options.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

function runCli(
  args: string[],
  timeoutMs = 120_000,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      ['--conditions=@evcharging/source', '--import', 'tsx', 'examples/ocpp-fleet/src/fleet.ts', ...args],
      { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('pnpm ocpp:fleet', () => {
  it('reads its flags and names the wrong one', () => {
    expect(parseFleetArgs(['--csms', 'ws://127.0.0.1:9000/ocpp/', '--cps', '3'])).toMatchObject({
      csms: 'ws://127.0.0.1:9000/ocpp',
      cps: 3,
      drivers: 0,
      meterIntervalS: 60,
      idPrefix: 'CP-',
    });
    expect(parseFleetArgs(['--help'])).toBe('help');
    const wrong = (args: string[]) => () => parseFleetArgs(args);
    expect(wrong(['--cps', '3'])).toThrow(new UsageError('--csms is required'));
    expect(wrong(['--csms', 'http://x', '--cps', '3'])).toThrow(/ws:\/\/ or wss:\/\//);
    expect(wrong(['--csms', 'ws://x', '--cps', '0'])).toThrow(/--cps must be a number from 1 to 18000/);
    expect(wrong(['--csms', 'ws://x', '--cps', '2.5'])).toThrow(/whole number/);
    expect(wrong(['--csms', 'ws://x', '--cps', '2', '--meter-interval', 'soon'])).toThrow(/--meter-interval/);
    expect(wrong(['--csms', 'ws://x', '--cps', '2', '--frobnicate'])).toThrow(UsageError);
  });

  it('prints the usage and exits 2 on a bad flag', async () => {
    const { code, stderr } = await runCli(['--csms', 'ws://127.0.0.1:1/ocpp', '--cps', 'many']);
    expect(code).toBe(2);
    expect(stderr).toContain('error: --cps must be a number');
    expect(stderr).toContain('usage: pnpm ocpp:fleet -- --csms <ws-url> --cps <n>');
  });

  it('runs a small fleet against a CSMS and prints the summary', async () => {
    const server = new RPCServer({ protocols: ['ocpp1.6'], strictMode: true });
    server.on('client', (client: { handle(h: (c: { method: string }) => unknown): void }) => {
      client.handle(({ method }) =>
        method === 'BootNotification'
          ? { status: 'Accepted', currentTime: new Date().toISOString(), interval: 60 }
          : method === 'Heartbeat'
            ? { currentTime: new Date().toISOString() }
            : {},
      );
    });
    const http = await server.listen(0, '127.0.0.1');
    const port = (http.address() as { port: number }).port;
    try {
      const { code, stdout } = await runCli([
        '--csms',
        `ws://127.0.0.1:${port}/ocpp`,
        '--cps',
        '5',
        '--duration',
        '4',
        '--id-prefix',
        'SIM-',
      ]);
      expect(code).toBe(0);
      expect(stdout).toContain('OCPP fleet summary');
      expect(stdout).toMatch(/charge points connected\s+5 of 5 \(booted 5\)/);
      expect(stdout).toMatch(/CALLERRORs received\s+0: none/);
      expect(stdout).toMatch(/CALL → CALLRESULT latency\s+p50 [\d.]+ ms/);
    } finally {
      await server.close({ force: true });
    }
  });
});
