import type { FastifyReply, FastifyRequest } from 'fastify';
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
