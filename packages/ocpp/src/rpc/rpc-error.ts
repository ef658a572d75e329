import { createRPCError } from 'ocpp-rpc';

/** OCPP-J error codes (OCPP 1.6 spells FormationViolation and OccurenceConstraintViolation so). */
export type OcppErrorCode =
  | 'NotImplemented'
  | 'NotSupported'
  | 'InternalError'
  | 'ProtocolError'
  | 'SecurityError'
  | 'FormationViolation'
  | 'PropertyConstraintViolation'
  | 'OccurenceConstraintViolation'
  | 'TypeConstraintViolation'
  | 'GenericError';

/**
 * An error that a call handler throws to answer with that CALLERROR.
 *
 * @example
 * socket.handle('UnlockConnector', () => { throw rpcError('NotSupported', 'no locking cable'); });
 */
export function rpcError(code: OcppErrorCode, message: string, details: object = {}): Error {
  return createRPCError(code, message, details) as unknown as Error;
}
