import type { EvNode, Logger } from '@evcharging/core';

export interface RunRoleOptions {
  program: string;
  node: EvNode;
  logger: Logger;
  /** Called once the node started (key presses, a hint for the user). Returns a cleanup. */
  onStarted?: () => (() => void) | undefined;
  /** Resolves with an exit code when the role finished its work by itself (the driver's list). */
  finished?: Promise<number>;
  /** Work after the node stopped (close a store). */
  afterStop?: () => void | Promise<void>;
  /** Longest a stop may take before the process exits anyway, ms (default 4,500: under 5 s). */
  stopDeadlineMs?: number;
}

/** A handle an entry point can use to stop its role (a key press of Ctrl-C in raw mode). */
export interface RoleControl {
  requestStop(reason: string): void;
}

/**
 * Runs one role's node as a process: starts it, stops it cleanly on SIGTERM or SIGINT (a second
 * signal exits at once), exits 1 when it cannot start or when the stop overruns its deadline, and
 * logs every step as a structured line.
 */
export function runRole(options: RunRoleOptions): RoleControl {
  const { node, logger, program } = options;
  const deadlineMs = options.stopDeadlineMs ?? 4_500;
  let starting: Promise<void> | undefined;
  let stopping = false;
  let cleanup: (() => void) | undefined;

  const exit = (code: number): never => {
    cleanup?.();
    process.exit(code);
  };

  const stop = async (reason: string, code: number): Promise<void> => {
    if (stopping) return;
    stopping = true;
    logger.info({ reason }, `${program} stopping`);
    // Not unref'd: it must fire even when a stuck socket is all that keeps the loop alive.
    const deadline = setTimeout(() => {
      logger.error({ deadline_ms: deadlineMs }, `${program} did not stop within ${deadlineMs} ms; exiting`);
      exit(1);
    }, deadlineMs);
    try {
      await starting?.catch(() => undefined);
      await node.stop();
      await options.afterStop?.();
      logger.info({ reason, exit_code: code }, `${program} stopped`);
    } catch (error) {
      logger.error({ err: error }, `${program} failed to stop cleanly`);
      code = 1;
    }
    clearTimeout(deadline);
    exit(code);
  };

  const control: RoleControl = {
    requestStop(reason) {
      void stop(reason, 0);
    },
  };

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      if (stopping) {
        logger.warn({ signal }, `${program}: second ${signal}, exiting now`);
        exit(signal === 'SIGINT' ? 130 : 143);
      }
      void stop(signal, 0);
    });
  }
  process.on('uncaughtException', (error) => {
    logger.fatal({ err: error }, `${program}: uncaught exception`);
    exit(1);
  });
  process.on('unhandledRejection', (error) => {
    logger.fatal({ err: error }, `${program}: unhandled rejection`);
    exit(1);
  });

  starting = node.start();
  starting.then(
    () => {
      if (stopping) return;
      logger.info({ plugins: node.plugins }, `${program} started`);
      cleanup = options.onStarted?.();
      options.finished?.then((code) => stop('finished', code));
    },
    (error: unknown) => {
      if (stopping) return;
      // A system error (a port in use, a broker refusing) is one line; anything else keeps its stack.
      const code = (error as NodeJS.ErrnoException | undefined)?.code;
      const context = typeof code === 'string' ? { code } : { err: error };
      logger.fatal(context, `${program} could not start: ${(error as Error).message}`);
      stopping = true;
      void (async () => {
        await options.afterStop?.();
        exit(1);
      })();
    },
  );
  return control;
}
