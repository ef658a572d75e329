import {
  isoTime,
  type MonitorFaultReport,
  type MonitorHeartbeat,
  type MonitorRegistration,
} from '@evcharging/core';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { CentralService, MonitorOutcome } from '../central-service.js';
import {
  CpViewSchema,
  FaultBody,
  HeartbeatBody,
  IdParams,
  MonitorAckReply,
  RegisterBody,
  replies,
} from './http-schemas.js';
import { errorBody } from './typebox-validation.js';

const STATUS_FOR: Record<NonNullable<MonitorOutcome['code']>, number> = {
  invalid: 400,
  unknown_cp: 404,
  unauthorized: 401,
};

function answer(reply: FastifyReply, outcome: MonitorOutcome) {
  if (outcome.ok) return reply.send({ ok: true });
  const status = STATUS_FOR[outcome.code ?? 'invalid'];
  return reply.code(status).send(errorBody(status, outcome.reason ?? 'refused', outcome.reasons));
}

const actorOf = (request: FastifyRequest, cpId: string) => ({ who: cpId, source: request.ip });

/** The original's endpoints (docs/wire-contract.md §5): health, CP reads, telemetry, and the monitor protocol. */
export function originalRoutes(app: FastifyInstance, central: CentralService): void {
  app.get(
    '/health',
    {
      schema: {
        tags: ['original'],
        summary: 'Liveness of Central',
        response: replies(
          Type.Object(
            { status: Type.Literal('healthy'), service: Type.String() },
            { additionalProperties: true },
          ),
        ),
      },
    },
    async () => ({
      status: 'healthy',
      service: 'central',
      cps: central.cps.size,
      store: central.store.kind,
      shutting_down: central.isShuttingDown,
      started_at: isoTime(central.startedAt),
      uptime_s: Math.round(central.uptimeMs() / 1000),
      ts: isoTime(central.now()),
    }),
  );

  app.get(
    '/cp',
    { schema: { tags: ['original'], summary: 'Every CP', response: replies(Type.Array(CpViewSchema)) } },
    async () => central.cps.list(),
  );

  app.get(
    '/cp/:id',
    {
      schema: {
        tags: ['original'],
        summary: 'One CP',
        params: IdParams,
        response: replies(CpViewSchema, 200, [404]),
      },
    },
    async (request, reply) => {
      const { id } = request.params as { id: string };
      const cp = central.cps.get(id);
      if (!cp) return reply.code(404).send(errorBody(404, `unknown CP "${id}"`));
      return cp;
    },
  );

  app.get(
    '/telemetry',
    {
      schema: {
        tags: ['original'],
        summary: 'Last telemetry of every CP that has sent some',
        response: replies(Type.Array(Type.Object({}, { additionalProperties: true }))),
      },
    },
    async () =>
      central.cps
        .list()
        .filter((cp) => cp.telemetry !== null)
        .map((cp) => ({ cp_id: cp.cp_id, state: cp.state, driver_id: cp.driver_id, ...cp.telemetry })),
  );

  const monitorErrors = [400, 401, 404];
  app.post(
    '/cp/register',
    {
      schema: {
        tags: ['monitor'],
        summary: 'A monitor registers its CP',
        body: RegisterBody,
        response: replies(MonitorAckReply, 200, monitorErrors),
      },
    },
    async (request, reply) => {
      // The route's schema validated the body.
      const body = request.body as MonitorRegistration;
      return answer(reply, await central.monitors.register(body, actorOf(request, body.cp_id)));
    },
  );

  app.post(
    '/cp/fault',
    {
      schema: {
        tags: ['monitor'],
        summary: 'A monitor reports FAULT or HEALTHY',
        body: FaultBody,
        response: replies(MonitorAckReply, 200, monitorErrors),
      },
    },
    async (request, reply) => {
      // The route's schema validated the body.
      const body = request.body as MonitorFaultReport;
      return answer(reply, await central.monitors.reportFault(body, actorOf(request, body.cp_id)));
    },
  );

  app.post(
    '/cp/heartbeat',
    {
      schema: {
        tags: ['monitor'],
        summary: 'A monitor says it is alive (5 s without one: DISCONNECTED)',
        body: HeartbeatBody,
        response: replies(MonitorAckReply, 200, monitorErrors),
      },
    },
    async (request, reply) => {
      // The route's schema validated the body.
      const body = request.body as MonitorHeartbeat;
      return answer(reply, await central.monitors.heartbeat(body, actorOf(request, body.cp_id)));
    },
  );
}
