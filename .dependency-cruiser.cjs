/**
 * The layers of the code, written once and checked by `npm test` (`npm run lint:layers`).
 *
 * Imports point one way, from the edges to the vocabulary:
 *
 *   cli/, main.ts  →  app.ts  →  http/, auth/  →  catalog/, sync/, federation/, feed/, solid/ (services)
 *     →  store/, codec/, net/, urls/, timers/  →  errors/  →  ontology/
 *
 * Every import must be allowed by the table below: a new folder, or a file that is in no layer, can import
 * nothing of ours until it is given a row. Services never import one another: what one needs of another is a
 * port it declares, and main.ts (the composition root) passes the other in. Only main.ts and cli/ (the two
 * composition roots) reach the concrete SQLite store; everything else sees the ports in store/.
 */

/** One row per layer: the files it holds (a path regex), and the layers those files may import. */
const LAYERS = {
  ontology: { path: '^ontology/', may: [] },
  errors: { path: '^server/errors/', may: [] },
  timers: { path: '^server/timers/', may: [] },
  config: { path: '^server/config\\.ts$', may: [] },
  logging: { path: '^server/logging\\.ts$', may: [] },
  urls: { path: '^server/urls/', may: ['errors', 'ontology'] },
  net: { path: '^server/net/', may: ['errors'] },
  codec: { path: '^server/codec/', may: ['urls', 'errors', 'ontology'] },
  store: { path: '^server/store/(?!sqlite/)', may: ['errors', 'ontology'] },
  sqlite: { path: '^server/store/sqlite/', may: ['store', 'errors', 'ontology'] },
  catalog: { path: '^server/catalog/', may: ['store', 'codec', 'urls', 'errors', 'ontology'] },
  sync: { path: '^server/sync/', may: ['store', 'codec', 'net', 'urls', 'timers', 'errors', 'ontology'] },
  federation: { path: '^server/federation/', may: ['store', 'codec', 'urls', 'errors', 'ontology'] },
  feed: { path: '^server/feed/', may: ['store', 'codec', 'net', 'urls', 'timers', 'errors', 'ontology'] },
  solid: { path: '^server/solid/', may: ['store', 'codec', 'net', 'urls', 'timers', 'errors', 'ontology'] },
  orders: { path: '^server/orders/', may: ['store', 'codec', 'net', 'urls', 'timers', 'errors', 'ontology'] },
  auth: { path: '^server/auth/', may: ['store', 'errors', 'ontology'] },
  http: {
    path: '^server/http/',
    may: ['auth', 'catalog', 'sync', 'federation', 'feed', 'orders', 'store', 'codec', 'urls', 'errors', 'ontology'],
  },
  app: {
    path: '^server/app\\.ts$',
    may: ['http', 'auth', 'catalog', 'sync', 'federation', 'feed', 'orders', 'store', 'urls', 'errors', 'logging', 'ontology'],
  },
  main: {
    path: '^server/main\\.ts$',
    may: ['app', 'http', 'auth', 'catalog', 'sync', 'federation', 'feed', 'orders', 'solid', 'store', 'sqlite', 'codec', 'net', 'urls',
      'timers', 'errors', 'config', 'logging', 'ontology'],
  },
  cli: {
    path: '^server/cli/',
    may: ['main', 'app', 'http', 'auth', 'catalog', 'sync', 'federation', 'feed', 'orders', 'solid', 'store', 'sqlite', 'codec', 'net',
      'urls', 'timers', 'errors', 'config', 'logging', 'ontology'],
  },
};

/** The path regex of a layer's files. */
const pathOf = (name) => {
  const layer = LAYERS[name];
  if (layer === undefined) throw new Error(`.dependency-cruiser.cjs: no layer ${name}`);
  return layer.path;
};

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'A cycle makes two modules one: split the shared part out, or invert one dependency with a port.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'no-dev-dependencies-in-production',
      comment: 'Production code runs with the dependencies of package.json only.',
      severity: 'error',
      from: { path: '^(server|ontology)/' },
      to: { dependencyTypes: ['npm-dev'], dependencyTypesNot: ['type-only'] },
    },
  ],
  allowed: [
    // Node's own modules and the dependencies of package.json, from anywhere.
    { from: {}, to: { dependencyTypes: ['core', 'npm', 'npm-dev', 'type-only'], pathNot: '^(server|ontology|test|bench|examples)/' } },
    // Each layer imports itself and what its row names.
    ...Object.values(LAYERS).map((layer) => ({
      from: { path: layer.path },
      to: { path: [layer.path, ...layer.may.map(pathOf)].map((p) => `(?:${p})`).join('|') },
    })),
  ],
  allowedSeverity: 'error',
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|dist)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
    },
  },
};
