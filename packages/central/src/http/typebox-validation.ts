import type { TSchema } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { Value } from '@sinclair/typebox/value';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

const MAX_REASONS = 50;

/** An input error carrying every reason, answered with 400. */
export class InputError extends Error {
  readonly statusCode = 400;
  readonly code = 'FST_ERR_VALIDATION';
  constructor(readonly reasons: string[]) {
    super(reasons.join('; '));
  }
}

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/** The one error body of the API (`ok`/`reason` keep the monitor protocol's MonitorAck shape). */
export function errorBody(statusCode: number, message: string, reasons?: string[]) {
  return {
    ok: false as const,
    statusCode,
    error: STATUS_TEXT[statusCode] ?? 'Error',
    message,
    reason: message,
    ...(reasons ? { reasons } : {}),
  };
}

/**
 * Validates route input with TypeBox instead of Ajv: bodies strictly (a string is not a number),
 * query strings and params with conversion and defaults (they arrive as text). Every failing path is
 * reported, not just the first.
 */
export function useTypeBoxValidation(app: FastifyInstance): void {
  app.setValidatorCompiler(({ schema, httpPart }) => {
    const check = TypeCompiler.Compile(schema as TSchema);
    const convert = httpPart !== 'body';
    const part = httpPart ?? 'input';
    return (data: unknown) => {
      let value = data;
      if (convert)
        value = wholeNumbers(
          schema as TSchema,
          data,
          Value.Convert(schema as TSchema, Value.Default(schema as TSchema, Value.Clone(data ?? {}))),
        );
      if (check.Check(value)) return { value };
      const reasons: string[] = [];
      for (const error of check.Errors(value)) {
        reasons.push(`${part}${error.path || ''}: ${error.message}`);
        if (reasons.length >= MAX_REASONS) break;
      }
      return { error: new InputError(reasons.length > 0 ? reasons : [`${part}: invalid`]) };
    };
  });
  // Replies are plain JSON: response schemas document the API without trimming what is sent.
  app.setSerializerCompiler(() => (data: unknown) => JSON.stringify(data));
}

/**
 * TypeBox's Convert truncates numbers to integers ("1.5" → 1, "1e3" → 1, "true" → 1), so
 * `?limit=1e3` would silently become `limit=1`. Numeric query and path values are read whole
 * from the raw text instead; what is not a number stays text and fails the check with a reason.
 */
function wholeNumbers(schema: TSchema, raw: unknown, converted: unknown): unknown {
  if (typeof raw !== 'object' || raw === null || typeof converted !== 'object' || converted === null)
    return converted;
  if (!schema.properties) return converted;
  const input = raw as Record<string, unknown>;
  const output = converted as Record<string, unknown>;
  for (const [name, property] of Object.entries(schema.properties as Record<string, TSchema>)) {
    const text = input[name];
    if ((property.type === 'integer' || property.type === 'number') && typeof text === 'string') {
      const n = Number(text);
      output[name] = text.trim() !== '' && !Number.isNaN(n) ? n : text;
    }
  }
  return converted;
}

/** JSON errors for everything: bad input with its reasons, unknown routes, oversized bodies. */
export function useJsonErrors(app: FastifyInstance, onError?: (error: unknown) => void): void {
  app.setErrorHandler((error: FastifyError | InputError, _request: FastifyRequest, reply: FastifyReply) => {
    const status = typeof error.statusCode === 'number' && error.statusCode >= 400 ? error.statusCode : 500;
    if (status >= 500) {
      onError?.(error);
      return reply.code(status).send(errorBody(status, 'internal error'));
    }
    const reasons = error instanceof InputError ? error.reasons : undefined;
    return reply.code(status).send(errorBody(status, error.message, reasons));
  });
  app.setNotFoundHandler((request, reply) => {
    reply.code(404).send(errorBody(404, `no route ${request.method} ${request.url.split('?')[0]}`));
  });
}
