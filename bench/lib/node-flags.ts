/**
 * The Node flags every shipped entry point runs with (the pnpm scripts, the local-run role
 * processes, the images' `NODE_OPTIONS`): semi-spaces of up to 64 MiB. The benches run their child
 * processes the same way by default, so their figures are what a user gets; `--node-flags=` (empty)
 * measures a bare `node` instead.
 */
export const SHIPPED_NODE_FLAGS = '--max-semi-space-size=64';

/** The flags of a bench's `--node-flags` option as arguments. */
export function nodeFlagsOf(option: string): string[] {
  return option.split(' ').filter((flag) => flag !== '');
}
