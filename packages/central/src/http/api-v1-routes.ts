import type { CpState } from '@evcharging/core';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { CentralService, OperatorCommand } from '../central-service.js';
import type { SessionQuery } from '../store/central-store.js';
import {
  CommandBody,
  CommandReply,
  CpListQuery,
  CpViewSchema,
  DriverSummarySchema,
  FaultEventSchema,
  FaultListQuery,
  IdParams,
  PageOf,
  PageQuerySchema,
  replies,
  SessionListQuery,
  SessionSchema,
  SessionViewSchema,
} from './http-schemas.js';
import { type OperatorAuthOptions, operatorGuard, operatorOf } from './operator-auth.js';
import { errorBody } from './typebox-validation.js';

interface PageParams {
  limit: number;
  offset: number;
}

/** The versioned REST API: CPs, sessions, drivers, faults, report, and operator commands. */
export function apiV1Routes(app: FastifyInstance, central: CentralService, auth: OperatorAuthOptions): void {
  const notFound = (reply: FastifyReply, what: string, id: string) =>
    reply.code(404).send(errorBody(404, `unknown ${what} "${id}"`));

  app.get(
    '/api/v1/cps',
    {
      schema: {
        tags: ['api'],
        summary: 'CPs, optionally by state',
        querystring: CpListQuery,
        response: replies(PageOf(CpViewSchema), 200, [400]),
      },
    },
    async (request) => {
      const { limit, offset, state } = request.query as PageParams & { state?: CpState };
      // Views for the requested page only: with 10,000 CPs, building every view per request cost 95 %.
      const { items, total } = central.cps.page(offset, limit, state);
      return { items, total, limit, offset };
    },
  );

  app.get(
    '/api/v1/cps/:id',
    {
      schema: {
        tags: ['api'],
        summary: 'One CP',
        params: IdParams,
        response: replies(CpViewSchema, 200, [404]),
      },
    },
    async (request, reply) => {
      const { id } = request.params as { id: string };
      return central.cps.get(id) ?? notFound(reply, 'CP', id);
    },
  );

  app.get(
    '/api/v1/sessions',
    {
      schema: {
        tags: ['api'],
        summary: 'Sessions, newest first, filtered by CP, driver, status and request time',
        querystring: SessionListQuery,
        response: replies(PageOf(SessionSchema), 200, [400]),
      },
    },
    async (request) => central.store.listSessions(request.query as SessionQuery),
  );

  app.get(
    '/api/v1/sessions/:id',
    {
      schema: {
        tags: ['api'],
        summary: 'One session with its ticket',
        params: IdParams,
        response: replies(SessionViewSchema, 200, [404]),
      },
    },
    async (request, reply) => {
      const { id } = request.params as { id: string };
      return central.session(id) ?? notFound(reply, 'session', id);
    },
  );

  app.get(
    '/api/v1/drivers',
    {
      schema: {
        tags: ['api'],
        summary: 'Drivers seen in sessions',
        querystring: PageQuerySchema,
        response: replies(PageOf(DriverSummarySchema), 200, [400]),
      },
    },
    async (request) => central.store.listDrivers(request.query as PageParams),
  );

  app.get(
    '/api/v1/drivers/:id',
    {
      schema: {
        tags: ['api'],
        summary: 'One driver with their latest sessions',
        params: IdParams,
        response: replies(
          Type.Composite([DriverSummarySchema, Type.Object({ recent_sessions: Type.Array(SessionSchema) })]),
          200,
          [404],
        ),
      },
    },
    async (request, reply) => {
      const { id } = request.params as { id: string };
      const driver = central.store.getDriver(id);
      if (!driver) return notFound(reply, 'driver', id);
      return { ...driver, recent_sessions: central.store.listSessions({ driver_id: id, limit: 20 }).items };
    },
  );

  app.get(
    '/api/v1/faults',
    {
      schema: {
        tags: ['api'],
        summary: 'Fault and liveness events, newest first',
        querystring: FaultListQuery,
        response: replies(PageOf(FaultEventSchema), 200, [400]),
      },
    },
    async (request) => central.store.listFaults(request.query as PageParams & { cp_id?: string }),
  );

  app.get(
    '/api/v1/report',
    {
      schema: {
        tags: ['api'],
        summary: 'Figures since Central started: sessions, energy, revenue, utilisation, faults',
        response: replies(Type.Object({}, { additionalProperties: true })),
      },
    },
    async () => central.report(),
  );

  const run = async (
    request: FastifyRequest,
    reply: FastifyReply,
    command: OperatorCommand,
    target: string,
  ): Promise<unknown> => {
    const actor = operatorOf(request);
    const result =
      command === 'stop' ? await central.stopCp(target, actor) : await central.resumeCp(target, actor);
    if (!result.ok) return reply.code(404).send(errorBody(404, result.reason));
    return reply.code(202).send(result);
  };

  const commandSchema = {
    tags: ['operator'],
    security: [{ bearer: [] }],
    response: replies(CommandReply, 202, [400, 401, 404]),
  };

  app.post(
    '/api/v1/commands',
    {
      schema: {
        ...commandSchema,
        summary: 'Stop or resume one CP, or ALL (a stop ends a running supply with a ticket)',
        body: CommandBody,
      },
      // Checked before the body is read: a refusal names no command or CP (`cp.command`, `*`).
      onRequest: operatorGuard(auth, 'cp.command', () => '*'),
    },
    async (request, reply) => {
      const { command, cp_id } = request.body as { command: OperatorCommand; cp_id: string };
      return run(request, reply, command, cp_id);
    },
  );

  for (const command of ['stop', 'resume'] as const) {
    app.post(
      `/api/v1/cps/:id/${command}`,
      {
        schema: { ...commandSchema, summary: `${command} one CP, or ALL`, params: IdParams },
        onRequest: operatorGuard(auth, `cp.${command}`, (request) =>
          String((request.params as { id?: unknown }).id ?? '').slice(0, 256),
        ),
      },
      async (request, reply) => run(request, reply, command, (request.params as { id: string }).id),
    );
  }
}
