import type { Actor, CentralService, MonitorOutcome, OperatorResult } from '../central-service.js';
import { secretsMatch } from '../domain/secrets.js';

/** What one connection has proved so far. */
export interface ControlSession {
  readonly remote: string;
  /** CP ids this connection authenticated for, with the secret it presented. */
  readonly cps: Map<string, string | undefined>;
  operator: boolean;
}

/** The answer to one frame: ACK or NACK, then one data frame (`OK#...`, `LIST#...` or `ERR#...`). */
export interface ControlReply {
  ack: boolean;
  data: string;
}

export interface ControlContext {
  central: CentralService;
  apiToken: string | undefined;
}

const MAX_FIELD = 256;

/** Reply text without control bytes (STX/ETX would break the frame). `ERR#` is followed by the rest. */
function safeField(text: string): string {
  let out = '';
  for (const ch of text) out += ch.charCodeAt(0) < 0x20 ? ' ' : ch;
  return out;
}

const ok = (data: string): ControlReply => ({ ack: true, data });
const err = (reason: string): ControlReply => ({
  ack: false,
  data: `ERR#${safeField(reason)}`,
});

function fromOutcome(outcome: MonitorOutcome, success: string): ControlReply {
  return outcome.ok ? ok(success) : err(outcome.reason ?? 'refused');
}

function fromOperator(result: OperatorResult): ControlReply {
  return result.ok
    ? ok(`OK#${result.command.toUpperCase()}#${result.target}#${result.affected.length}`)
    : err(result.reason);
}

/**
 * Runs one control-plane frame `OpCode#field#...` (docs/wire-contract.md §7):
 *
 * | opcode | meaning |
 * |---|---|
 * | `PING` | liveness: `OK#PONG` |
 * | `AUTH#cp_id[#secret]` | this connection speaks for a CP (its secret when it has one) |
 * | `REGISTER#cp_id#cp_e_host#cp_e_port[#secret]` | a monitor registers its CP |
 * | `HEARTBEAT#cp_id` | a monitor heartbeat |
 * | `STATUS#cp_id#OK\|KO[#reason]` | the monitor's verdict: HEALTHY or FAULT |
 * | `OPERATOR#token` | operator login (needed for STOP/RESUME when Central has an API token) |
 * | `STOP#cp_id\|ALL`, `RESUME#cp_id\|ALL` | operator commands |
 * | `LIST` | `LIST#cp_id=STATE#...` |
 */
export async function runControlFrame(
  data: string,
  session: ControlSession,
  context: ControlContext,
): Promise<ControlReply> {
  const [rawOpcode = '', ...fields] = data.split('#');
  const opcode = rawOpcode.trim().toUpperCase();
  if (fields.some((f) => f.length > MAX_FIELD * 4)) return err('field too long');
  const { central } = context;
  const cpActor = (cpId: string): Actor => ({ who: cpId, source: session.remote });
  const cpField = (): string | undefined => {
    const id = fields[0]?.trim();
    return id && id.length <= MAX_FIELD ? id : undefined;
  };

  switch (opcode) {
    case 'PING':
      return ok('OK#PONG');

    case 'AUTH': {
      const cpId = cpField();
      if (!cpId) return err('usage: AUTH#cp_id[#secret]');
      const secret = fields[1];
      const known = central.registry.entry(cpId);
      if (!known) return err(`unknown CP "${cpId}"`);
      if (known.secret !== undefined && !secretsMatch(known.secret, secret)) {
        central.auditRefusal(cpActor(cpId), 'tcp.auth', cpId, 'wrong or missing secret');
        return err('unauthorized');
      }
      session.cps.set(cpId, secret);
      return ok(`OK#AUTH#${cpId}`);
    }

    case 'REGISTER': {
      const cpId = cpField();
      const port = Number(fields[2]);
      if (!cpId || !fields[1] || !Number.isInteger(port)) {
        return err('usage: REGISTER#cp_id#cp_e_host#cp_e_port[#secret]');
      }
      const secret = fields[3] ?? session.cps.get(cpId);
      const outcome = await central.register(
        { cp_id: cpId, cp_e_host: fields[1], cp_e_port: port, ...(secret !== undefined ? { secret } : {}) },
        cpActor(cpId),
      );
      if (outcome.ok) session.cps.set(cpId, secret);
      return fromOutcome(outcome, `OK#REGISTER#${cpId}`);
    }

    case 'HEARTBEAT': {
      const cpId = cpField();
      if (!cpId) return err('usage: HEARTBEAT#cp_id');
      const secret = session.cps.get(cpId);
      return fromOutcome(
        await central.heartbeat({ cp_id: cpId, ...(secret !== undefined ? { secret } : {}) }, cpActor(cpId)),
        `OK#HEARTBEAT#${cpId}`,
      );
    }

    case 'STATUS': {
      const cpId = cpField();
      const verdict = fields[1]?.trim().toUpperCase();
      if (!cpId || (verdict !== 'OK' && verdict !== 'KO')) return err('usage: STATUS#cp_id#OK|KO[#reason]');
      const reason = fields.slice(2).join('#').trim();
      const secret = session.cps.get(cpId);
      return fromOutcome(
        await central.reportFault(
          {
            cp_id: cpId,
            status: verdict === 'OK' ? 'HEALTHY' : 'FAULT',
            ...(reason ? { reason } : {}),
            ...(secret !== undefined ? { secret } : {}),
          },
          cpActor(cpId),
        ),
        `OK#STATUS#${cpId}`,
      );
    }

    case 'OPERATOR': {
      if (context.apiToken === undefined) {
        session.operator = true;
        return ok('OK#OPERATOR');
      }
      if (!secretsMatch(context.apiToken, fields[0])) {
        central.auditRefusal(
          { who: 'anonymous', source: session.remote },
          'tcp.operator',
          'operator',
          'invalid token',
        );
        return err('unauthorized');
      }
      session.operator = true;
      return ok('OK#OPERATOR');
    }

    case 'STOP':
    case 'RESUME': {
      const target = cpField();
      if (!target) return err(`usage: ${opcode}#cp_id|ALL`);
      const command = opcode === 'STOP' ? 'stop' : 'resume';
      if (context.apiToken !== undefined && !session.operator) {
        central.auditRefusal(
          { who: 'anonymous', source: session.remote },
          `cp.${command}`,
          target,
          'not logged in',
        );
        return err('unauthorized: send OPERATOR#<token> first');
      }
      const actor: Actor = {
        who: context.apiToken !== undefined ? 'operator' : 'anonymous',
        source: session.remote,
      };
      return fromOperator(
        command === 'stop' ? await central.stopCp(target, actor) : await central.resumeCp(target, actor),
      );
    }

    case 'LIST':
      return ok(['LIST', ...central.cps.list().map((cp) => `${cp.cp_id}=${cp.state}`)].join('#'));

    default:
      return err(`unknown opcode "${opcode.slice(0, 32)}"`);
  }
}
