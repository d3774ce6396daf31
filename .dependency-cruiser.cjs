/**
 * The layers of the code, written once and checked by `npm test` (`npm run lint:layers`).
 *
 * Imports point one way, from the edges to the vocabulary:
 *
 *   cli/, main.ts  →  app.ts  →  http/, auth/  →  catalog/, sync/, federation/, feed/ (services)
 *     →  store/, codec/, net/, urls/, timers/  →  errors/  →  ontology/
 *
 * Services never import one another: what one needs of another is a port it declares, and main.ts (the
 * composition root, the only place that builds concrete parts) passes the other in.
 */
const SERVICES = '(catalog|sync|federation|feed|orders)';

/** A rule forbidding `from` (a path regex) to import any of `to`. */
function forbid(name, comment, from, to, pathNot) {
  return {
    name,
    comment,
    severity: 'error',
    from: { path: from, ...(pathNot !== undefined ? { pathNot } : {}) },
    to: { path: to },
  };
}

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'A cycle makes two modules one: split the shared part out, or invert one dependency with a port.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    forbid('ontology-is-pure', 'ontology/ is the vocabulary: pure data and functions, importing nothing of the server.',
      '^ontology/', '^(server|test|bench|examples)/'),
    forbid('errors-are-the-floor', 'errors/ (HttpError, Problem) is imported by every layer and imports none.',
      '^server/errors/', '^server/(?!errors/)'),
    forbid('timers-are-low', 'timers/ is where background work is scheduled: it knows nothing of the node.',
      '^server/timers/', '^server/(?!timers/)'),
    forbid('urls-are-low', "urls/ is the node's URL layout: vocabulary and errors only.",
      '^server/urls/', '^server/(?!(errors|urls)/)'),
    forbid('codec-is-low', 'codec/ turns wire formats into records and back: no storage, network or services.',
      '^server/codec/', '^server/(?!(errors|codec|urls)/)'),
    forbid('net-is-low', "net/ is the safe HTTP client: transport and address policy, no DFC, no storage.",
      '^server/net/', '^server/(?!(errors|net)/)'),
    forbid('store-is-low', 'store/ is persistence: it knows records and its own port types, nothing above.',
      '^server/store/', '^server/(?!(errors|store|codec|urls)/)'),
    forbid('services-do-not-import-edges', 'A service is called by http/, cli/ and main.ts, never the reverse.',
      `^server/${SERVICES}/`, '^server/(http|auth|cli)/|^server/(main|app)\\.ts$'),
    ...['catalog', 'sync', 'federation', 'feed', 'orders'].map((service) => forbid(
      `${service}-does-not-import-other-services`,
      'Services are siblings: declare a port and let main.ts pass the other service in.',
      `^server/${service}/`, `^server/(?!${service}/)${SERVICES}/`,
    )),
    forbid('auth-is-below-http', 'auth/ checks credentials; it does not know routes or services.',
      '^server/auth/', `^server/(http|cli|${SERVICES})/|^server/(main|app)\\.ts$`),
    forbid('http-is-not-wiring', 'http/ takes its parts from createApp(deps); only main.ts and cli/ build them.',
      '^server/http/', '^server/cli/|^server/(main|app)\\.ts$'),
    forbid('app-builds-nothing-concrete', 'createApp(deps) wires routes; concrete stores and clients come from main.ts.',
      '^server/app\\.ts$', '^server/(cli|store/sqlite|net)/|^server/main\\.ts$'),
    forbid('only-the-cli-imports-the-cli', 'cli/ is an edge.', '^server/(?!cli/)', '^server/cli/'),
    forbid('production-code-does-not-import-tests', 'Tests, benchmarks and examples are outside the product.',
      '^(server|ontology)/', '^(test|bench|examples)/'),
  ],
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
