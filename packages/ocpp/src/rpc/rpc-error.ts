import { createRPCError } from 'ocpp-rpc';

/**
 * OCPP-J error codes as OCPP 1.6J sends them (FormationViolation; OccurrenceConstraintViolation as
 * its errata corrected it). ocpp-rpc turns the 2.0.1 names into these on a 1.6 connection.
 */
export type OcppErrorCode =
  | 'NotImplemented'
  | 'NotSupported'
  | 'InternalError'
  | 'ProtocolError'
  | 'SecurityError'
  | 'FormationViolation'
  | 'PropertyConstraintViolation'
  | 'OccurrenceConstraintViolation'
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
