import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { AuditQuery, CentralStore } from '../store/central-store.js';
import { PageOf, PageQuerySchema, replies } from './http-schemas.js';
import { type OperatorAuthOptions, operatorGuard } from './operator-auth.js';

export const AuditEntrySchema = Type.Object(
  {
    id: Type.Optional(Type.Integer()),
    ts: Type.String({ description: 'When, ISO-8601 UTC' }),
    who: Type.String({ description: '`operator`, `anonymous`, a CP id, `in-process`' }),
    source_address: Type.String({ description: 'Remote address, or `in-process`' }),
    action: Type.String({ description: 'e.g. `cp.stop`, `monitor.register`, `tcp.operator`, `audit.read`' }),
    target: Type.Union([Type.String(), Type.Null()]),
    outcome: Type.String({ description: '`ok`, `unauthorized`, `not_found`, ...' }),
    detail: Type.Union([Type.String(), Type.Null()]),
  },
  { description: 'One audited operator or security event' },
);

export const AuditListQuery = Type.Composite(
  [
    PageQuerySchema,
    Type.Object({
      who: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
      action: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
    }),
  ],
  { additionalProperties: false },
);

/**
 * `GET /api/v1/audit`: the audit log of operator and security events, newest first, paginated and
 * filtered by who and action. Behind the operator's bearer token when Central has one (it shows
 * source addresses and refused attempts); a refused read is itself audited.
 */
export function auditRoutes(app: FastifyInstance, store: CentralStore, auth: OperatorAuthOptions): void {
  app.get(
    '/api/v1/audit',
    {
      schema: {
        tags: ['operator'],
        summary: 'Audit log of operator and security events, newest first',
        security: [{ bearer: [] }],
        querystring: AuditListQuery,
        response: replies(PageOf(AuditEntrySchema), 200, [400, 401]),
      },
      // The token first: a refused read learns nothing, not even what its query got wrong.
      onRequest: operatorGuard(auth, 'audit.read', () => 'audit'),
    },
    async (request) => store.listAudit(request.query as AuditQuery),
  );
}
