// ESLint: the recommended JavaScript and typescript-eslint rules on every TypeScript file of the project.
// The import layers are checked by dependency-cruiser (.dependency-cruiser.cjs), not here.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'data/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      // A variable that a closure reads before its one assignment (a server handler and the server) stays `let`.
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
      // A leading underscore marks what is destructured away on purpose.
      '@typescript-eslint/no-unused-vars': ['error', {
        argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_', ignoreRestSiblings: true,
      }],
    },
  },
  {
    // A promise nobody awaits is an unhandled rejection when it fails, and Node ends the process on one: a request
    // whose answer threw after its handler returned took the whole node down (an If-Match refused on a GET). The
    // one rule that needs the types, on the node's own code only (it costs the lint about half a minute).
    files: ['server/**/*.ts', 'ontology/**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: { '@typescript-eslint/no-floating-promises': 'error' },
  },
  {
    // Background work runs on the node's one Timers (server/timers/), built by main.ts, so that stopping a node
    // stops everything and tests can drive time; a single request's deadlines stay with the request in net/.
    files: ['server/**/*.ts'],
    ignores: ['server/timers/**', 'server/net/**'],
    rules: {
      'no-restricted-globals': ['error',
        { name: 'setInterval', message: 'Schedule background work on the Timers that main.ts passes in (server/timers/).' },
        { name: 'setTimeout', message: 'Schedule background work on the Timers that main.ts passes in (server/timers/).' },
      ],
    },
  },
  {
    // chai's property assertions (`expect(x).to.be.true`) are expressions by design.
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-unused-expressions': 'off' },
  },
  {
    // The dashboard's own sources run in the browser as ES modules (no build step). The globals are listed here:
    // the `globals` package is not a dependency.
    files: ['web/**/*.js'],
    languageOptions: {
      sourceType: 'module',
      globals: Object.fromEntries(['window', 'document', 'navigator', 'fetch', 'URL', 'URLSearchParams', 'Intl', 'localStorage', 'sessionStorage',
        'setTimeout', 'clearTimeout', 'console', 'HTMLElement', 'Event'].map((name) => [name, 'readonly'])),
    },
  },
  {
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { module: 'writable', require: 'readonly' } },
  },
);
