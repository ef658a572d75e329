import type { ConfigProblem } from '@evcharging/core';

const LEVELS = ['TRACE', 'DEBUG', 'INFO', 'WARNING', 'WARN', 'ERROR', 'CRITICAL', 'FATAL', 'SILENT'];

/** The original's level names (and pino's); anything else is a problem, not a silent INFO. */
export function checkLogLevel(level: string, variable: string): ConfigProblem[] {
  if (LEVELS.includes(level.trim().toUpperCase())) return [];
  return [{ variable, expected: `one of ${LEVELS.join(', ')}`, received: level }];
}
