/** What a key does; keys are single characters, compared case-insensitively. */
export type KeyBindings = Record<string, () => void>;

/**
 * Reads single key presses from a terminal (raw mode, no Enter needed) and calls the bound action.
 * Ctrl-C arrives as a key in raw mode, so it is passed to `onInterrupt` (the SIGINT path).
 * Does nothing when `input` is not a TTY (a container, a pipe). Returns the cleanup that restores
 * the terminal.
 *
 * @example
 * const stop = listenForKeys(process.stdin, { k: () => engine.setKo(true), r: () => engine.setKo(false) }, onCtrlC);
 */
export function listenForKeys(
  input: NodeJS.ReadStream,
  bindings: KeyBindings,
  onInterrupt: () => void,
): (() => void) | undefined {
  if (!input.isTTY || typeof input.setRawMode !== 'function') return undefined;
  const actions = new Map(Object.entries(bindings).map(([key, action]) => [key.toLowerCase(), action]));
  const onData = (chunk: string): void => {
    for (const char of chunk) {
      if (char === '\u0003') {
        onInterrupt();
        return;
      }
      actions.get(char.toLowerCase())?.();
    }
  };
  input.setRawMode(true);
  input.setEncoding('utf8');
  input.on('data', onData);
  input.resume();
  return () => {
    input.off('data', onData);
    if (input.isTTY) input.setRawMode(false);
    input.pause();
  };
}
