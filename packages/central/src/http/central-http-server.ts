import { isoTime, type Logger } from '@evcharging/core';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import type { CentralService } from '../central-service.js';
import { apiV1Routes } from './api-v1-routes.js';
import { auditRoutes } from './audit-routes.js';
import { renderCpListPage } from './cp-list-page.js';
import type { OperatorAuthOptions } from './operator-auth.js';
import { originalRoutes } from './original-routes.js';
import { errorBody, useJsonErrors, useTypeBoxValidation } from './typebox-validation.js';

export interface CentralHttpDeps {
  central: CentralService;
  logger?: Logger;
  /** Bearer token for operator commands; none: they are open (as in the original). */
  apiToken?: string;
  /** Largest accepted request body, bytes (default 64 KiB; larger → 413). */
  bodyLimit?: number;
  /** Serve the plain CP list at `GET /` (default true; a dashboard plugin turns it off to own `/`). */
  homePage?: boolean;
  /** OpenAPI document and UI at `/docs` (default true). */
  docs?: boolean;
}

/**
 * Builds Central's HTTP server (fastify): `/health`, the original's endpoints, `/api/v1`, `/metrics`,
 * OpenAPI at `/docs`, and the CP list page at `/`. It is returned before `ready()`, so a dashboard
 * can add its routes (and SSE) before listening.
 *
 * @example
 * const app = createCentralHttpServer({ central, apiToken: process.env.CENTRAL_API_TOKEN });
 * await app.listen({ port: 8000, host: '0.0.0.0' });
 */
export function createCentralHttpServer(deps: CentralHttpDeps): FastifyInstance {
  const { central } = deps;
  const app = Fastify({
    logger: false,
    bodyLimit: deps.bodyLimit ?? 64 * 1024,
    return503OnClosing: true,
    // keep-alive sockets must not hold `close()` up
    forceCloseConnections: true,
    // Above the 256 characters ids may have, so a longer id is a 400 with its reason, not a 414.
    routerOptions: { maxParamLength: 1024 },
    // Router errors (bad percent-encoding, an over-long parameter) get the API's error body too.
    frameworkErrors: (error, _request, reply) => {
      const status = typeof error.statusCode === 'number' ? error.statusCode : 400;
      (reply as FastifyReply).code(status).send(errorBody(status, error.message.slice(0, 300)));
    },
  });
  useTypeBoxValidation(app);
  useJsonErrors(app, (error) => deps.logger?.error({ err: error }, 'HTTP handler failed'));

  const histogram = central.metrics.httpDuration;
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    histogram.observe(
      { method: request.method, route, status_code: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
    deps.logger?.debug(
      { method: request.method, url: request.url, status: reply.statusCode, ms: reply.elapsedTime },
      'http',
    );
  });

  if (deps.docs ?? true) {
    app.register(swagger, {
      openapi: {
        info: {
          title: 'EV Charging Central',
          description:
            "Central's HTTP API: the original's endpoints (monitor protocol, CP reads) and the versioned /api/v1.",
          version: '1.0.0',
        },
        tags: [
          { name: 'original', description: "The original system's reads" },
          { name: 'monitor', description: 'CP monitor → Central' },
          { name: 'api', description: 'Versioned read API' },
          { name: 'operator', description: 'Operator commands (bearer token when CENTRAL_API_TOKEN is set)' },
        ],
        components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      },
    });
    app.register(swaggerUi, { routePrefix: '/docs' });
  }

  app.register(async (scope) => {
    originalRoutes(scope, central);
    const auth: OperatorAuthOptions = {
      apiToken: deps.apiToken,
      onRefused: (actor, action, target, reason) => central.auditRefusal(actor, action, target, reason),
    };
    apiV1Routes(scope, central, auth);
    auditRoutes(scope, central.store, auth);
    scope.get('/metrics', { schema: { hide: true } }, async (_request, reply) => {
      const registry = central.metrics.registry;
      return reply.header('content-type', registry.contentType).send(await registry.metrics());
    });
    if (deps.homePage ?? true) {
      scope.get('/', { schema: { hide: true } }, async (_request, reply) =>
        reply
          .header('content-type', 'text/html; charset=utf-8')
          .send(renderCpListPage(central.cps.list(), isoTime(central.now()))),
      );
    }
  });
  return app;
}
