import { Writable } from 'node:stream';
import { describe, expect, it, vi } from 'vitest';
import { LazyChildLogger } from './lazy-child-logger.js';
import { createLogger, type Logger } from './logger.js';

function sink() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n')) if (line) lines.push(JSON.parse(line));
      done();
    },
  });
  return { destination, lines };
}

const flushed = () => new Promise((resolve) => setImmediate(resolve));

describe('LazyChildLogger', () => {
  it('writes the same lines as the pino child it stands for, bindings and context included', async () => {
    const eager = sink();
    const lazy = sink();
    const write = (logger: Logger) => {
      logger.warn('plain');
      logger.error({ cp_id: 'CP-001' }, 'with context');
      logger.child({ session: 's-1' }).warn('grandchild');
    };
    write(createLogger({ level: 'warn', destination: eager.destination }).child({ node: 'n', plugin: 'p' }));
    write(
      new LazyChildLogger(createLogger({ level: 'warn', destination: lazy.destination }), {
        node: 'n',
        plugin: 'p',
      }),
    );
    await flushed();
    const strip = (lines: Record<string, unknown>[]) =>
      lines.map(({ time: _t, pid: _p, hostname: _h, ...rest }) => rest);
    expect(strip(lazy.lines)).toEqual(strip(eager.lines));
    expect(lazy.lines.map((l) => l.msg)).toEqual(['plain', 'with context', 'grandchild']);
    expect(lazy.lines[2]).toMatchObject({ node: 'n', plugin: 'p', session: 's-1' });
  });

  it('makes the child only at the first line its parent writes', () => {
    const parent = createLogger({ level: 'warn' });
    const child = vi.spyOn(parent, 'child');
    const logger = new LazyChildLogger(parent, { node: 'engine/CP-001' });
    logger.debug('below the level');
    logger.info({ a: 1 }, 'below too');
    expect(child).not.toHaveBeenCalled();
    logger.warn('written');
    logger.error('written again');
    expect(child).toHaveBeenCalledTimes(1);
    expect(child).toHaveBeenCalledWith({ node: 'engine/CP-001' });
  });
});
