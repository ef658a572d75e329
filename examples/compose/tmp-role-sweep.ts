// Temporary measurement script (not committed): every variable of every compose role with a bad value.
import { spawnSync } from 'node:child_process';
import { envName } from '@evcharging/core';
import type { TSchema } from '@sinclair/typebox';
import { ROLES } from './src/roles/index.js';

const BASE: Record<string, Record<string, string>> = {
  central: { CENTRAL_HTTP_PORT: '0', CENTRAL_LISTEN_PORT: '0' },
  'cp-engine': { CP_ENGINE_CP_ID: 'CP-001', CP_ENGINE_HEALTH_PORT: '0' },
  'cp-monitor': { CP_MONITOR_CP_ID: 'CP-001' },
  driver: { DRIVER_DRIVER_ID: 'driver-x', DRIVER_REQUESTS_FILE: 'examples/compose/requests.txt' },
};
const SPECIAL: Record<string, string> = {
  kafka_bootstrap: 'kafka',
  log_level: 'LOUD',
  db_url: 'sqlite:////nonexistent-dir/sub/central.db',
  cps_file: '/nonexistent/cps.json',
  requests_file: '/nonexistent/requests.txt',
  state_file: '/nonexistent-dir/sub/state.json',
  outbox_file: '/nonexistent-dir/sub/outbox.json',
  health_host: 'no such host!',
  bind_host: 'no such host!',
  cp_e_host: 'no such host!',
  central_host: 'no such host!',
  api_token: ' ',
  secret: 'x'.repeat(300),
};
function bad(field: string, s: TSchema): string | undefined {
  if (SPECIAL[field] !== undefined) return SPECIAL[field];
  if (s.type === 'integer') return '1.5';
  if (s.type === 'number') return 'abc';
  if (s.type === 'boolean') return 'maybe';
  if (s.type === 'string' && s.pattern) return 'has spaces';
  if (s.type === 'string' && s.maxLength) return 'x'.repeat(s.maxLength + 1);
  return undefined;
}
const rows: string[] = [];
let n = 0, rejected = 0, stacks = 0;
for (const [name, role] of Object.entries(ROLES)) {
  for (const [field, s] of Object.entries(role.schema.properties) as [string, TSchema][]) {
    const value = bad(field, s);
    const variable = envName(role.prefix, field);
    if (value === undefined) { rows.push(`| ${name} | ${variable} | (any text) | - | - | - |`); continue; }
    const env = { PATH: process.env.PATH!, HOME: process.env.HOME!, KAFKA_BOOTSTRAP: '127.0.0.1:1', ...BASE[name], [variable]: value };
    const t = performance.now();
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--conditions=@evcharging/source', `examples/compose/src/${name}.ts`], { env, encoding: 'utf8', timeout: 12_000, cwd: '/work/main' });
    const ms = Math.round(performance.now() - t);
    const err = `${r.stderr}${r.stdout}`;
    const named = err.includes(variable);
    const stack = /\n\s+at [^\n]+[(:]\d+/.test(err) || /"stack":/.test(err);
    n++; if (r.status === 2 && named) rejected++; if (stack) stacks++;
    const first = err.split('\n').find((l) => l.includes(variable)) ?? err.split('\n')[0] ?? '';
    rows.push(`| ${name} | ${variable} | ${JSON.stringify(value.length > 20 ? value.slice(0, 12) + '…' : value)} | ${r.status ?? (r.signal ? 'killed (' + r.signal + ')' : '?')} | ${named ? 'yes' : 'NO'} | ${stack ? 'STACK' : 'no'} | ${ms} ms | ${first.trim().slice(0, 110).replace(/\|/g, '\\|')} |`);
    process.stderr.write('.');
  }
}
process.stdout.write(`${rows.join('\n')}\n\ntried ${n}, exit 2 naming the variable ${rejected}, with a stack ${stacks}\n`);
