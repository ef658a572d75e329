import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger, normalizeLevel, silentLogger } from './logger.js';

function sink() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk, _encoding, callback) {
      for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      callback();
    },
  });
  return { destination, lines };
}

describe('normalizeLevel', () => {
  it("maps the original's level names to pino's", () => {
    expect(normalizeLevel('INFO')).toBe('info');
    expect(normalizeLevel('WARNING')).toBe('warn');
    expect(normalizeLevel('CRITICAL')).toBe('fatal');
    expect(normalizeLevel('DEBUG')).toBe('debug');
    expect(normalizeLevel('ERROR')).toBe('error');
  });

  it("accepts pino's own names in any case, with surrounding spaces", () => {
    for (const level of ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const) {
      expect(normalizeLevel(` ${level.toUpperCase()} `)).toBe(level);
    }
  });

  it('falls back to info for unset or unknown levels', () => {
    expect(normalizeLevel(undefined)).toBe('info');
    expect(normalizeLevel('')).toBe('info');
    expect(normalizeLevel('verbose')).toBe('info');
  });
});

describe('createLogger', () => {
  const saved = process.env.LOG_LEVEL;
  afterEach(() => {
    if (saved === undefined) delete process.env.LOG_LEVEL;
    else process.env.LOG_LEVEL = saved;
  });

  it('writes one JSON line per entry with level, message, name and context', () => {
    const { destination, lines } = sink();
    const logger = createLogger({ level: 'INFO', name: 'central', destination });
    logger.info({ cp_id: 'CP-001' }, 'registered');
    logger.warn('heartbeat late');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({ level: 30, name: 'central', cp_id: 'CP-001', msg: 'registered' });
    expect(typeof lines[0]!.time).toBe('number');
    expect(lines[1]).toMatchObject({ level: 40, msg: 'heartbeat late' });
  });

  it('drops entries below the level', () => {
    const { destination, lines } = sink();
    const logger = createLogger({ level: 'WARNING', destination });
    logger.debug('noise');
    logger.info('noise');
    logger.error('kept');
    logger.fatal('kept too');
    expect(lines.map((l) => l.msg)).toEqual(['kept', 'kept too']);
  });

  it('child loggers carry their bindings', () => {
    const { destination, lines } = sink();
    const logger = createLogger({ level: 'debug', destination })
      .child({ node: 'cp-1' })
      .child({ plugin: 'engine' });
    logger.debug('started');
    expect(lines[0]).toMatchObject({ node: 'cp-1', plugin: 'engine', msg: 'started' });
  });

  it('is silent under vitest unless LOG_LEVEL asks otherwise', () => {
    delete process.env.LOG_LEVEL;
    const quiet = sink();
    createLogger({ destination: quiet.destination }).fatal('hidden');
    expect(quiet.lines).toEqual([]);

    process.env.LOG_LEVEL = 'WARNING';
    const loud = sink();
    const logger = createLogger({ destination: loud.destination });
    logger.info('below');
    logger.warn('shown');
    expect(loud.lines.map((l) => l.msg)).toEqual(['shown']);
  });

  it('an explicit level wins over LOG_LEVEL', () => {
    process.env.LOG_LEVEL = 'error';
    const { destination, lines } = sink();
    createLogger({ level: 'info', destination }).info('shown');
    expect(lines).toHaveLength(1);
  });
});

describe('silentLogger', () => {
  it('accepts every call and writes nothing', () => {
    const logger = silentLogger();
    expect((logger as unknown as { level: string }).level).toBe('silent');
    for (const level of ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const) {
      expect(() => logger[level]({ x: 1 }, 'ignored')).not.toThrow();
    }
    expect(() => logger.child({ node: 'x' }).error('ignored')).not.toThrow();
  });
});
