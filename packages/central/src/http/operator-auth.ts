import type { FastifyReply, FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import type { Actor } from '../central-service.js';
import { secretsMatch } from '../domain/secrets.js';
import { errorBody } from './typebox-validation.js';

/** What the auth check needs: the token (if any) and where refusals are audited. */
export interface OperatorAuthOptions {
  apiToken: string | undefined;
  onRefused: (actor: Actor, action: string, target: string, reason: string) => void;
}

/** The bearer token of an `Authorization` header, if there is one. */
export function bearerToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
}

/**
 * Checks the operator's bearer token (constant-time) when Central has one; answers 401 otherwise.
 * Returns the actor to audit, or undefined when the reply was already sent.
 */
export function authorizeOperator(
  options: OperatorAuthOptions,
  request: FastifyRequest,
  reply: FastifyReply,
  action: string,
  target: string,
): Actor | undefined {
  if (options.apiToken === undefined) return { who: 'anonymous', source: request.ip };
  const presented = bearerToken(request.headers.authorization);
  if (secretsMatch(options.apiToken, presented)) return { who: 'operator', source: request.ip };
  const reason = presented === undefined ? 'a bearer token is required' : 'invalid bearer token';
  options.onRefused({ who: 'anonymous', source: request.ip }, action, target, reason);
  reply.code(401).header('www-authenticate', 'Bearer realm="central"').send(errorBody(401, reason));
  return undefined;
}

/** The actor each guarded request was authorized as, set by {@link operatorGuard}. */
const operators = new WeakMap<FastifyRequest, Actor>();

/**
 * An `onRequest` hook for an operator route: the token is checked before the body is read or
 * anything is validated, so a request without a valid token gets 401 whatever it carries. The
 * refusal is audited under `action` and `target(request)` (path parameters only: there is no body
 * yet). The handler gets the actor from {@link operatorOf}.
 *
 * @example
 * app.post('/api/v1/cps/:id/stop', { onRequest: operatorGuard(auth, 'cp.stop', (r) => r.params.id) }, handler);
 */
export function operatorGuard(
  options: OperatorAuthOptions,
  action: string,
  target: (request: FastifyRequest) => string,
): onRequestAsyncHookHandler {
  return async (request, reply) => {
    const actor = authorizeOperator(options, request, reply, action, target(request));
    if (actor) operators.set(request, actor);
    else return reply;
  };
}

/** The actor {@link operatorGuard} authorized this request as. */
export function operatorOf(request: FastifyRequest): Actor {
  const actor = operators.get(request);
  if (!actor) throw new Error(`operator route ${request.url} has no operatorGuard`);
  return actor;
}
