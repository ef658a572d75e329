/** The signal that switches an engine's KO on, as the `k` key does in a terminal. */
export const KO_SIGNAL = 'SIGUSR1';
/** The signal that switches it off again, as the `r` key does. */
export const RECOVER_SIGNAL = 'SIGUSR2';

/**
 * The engine's KO switch where there is no terminal for its keys (a container, a service manager):
 * `docker compose kill -s SIGUSR1 ev-cp-e-1` (or `kill -USR1 <pid>`) reports KO, SIGUSR2 recovers.
 * Install it before the node starts: until a listener exists, either signal ends the process.
 * Returns the cleanup that removes the listeners.
 *
 * @example
 * listenForKoSignals(process, { ko: () => engine.setKo(true, 'KO signalled'), recover: () => engine.setKo(false) });
 */
export function listenForKoSignals(
  target: Pick<NodeJS.Process, 'on' | 'off'>,
  actions: { ko: () => void; recover: () => void },
): () => void {
  const ko = () => actions.ko();
  const recover = () => actions.recover();
  target.on(KO_SIGNAL, ko);
  target.on(RECOVER_SIGNAL, recover);
  return () => {
    target.off(KO_SIGNAL, ko);
    target.off(RECOVER_SIGNAL, recover);
  };
}
