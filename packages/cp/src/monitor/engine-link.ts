import { type ProbeResult, parseHealthAnswer } from '../health/health-answer.js';

/** How a monitor reaches its engine: the TCP health protocol in deployments, a call in simulations. */
export interface EngineLink {
  /** Where the engine's health endpoint is, as registered with Central (`cp_e_host`, `cp_e_port`). */
  readonly host: string;
  readonly port: number;
  /** One health probe; never rejects: failures come back as `{ ok: false, reason }`. */
  probe(): Promise<ProbeResult>;
  /**
   * The same probe answered at once, for a link that reaches its engine in the same process: the
   * monitor then judges it in the tick that made it, without a promise (a simulated city probes
   * thousands of engines every interval). Never throws.
   */
  probeNow?(): ProbeResult;
  /** Releases what the link holds (sockets). */
  close?(): Promise<void>;
}

/** Anything that answers health probes in process (the engine plugin does). */
export interface ProbeTarget {
  probe(): string;
}

/** Calls the engine directly; a class, so a fleet of links shares its methods. */
class InProcessEngineLink implements EngineLink {
  readonly host = 'in-process';
  readonly port = 0;

  constructor(private readonly target: ProbeTarget | (() => ProbeTarget | undefined)) {}

  probe(): Promise<ProbeResult> {
    return Promise.resolve(this.probeNow());
  }

  probeNow(): ProbeResult {
    const engine = typeof this.target === 'function' ? this.target() : this.target;
    if (!engine) return { ok: false, reason: 'engine unreachable' };
    try {
      return parseHealthAnswer(engine.probe());
    } catch (error) {
      return { ok: false, reason: `probe failed: ${(error as Error).message}` };
    }
  }
}

/**
 * An in-process link: calls the engine's `probe()` directly and reads the answer with the same
 * parser as the TCP link, so a simulation sees exactly the answers a deployment would. No ports.
 * Pass a function to look the engine up on every probe (undefined = unreachable, e.g. killed).
 *
 * @example
 * const engine = chargingPointEngine({ cpId: 'CP-001' });
 * const monitor = chargingPointMonitor({ cpId: 'CP-001', engine: inProcessEngineLink(engine), central });
 */
export function inProcessEngineLink(target: ProbeTarget | (() => ProbeTarget | undefined)): EngineLink {
  return new InProcessEngineLink(target);
}
