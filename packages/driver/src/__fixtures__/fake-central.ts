import {
  type DriverRequest,
  type DriverUpdate,
  definePlugin,
  isoTime,
  type PluginContext,
} from '@evcharging/core';

export interface FakeCentralOptions {
  /** CP ids it knows, with their power (kW) and price (€/kWh). */
  cps: Record<string, { kw: number; price: number }>;
  /** Session length when the request names no target, s (default 10). */
  defaultDurationS?: number;
  /** CP ids whose requests get no answer at all (to test timeouts). */
  silent?: string[];
  /** Answer these CP ids only after this delay, ms (to test late outcomes). */
  lateMs?: Record<string, number>;
  /** Send `completed` first and the ticket in a second update (Central learning it later). */
  ticketAfterMs?: number;
  /** CP ids that accept a request and then never end the session. */
  hang?: string[];
  /** Seconds between in_progress updates (default 1). */
  progressEveryS?: number;
}

/**
 * A test-only stand-in for Central and the engines: accepts a request for a free CP, sends
 * `in_progress` every second with the energy so far, and `completed` with a ticket at the end.
 */
export function fakeCentral(options: FakeCentralOptions) {
  const busy = new Set<string>();
  /** Last update sent per request id: a repeated request gets it again (like Central). */
  const last = new Map<string, Record<string, unknown>>();
  let duplicates = 0;
  const sessions: { cp_id: string; driver_id: string; request_id: string; energy_kwh: number }[] = [];
  let seq = 0;
  return definePlugin({
    name: 'fake-central',
    sessions,
    duplicates: () => duplicates,
    /** What a fleet's catalog would show: free CPs are ACTIVATED, busy ones SUPPLYING. */
    cpViews: () =>
      Object.entries(options.cps).map(([cp_id, cp]) => ({
        cp_id,
        state: busy.has(cp_id) ? 'SUPPLYING' : 'ACTIVATED',
        price_eur_kwh: cp.price,
        kw: cp.kw,
      })),
    async start(ctx: PluginContext) {
      const update = (req: DriverRequest, status: string, extra: Record<string, unknown> = {}) => {
        const message = {
          request_id: req.request_id,
          driver_id: req.driver_id,
          cp_id: req.cp_id,
          status: status as 'accepted',
          ts: isoTime(ctx.clock.now()),
          ...extra,
        };
        last.set(req.request_id, message);
        return ctx.transport.publish('driver.updates', message);
      };
      const serve = async (req: DriverRequest) => {
        const cp = options.cps[req.cp_id];
        if (!cp) return update(req, 'denied', { reason: `unknown CP ${req.cp_id}` });
        if (busy.has(req.cp_id)) return update(req, 'denied', { reason: `CP ${req.cp_id} is busy` });
        busy.add(req.cp_id);
        const sessionId = `session-${(++seq).toString(16).padStart(8, '0')}`;
        const start = ctx.clock.now();
        await update(req, 'accepted', { session_id: sessionId });
        if (options.hang?.includes(req.cp_id)) return;
        // Ends at the energy target or the duration, whichever comes first (like the engine).
        const limits = [req.duration_s, req.target_kwh && (req.target_kwh / cp.kw) * 3600].filter(
          (v): v is number => typeof v === 'number' && v > 0,
        );
        const seconds = limits.length > 0 ? Math.min(...limits) : (options.defaultDurationS ?? 10);
        const every = options.progressEveryS ?? 1;
        let t = every;
        for (; t < seconds; t += every) {
          await ctx.clock.sleep(every * 1000);
          await update(req, 'in_progress', { session_id: sessionId, kw: cp.kw, kwh: (cp.kw * t) / 3600 });
        }
        await ctx.clock.sleep((seconds - (t - every)) * 1000);
        const kwh = Math.round(((cp.kw * seconds) / 3600) * 1000) / 1000;
        const ticket = {
          session_id: sessionId,
          start_time: isoTime(start),
          end_time: isoTime(ctx.clock.now()),
          energy_kwh: kwh,
          total_cost_eur: Math.round(kwh * cp.price * 100) / 100,
        };
        busy.delete(req.cp_id);
        sessions.push({
          cp_id: req.cp_id,
          driver_id: req.driver_id,
          request_id: req.request_id,
          energy_kwh: kwh,
        });
        if (options.ticketAfterMs !== undefined) {
          await update(req, 'completed', { session_id: sessionId });
          await ctx.clock.sleep(options.ticketAfterMs);
          await update(req, 'completed', ticket);
        } else {
          await update(req, 'completed', ticket);
        }
      };
      await ctx.transport.subscribe('driver.requests', { group: 'fake-central' }, (req) => {
        if (options.silent?.includes(req.cp_id)) return;
        const known = last.get(req.request_id);
        if (known) {
          duplicates++;
          if (!('status' in known)) return; // not answered yet: the answer is on its way
          return ctx.transport.publish('driver.updates', {
            ...(known as DriverUpdate),
            ts: isoTime(ctx.clock.now()),
          });
        }
        last.set(req.request_id, {});
        const delay = options.lateMs?.[req.cp_id] ?? 0;
        // Serve in the background so one long session does not hold up the partition.
        void ctx.clock.sleep(delay).then(() => serve(req));
      });
    },
  });
}
