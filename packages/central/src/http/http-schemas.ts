import {
  CP_STATES,
  CpStateSchema,
  MonitorFaultReportSchema,
  MonitorHeartbeatSchema,
  MonitorRegistrationSchema,
} from '@evcharging/core';
import { type TSchema, Type } from '@sinclair/typebox';
import { MAX_PAGE_LIMIT, MAX_PAGE_OFFSET, SESSION_STATUSES } from '../store/central-store.js';

/** A route copy of a contract schema: without `$id`, so fastify and swagger do not register it twice. */
export function routeSchema<T extends TSchema>(schema: T): T {
  const { $id: _id, ...rest } = schema as T & { $id?: string };
  return rest as T;
}

const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

export const RegisterBody = routeSchema(MonitorRegistrationSchema);
export const FaultBody = routeSchema(MonitorFaultReportSchema);
export const HeartbeatBody = routeSchema(MonitorHeartbeatSchema);

export const ErrorReply = Type.Object(
  {
    ok: Type.Literal(false),
    statusCode: Type.Integer(),
    error: Type.String(),
    message: Type.String(),
    reason: Type.String(),
    reasons: Type.Optional(Type.Array(Type.String())),
  },
  { description: 'Every error: the HTTP status, a message and, for bad input, every reason' },
);

export const MonitorAckReply = Type.Object({ ok: Type.Boolean(), reason: Type.Optional(Type.String()) });

export const TelemetrySnapshotSchema = Type.Object({
  kw: Type.Number(),
  kwh: Type.Number(),
  euros: Type.Number(),
  ts: Type.String(),
  session_id: Type.Optional(Type.String()),
  driver_id: Type.Optional(Type.String()),
  soc: Type.Optional(Type.Number()),
});

export const CpViewSchema = Type.Object(
  {
    cp_id: Type.String(),
    location: Type.String(),
    price_eur_kwh: Type.Number(),
    kw: Type.Number(),
    state: CpStateSchema,
    engine_state: Nullable(CpStateSchema),
    monitor_alive: Type.Boolean(),
    monitor_health: Type.Union([Type.Literal('HEALTHY'), Type.Literal('FAULT')]),
    fault_reason: Nullable(Type.String()),
    operator_stopped: Type.Boolean(),
    driver_id: Nullable(Type.String()),
    session_id: Nullable(Type.String()),
    telemetry: Nullable(TelemetrySnapshotSchema),
    cp_e_host: Nullable(Type.String()),
    cp_e_port: Nullable(Type.Integer()),
    registered_at: Nullable(Type.String()),
    last_heartbeat_at: Nullable(Type.String()),
    source: Type.Union([Type.Literal('config'), Type.Literal('registration'), Type.Literal('engine')]),
    updated_at: Type.String(),
  },
  { description: 'A charging point as Central shows it' },
);

export const SessionStatusSchema = Type.Union(SESSION_STATUSES.map((s) => Type.Literal(s)));

export const SessionSchema = Type.Object({
  session_id: Type.String(),
  request_id: Type.String(),
  driver_id: Type.String(),
  cp_id: Type.String(),
  status: SessionStatusSchema,
  requested_at: Type.String(),
  start_time: Nullable(Type.String()),
  end_time: Nullable(Type.String()),
  kw: Type.Number(),
  energy_kwh: Type.Number(),
  total_cost_eur: Type.Number(),
  reason: Nullable(Type.String()),
  ticket_received: Type.Boolean(),
  target_kwh: Nullable(Type.Number()),
  duration_s: Nullable(Type.Number()),
  updated_at: Type.String(),
});

export const TicketSchema = Type.Object({
  session_id: Type.String(),
  cp_id: Type.String(),
  driver_id: Type.String(),
  request_id: Nullable(Type.String()),
  start_time: Type.String(),
  end_time: Type.String(),
  energy_kwh: Type.Number(),
  total_cost_eur: Type.Number(),
  reason: Nullable(Type.String()),
  received_at: Type.String(),
});

export const SessionViewSchema = Type.Composite([
  SessionSchema,
  Type.Object({ ticket: Nullable(TicketSchema) }),
]);

export const DriverSummarySchema = Type.Object({
  driver_id: Type.String(),
  sessions: Type.Integer(),
  completed: Type.Integer(),
  failed: Type.Integer(),
  open: Type.Integer(),
  energy_kwh: Type.Number(),
  total_cost_eur: Type.Number(),
  last_request_at: Type.String(),
});

export const FaultEventSchema = Type.Object({
  id: Type.Optional(Type.Integer()),
  cp_id: Type.String(),
  ts: Type.String(),
  kind: Type.String(),
  source: Type.String(),
  reason: Nullable(Type.String()),
});

export function PageOf<T extends TSchema>(item: T) {
  return Type.Object({
    items: Type.Array(item),
    total: Type.Integer(),
    limit: Type.Integer(),
    offset: Type.Integer(),
  });
}

const IsoTime = Type.String({ minLength: 1, maxLength: 64, description: 'ISO-8601 time' });

export const PageQuerySchema = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_PAGE_LIMIT, default: 50 })),
    offset: Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_PAGE_OFFSET, default: 0 })),
  },
  { additionalProperties: false },
);

export const CpListQuery = Type.Composite(
  [PageQuerySchema, Type.Object({ state: Type.Optional(Type.Union(CP_STATES.map((s) => Type.Literal(s)))) })],
  { additionalProperties: false },
);

export const SessionListQuery = Type.Composite(
  [
    PageQuerySchema,
    Type.Object({
      cp_id: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
      driver_id: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
      status: Type.Optional(SessionStatusSchema),
      from: Type.Optional(IsoTime),
      to: Type.Optional(IsoTime),
    }),
  ],
  { additionalProperties: false },
);

export const FaultListQuery = Type.Composite(
  [PageQuerySchema, Type.Object({ cp_id: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })) })],
  { additionalProperties: false },
);

export const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 256 }) });

export const CommandBody = Type.Object(
  {
    command: Type.Union([Type.Literal('stop'), Type.Literal('resume')]),
    cp_id: Type.String({ minLength: 1, maxLength: 256, description: 'A CP id, or ALL' }),
  },
  { additionalProperties: false },
);

export const CommandReply = Type.Object({
  ok: Type.Literal(true),
  command: Type.String(),
  target: Type.String(),
  affected: Type.Array(Type.String()),
});

/** Response schemas for the docs: replies are serialized with JSON.stringify, never trimmed. */
export function replies(ok: TSchema, okCode = 200, errors: number[] = []): Record<number, TSchema> {
  const result: Record<number, TSchema> = { [okCode]: ok };
  for (const code of errors) result[code] = ErrorReply;
  return result;
}
