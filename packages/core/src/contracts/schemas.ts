import { type Static, Type } from '@sinclair/typebox';

/**
 * Wire schemas of the original system (ORIGINAL.md §2), snake_case field names kept verbatim.
 * Objects accept unknown fields so that additive changes never break an older reader.
 */

const Id = (description: string) => Type.String({ minLength: 1, maxLength: 256, description });
const Timestamp = Type.String({ minLength: 1, maxLength: 64, description: 'ISO-8601 UTC timestamp' });
const NonNegative = (description: string) => Type.Number({ minimum: 0, description });

export const CP_STATES = ['DISCONNECTED', 'ACTIVATED', 'STOPPED', 'SUPPLYING', 'FAULT'] as const;
export const CpStateSchema = Type.Union(
  CP_STATES.map((s) => Type.Literal(s)),
  { description: 'Charging point state' },
);
export type CpState = (typeof CP_STATES)[number];

export const DRIVER_UPDATE_STATUSES = ['accepted', 'denied', 'in_progress', 'completed', 'failed'] as const;
export type DriverUpdateStatus = (typeof DRIVER_UPDATE_STATUSES)[number];

export const COMMANDS = ['start_supply', 'stop_supply', 'stop_cp', 'resume_cp', 'shutdown'] as const;
export type CommandName = (typeof COMMANDS)[number];

/** `driver.requests`: driver → central. Optional targets are additions to the original. */
export const DriverRequestSchema = Type.Object(
  {
    request_id: Id('Request id, e.g. req-1a2b3c4d'),
    driver_id: Id('Driver id'),
    cp_id: Id('Charging point id'),
    ts: Type.Optional(Timestamp),
    target_kwh: Type.Optional(Type.Number({ exclusiveMinimum: 0, description: 'Stop after this energy' })),
    duration_s: Type.Optional(
      Type.Number({ exclusiveMinimum: 0, description: 'Stop after this many seconds' }),
    ),
  },
  { additionalProperties: true, $id: 'DriverRequest' },
);
export type DriverRequest = Static<typeof DriverRequestSchema>;

/** Ticket fields: what the driver pays for one session. */
export const TicketFields = {
  session_id: Id('Session id, e.g. session-1a2b3c4d'),
  start_time: Timestamp,
  end_time: Timestamp,
  energy_kwh: NonNegative('Energy supplied in the session, kWh'),
  total_cost_eur: NonNegative('Cost of the session, €'),
};

/** `driver.updates`: central → driver. Ticket fields come with terminal updates once known. */
export const DriverUpdateSchema = Type.Object(
  {
    request_id: Id('Request id the update answers'),
    driver_id: Id('Driver id'),
    cp_id: Id('Charging point id'),
    status: Type.Union(DRIVER_UPDATE_STATUSES.map((s) => Type.Literal(s))),
    reason: Type.Optional(Type.String({ maxLength: 1024 })),
    ts: Type.Optional(Timestamp),
    session_id: Type.Optional(TicketFields.session_id),
    kw: Type.Optional(NonNegative('Current power, kW')),
    kwh: Type.Optional(NonNegative('Energy so far, kWh')),
    euros: Type.Optional(NonNegative('Cost so far, €')),
    start_time: Type.Optional(TicketFields.start_time),
    end_time: Type.Optional(TicketFields.end_time),
    energy_kwh: Type.Optional(TicketFields.energy_kwh),
    total_cost_eur: Type.Optional(TicketFields.total_cost_eur),
  },
  { additionalProperties: true, $id: 'DriverUpdate' },
);
export type DriverUpdate = Static<typeof DriverUpdateSchema>;

/** Payload of `start_supply`. */
export const StartSupplyPayloadSchema = Type.Object(
  {
    driver_id: Id('Driver id'),
    request_id: Id('Request id'),
    session_id: TicketFields.session_id,
    target_kwh: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
    duration_s: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
  },
  { additionalProperties: true, $id: 'StartSupplyPayload' },
);
export type StartSupplyPayload = Static<typeof StartSupplyPayloadSchema>;

/** `central.commands`: central → engine. */
export const CentralCommandSchema = Type.Object(
  {
    cmd: Type.Union(COMMANDS.map((c) => Type.Literal(c))),
    cp_id: Id('Target charging point id'),
    payload: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    ts: Type.Optional(Timestamp),
  },
  { additionalProperties: true, $id: 'CentralCommand' },
);
export type CentralCommand = Static<typeof CentralCommandSchema>;

/** `cp.status`: engine → central, on every state transition. */
export const CpStatusSchema = Type.Object(
  {
    cp_id: Id('Charging point id'),
    state: CpStateSchema,
    reason: Type.Optional(Type.String({ maxLength: 1024 })),
    ts: Type.Optional(Timestamp),
    session_id: Type.Optional(TicketFields.session_id),
  },
  { additionalProperties: true, $id: 'CpStatus' },
);
export type CpStatus = Static<typeof CpStatusSchema>;

/** `cp.telemetry`: engine → central, every interval while supplying. */
export const CpTelemetrySchema = Type.Object(
  {
    cp_id: Id('Charging point id'),
    kw: NonNegative('Current power, kW'),
    euros: NonNegative('Cumulative cost of the session, €'),
    kwh: Type.Optional(NonNegative('Cumulative energy of the session, kWh')),
    driver_id: Type.Optional(Id('Driver id')),
    session_id: Type.Optional(TicketFields.session_id),
    ts: Type.Optional(Timestamp),
  },
  { additionalProperties: true, $id: 'CpTelemetry' },
);
export type CpTelemetry = Static<typeof CpTelemetrySchema>;

/** `cp.session_end`: the engine's ticket, published once per ended session (through an outbox). */
export const SessionEndSchema = Type.Object(
  {
    cp_id: Id('Charging point id'),
    driver_id: Id('Driver id'),
    request_id: Type.Optional(Id('Request id')),
    ...TicketFields,
    reason: Type.Optional(Type.String({ maxLength: 1024, description: 'Why the session ended' })),
    ts: Type.Optional(Timestamp),
  },
  { additionalProperties: true, $id: 'SessionEnd' },
);
export type SessionEnd = Static<typeof SessionEndSchema>;
