import { type Static, type TSchema, Type } from '@sinclair/typebox';
import { TariffSchema } from './tariff.js';
import { VehicleSchema } from './vehicle.js';

/**
 * Wire schemas of the contract (docs/wire-contract.md), with the original system's snake_case field
 * names kept verbatim. Objects accept unknown fields so that additive changes never break an older
 * reader.
 */

const Id = (description: string) => Type.String({ minLength: 1, maxLength: 256, description });
const Timestamp = Type.String({ minLength: 1, maxLength: 64, description: 'ISO-8601 UTC timestamp' });
const NonNegative = (description: string) => Type.Number({ minimum: 0, description });
const Soc = (description: string) => Type.Number({ minimum: 0, maximum: 100, description });
const DepartureTime = Type.String({
  minLength: 1,
  maxLength: 64,
  description: 'ISO-8601 UTC time the driver leaves: the session ends then at the latest',
});

export const CP_STATES = ['DISCONNECTED', 'ACTIVATED', 'STOPPED', 'SUPPLYING', 'FAULT'] as const;
export const CpStateSchema = Type.Union(
  CP_STATES.map((s) => Type.Literal(s)),
  { description: 'Charging point state' },
);
export type CpState = (typeof CP_STATES)[number];

export const DRIVER_UPDATE_STATUSES = ['accepted', 'denied', 'in_progress', 'completed', 'failed'] as const;
export type DriverUpdateStatus = (typeof DRIVER_UPDATE_STATUSES)[number];

export const COMMANDS = [
  'start_supply',
  'stop_supply',
  'stop_cp',
  'resume_cp',
  'shutdown',
  'set_power_limit',
] as const;
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
    vehicle: Type.Optional(VehicleSchema),
    departure_time: Type.Optional(DepartureTime),
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
    soc: Type.Optional(Soc("The vehicle's state of charge, % (sessions with a vehicle)")),
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
    vehicle: Type.Optional(VehicleSchema),
    departure_time: Type.Optional(DepartureTime),
    limit_kw: Type.Optional(NonNegative('Power allocated to the session until a set_power_limit, kW')),
    tariff: Type.Optional(TariffSchema),
  },
  { additionalProperties: true, $id: 'StartSupplyPayload' },
);
export type StartSupplyPayload = Static<typeof StartSupplyPayloadSchema>;

/** Payload of `stop_supply`: which session (a stop for an older one is ignored) and why. */
export const StopSupplyPayloadSchema = Type.Object(
  {
    session_id: Type.Optional(TicketFields.session_id),
    reason: Type.Optional(Type.String({ maxLength: 1024, description: 'Why Central stops the supply' })),
  },
  { additionalProperties: true, $id: 'StopSupplyPayload' },
);
export type StopSupplyPayload = Static<typeof StopSupplyPayloadSchema>;

/** Payload of `set_power_limit`: the most the session may draw from now on. */
export const SetPowerLimitPayloadSchema = Type.Object(
  {
    session_id: TicketFields.session_id,
    limit_kw: NonNegative('Most the session may draw, kW'),
    seq: Type.Optional(
      Type.Integer({
        minimum: 1,
        description: "Central's number for this limit of the session (start_supply's limit is 0)",
      }),
    ),
  },
  { additionalProperties: true, $id: 'SetPowerLimitPayload' },
);
export type SetPowerLimitPayload = Static<typeof SetPowerLimitPayloadSchema>;

/** Payload of the commands that carry no figures (`stop_cp`, `resume_cp`, `shutdown`). */
export const NoPayloadSchema = Type.Object({}, { additionalProperties: true, $id: 'NoPayload' });
export type NoPayload = Static<typeof NoPayloadSchema>;

function commandSchema<C extends CommandName, P extends TSchema>(cmd: C, payload: P, description: string) {
  return Type.Object(
    {
      cmd: Type.Literal(cmd),
      cp_id: Id('Target charging point id'),
      payload,
      ts: Type.Optional(Timestamp),
    },
    { additionalProperties: true, $id: `CentralCommand.${cmd}`, description },
  );
}

/** `start_supply`: supply this driver's session (its payload is required). */
export const StartSupplyCommandSchema = commandSchema(
  'start_supply',
  StartSupplyPayloadSchema,
  'Start supplying a session Central accepted',
);
/** `stop_supply`: end the supply in progress (with a ticket). */
export const StopSupplyCommandSchema = commandSchema(
  'stop_supply',
  Type.Optional(StopSupplyPayloadSchema),
  'End the supply in progress',
);
/** `stop_cp`: out of order until `resume_cp`; a supply in progress ends. */
export const StopCpCommandSchema = commandSchema(
  'stop_cp',
  Type.Optional(NoPayloadSchema),
  'Put the CP out of order',
);
/** `resume_cp`: back in service after `stop_cp`. */
export const ResumeCpCommandSchema = commandSchema(
  'resume_cp',
  Type.Optional(NoPayloadSchema),
  'Put the CP back in service',
);
/** `shutdown`: the engine disconnects; a supply in progress ends. */
export const ShutdownCommandSchema = commandSchema(
  'shutdown',
  Type.Optional(NoPayloadSchema),
  'Disconnect the engine',
);

/** `set_power_limit`: the session's allocation (smart charging); honoured from receipt. */
export const SetPowerLimitCommandSchema = commandSchema(
  'set_power_limit',
  SetPowerLimitPayloadSchema,
  "Limit a session's power",
);

export type StartSupplyCommand = Static<typeof StartSupplyCommandSchema>;
export type StopSupplyCommand = Static<typeof StopSupplyCommandSchema>;
export type StopCpCommand = Static<typeof StopCpCommandSchema>;
export type ResumeCpCommand = Static<typeof ResumeCpCommandSchema>;
export type ShutdownCommand = Static<typeof ShutdownCommandSchema>;
export type SetPowerLimitCommand = Static<typeof SetPowerLimitCommandSchema>;

/** What every command has, whatever its `cmd` (reasons for a message whose `cmd` is unknown). */
export const CommandEnvelopeSchema = Type.Object(
  {
    cmd: Type.String({ description: 'The command' }),
    cp_id: Id('Target charging point id'),
    payload: Type.Optional(Type.Object({}, { additionalProperties: true })),
    ts: Type.Optional(Timestamp),
  },
  { additionalProperties: true, $id: 'CommandEnvelope' },
);

/** The schema of each command, by its `cmd`: validation picks the member by its tag. */
export const COMMAND_SCHEMAS = {
  start_supply: StartSupplyCommandSchema,
  stop_supply: StopSupplyCommandSchema,
  stop_cp: StopCpCommandSchema,
  resume_cp: ResumeCpCommandSchema,
  shutdown: ShutdownCommandSchema,
  set_power_limit: SetPowerLimitCommandSchema,
} as const satisfies Record<CommandName, TSchema>;

/**
 * `central.commands`: central → engine, a discriminated union on `cmd`, each member with its own
 * payload type.
 *
 * @example
 * function handle(command: CentralCommand) {
 *   if (command.cmd === 'start_supply') command.payload.session_id; // typed, required
 * }
 */
export const CentralCommandSchema = Type.Union(
  [
    StartSupplyCommandSchema,
    StopSupplyCommandSchema,
    StopCpCommandSchema,
    ResumeCpCommandSchema,
    ShutdownCommandSchema,
    SetPowerLimitCommandSchema,
  ],
  { $id: 'CentralCommand' },
);
export type CentralCommand =
  | StartSupplyCommand
  | StopSupplyCommand
  | StopCpCommand
  | ResumeCpCommand
  | ShutdownCommand
  | SetPowerLimitCommand;
/** The command with this `cmd`. */
export type CommandOf<C extends CommandName> = Extract<CentralCommand, { cmd: C }>;

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
    soc: Type.Optional(Soc("The vehicle's state of charge at `ts`, %")),
    limit_kw: Type.Optional(NonNegative('The power limit the engine honours now, kW')),
    limit_seq: Type.Optional(
      Type.Integer({ minimum: 0, description: 'The `seq` of that limit (0: the one in start_supply)' }),
    ),
    voltage_v: Type.Optional(
      NonNegative('AC: phase voltage, V (kw = voltage_v × current_a × phases / 1000)'),
    ),
    current_a: Type.Optional(NonNegative('AC: current per phase, A')),
    phases: Type.Optional(Type.Union([Type.Literal(1), Type.Literal(3)], { description: 'AC phases' })),
  },
  { additionalProperties: true, $id: 'CpTelemetry' },
);
export type CpTelemetry = Static<typeof CpTelemetrySchema>;

/**
 * Why a session ended, as the engine saw it. Central decides the session's outcome from this field,
 * never from the free-text `reason`:
 * - `target_energy`, `duration`, `vehicle_full`, `target_soc` (the vehicle reached the SoC its
 *   driver wanted), `departure` (the driver's departure time came): the session's own end (completed);
 * - `central`: Central asked (`stop_supply`, `stop_cp`): completed, unless Central had already
 *   failed the session (fault, lost monitor, no start);
 * - `fault`, `shutdown`, `interrupted`: the supply ended against the driver's wish (failed).
 */
export const SESSION_END_CAUSES = [
  'target_energy',
  'duration',
  'vehicle_full',
  'target_soc',
  'departure',
  'central',
  'fault',
  'shutdown',
  'interrupted',
] as const;
export type SessionEndCause = (typeof SESSION_END_CAUSES)[number];

/** The causes that fail a session: the supply ended against the driver's wish. */
export const FAILING_END_CAUSES: ReadonlySet<SessionEndCause> = new Set(['fault', 'shutdown', 'interrupted']);

/** `cp.session_end`: the engine's ticket, published once per ended session (through an outbox). */
export const SessionEndSchema = Type.Object(
  {
    cp_id: Id('Charging point id'),
    driver_id: Id('Driver id'),
    request_id: Type.Optional(Id('Request id')),
    ...TicketFields,
    ended_by: Type.Optional(
      Type.Union(
        SESSION_END_CAUSES.map((c) => Type.Literal(c)),
        { description: 'Why the session ended; absent (the original engine): a normal end' },
      ),
    ),
    reason: Type.Optional(Type.String({ maxLength: 1024, description: 'Why the session ended, for people' })),
    ts: Type.Optional(Timestamp),
    soc: Type.Optional(Soc("The vehicle's state of charge at the end, % (sessions with a vehicle)")),
  },
  { additionalProperties: true, $id: 'SessionEnd' },
);
export type SessionEnd = Static<typeof SessionEndSchema>;
