import { type Static, Type } from '@sinclair/typebox';

/**
 * Monitor → Central messages (HTTP in the original: `POST /cp/register`, `/cp/fault`,
 * `/cp/heartbeat`). Declared in core so the CP monitor and Central agree without depending on
 * each other; the transport between them is an injected link (HTTP, TCP 9999, or in-process).
 */
export const MonitorRegistrationSchema = Type.Object(
  {
    cp_id: Type.String({ minLength: 1, maxLength: 256 }),
    cp_e_host: Type.String({ minLength: 1, maxLength: 256, description: "Engine's health host" }),
    cp_e_port: Type.Integer({ minimum: 0, maximum: 65535, description: "Engine's health port" }),
    ts: Type.Optional(Type.String({ maxLength: 64 })),
    location: Type.Optional(Type.String({ maxLength: 256 })),
    price_eur_kwh: Type.Optional(Type.Number({ minimum: 0 })),
    kw: Type.Optional(Type.Number({ minimum: 0 })),
    secret: Type.Optional(
      Type.String({ maxLength: 256, description: 'Per-CP secret, when Central has one' }),
    ),
  },
  { additionalProperties: true, $id: 'MonitorRegistration' },
);
export type MonitorRegistration = Static<typeof MonitorRegistrationSchema>;

export const MonitorFaultReportSchema = Type.Object(
  {
    cp_id: Type.String({ minLength: 1, maxLength: 256 }),
    status: Type.Union([Type.Literal('FAULT'), Type.Literal('HEALTHY')]),
    reason: Type.Optional(Type.String({ maxLength: 1024 })),
    ts: Type.Optional(Type.String({ maxLength: 64 })),
    secret: Type.Optional(Type.String({ maxLength: 256 })),
  },
  { additionalProperties: true, $id: 'MonitorFaultReport' },
);
export type MonitorFaultReport = Static<typeof MonitorFaultReportSchema>;

/**
 * A monitor's sign of life. It may carry the monitor's current verdict on its engine (additive), so
 * a Central that restarted learns a FAULT it missed without waiting for the next change.
 */
export const MonitorHeartbeatSchema = Type.Object(
  {
    cp_id: Type.String({ minLength: 1, maxLength: 256 }),
    ts: Type.Optional(Type.String({ maxLength: 64 })),
    status: Type.Optional(
      Type.Union([Type.Literal('FAULT'), Type.Literal('HEALTHY')], {
        description: "The monitor's current verdict on its engine",
      }),
    ),
    reason: Type.Optional(Type.String({ maxLength: 1024, description: 'Why, when FAULT' })),
    secret: Type.Optional(Type.String({ maxLength: 256 })),
  },
  { additionalProperties: true, $id: 'MonitorHeartbeat' },
);
export type MonitorHeartbeat = Static<typeof MonitorHeartbeatSchema>;

/** What Central answers a monitor; `ok: false` carries the reason (unknown CP, bad secret, ...). */
export interface MonitorAck {
  ok: boolean;
  reason?: string;
}

/**
 * Central's side of the monitor protocol. Central implements it; a monitor reaches it through a
 * link (HTTP client, TCP client, or this object directly in a simulation).
 */
export interface CentralMonitorApi {
  register(registration: MonitorRegistration): Promise<MonitorAck>;
  heartbeat(heartbeat: MonitorHeartbeat): Promise<MonitorAck>;
  reportFault(report: MonitorFaultReport): Promise<MonitorAck>;
}
