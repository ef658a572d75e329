import { describe, expect, it } from 'vitest';
import { count, emptyStats, TransportClosedError } from './transport.js';

describe('transport helpers', () => {
  it('TransportClosedError names the transport and what was attempted', () => {
    const error = new TransportClosedError('memory:cp-1', 'publish to "cp.status"');
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('TransportClosedError');
    expect(error.message).toBe('transport "memory:cp-1" is closed: cannot publish to "cp.status"');
  });

  it('emptyStats gives fresh, independent counters', () => {
    const a = emptyStats();
    const b = emptyStats();
    expect(a).toEqual({ published: {}, delivered: {}, rejected: {}, deadLettered: {} });
    count(a.published, 'cp.status');
    expect(b.published).toEqual({});
  });

  it('count adds one, or n, per topic', () => {
    const stats = emptyStats();
    count(stats.delivered, 'cp.status');
    count(stats.delivered, 'cp.status');
    count(stats.delivered, 'cp.telemetry', 5);
    expect(stats.delivered).toEqual({ 'cp.status': 2, 'cp.telemetry': 5 });
  });
});
