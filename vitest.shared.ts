// Resolve workspace packages to their TypeScript sources (the `@evcharging/source` export
// condition), so tests never run against a stale `dist/`.
const conditions = ['@evcharging/source', 'module', 'node', 'import', 'default'];

export const sourceConditions = {
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: ['@evcharging/source'] } },
};
