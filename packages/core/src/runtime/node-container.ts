import type { DependencyContainer, InjectionToken } from 'tsyringe';
import type { Token } from './tokens.js';

/**
 * A node's (or a plugin's) tsyringe container, with `resolve` typed from a typed {@link Token}:
 * `node.container.resolve(TOKENS.Clock)` is a `Clock`, no type argument needed. Every other member
 * is tsyringe's own.
 *
 * @example
 * const clock = node.container.resolve(TOKENS.Clock); // Clock
 * const store = ctx.container.resolve(CENTRAL_TOKENS.Store); // CentralStore
 */
export interface NodeContainer extends DependencyContainer {
  resolve<T>(token: Token<T>): T;
  resolve<T>(token: InjectionToken<T>): T;
  createChildContainer(): NodeContainer;
}
