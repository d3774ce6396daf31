/**
 * Runs a Community Solid Server in this (child) process: `node --import tsx solid-server-child.ts PORT CONFIG [ROOT]`.
 *
 * Started through CSS's `AppRunner` rather than its command line, because Components.js, left to itself, scans
 * every package of the root node_modules and finds the component files of Comunica 3/4 (pulled by the dev
 * dependency ldes-client), which clash with the Comunica 2 CSS needs and make it fetch a remote context
 * (offline: "Could not build the config files"). Here the module state is built by hand, without those packages.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { readFileSync } from 'node:fs';

const require = createRequire(import.meta.url);

interface ModuleState {
  mainModulePath: string;
  nodeModuleImportPaths: string[];
  nodeModulePaths: string[];
  packageJsons: Record<string, { name?: string; version?: string }>;
  componentModules: Record<string, string>;
  contexts: Record<string, string>;
  importPaths: Record<string, string>;
}
interface Builder {
  buildNodeModuleImportPaths(main: string): string[];
  buildNodeModulePaths(importPaths: string[]): Promise<string[]>;
  buildPackageJsons(paths: string[]): Promise<ModuleState['packageJsons']>;
  preprocessPackageJsons(jsons: ModuleState['packageJsons']): Promise<void>;
  buildComponentModules(jsons: ModuleState['packageJsons']): Promise<Record<string, string>>;
  buildComponentContexts(jsons: ModuleState['packageJsons']): Promise<Record<string, string>>;
  buildComponentImportPaths(jsons: ModuleState['packageJsons']): Promise<Record<string, string>>;
}

/** The major version of Components.js installed, which reads only component files written for it. */
const COMPONENTS_MAJOR = (JSON.parse(readFileSync(require.resolve('componentsjs/package.json'), 'utf8')) as { version: string }).version.split('.')[0];

/**
 * Whether a package is one CSS must not see: a Comunica other than major version 2 (CSS 7 is built on 2.x), or
 * component files written for another Components.js major version (rdf-dereference 4 wants Components.js 6).
 */
function clashes(path: string): boolean {
  try {
    const json = JSON.parse(readFileSync(join(path, 'package.json'), 'utf8')) as { name?: string; version?: string; 'lsd:module'?: unknown };
    if (json['lsd:module'] === undefined) return false;
    if ((json.name ?? '').startsWith('@comunica/') && !(json.version ?? '').startsWith('2.')) return true;
    const context = readFileSync(join(path, 'components', 'context.jsonld'), 'utf8');
    return [...context.matchAll(/componentsjs\/\^(\d+)/gu)].some((match) => match[1] !== COMPONENTS_MAJOR);
  } catch {
    return false;
  }
}

async function moduleState(main: string): Promise<ModuleState> {
  const { ModuleStateBuilder } = require('componentsjs') as { ModuleStateBuilder: new () => Builder };
  const builder = new ModuleStateBuilder();
  const nodeModuleImportPaths = builder.buildNodeModuleImportPaths(main);
  const nodeModulePaths = (await builder.buildNodeModulePaths(nodeModuleImportPaths)).filter((path) => !clashes(path));
  const packageJsons = await builder.buildPackageJsons(nodeModulePaths);
  await builder.preprocessPackageJsons(packageJsons);
  return {
    mainModulePath: main, nodeModuleImportPaths, nodeModulePaths, packageJsons,
    componentModules: await builder.buildComponentModules(packageJsons),
    contexts: await builder.buildComponentContexts(packageJsons),
    importPaths: await builder.buildComponentImportPaths(packageJsons),
  };
}

async function main(): Promise<void> {
  const [port = '3000', config = 'default.json', root] = process.argv.slice(2);
  const main = dirname(require.resolve('@solid/community-server/package.json'));
  const { AppRunner } = require('@solid/community-server') as {
    AppRunner: new () => { create(input: Record<string, unknown>): Promise<{ start(): Promise<void>; stop(): Promise<void> }> };
  };
  const app = await new AppRunner().create({
    loaderProperties: { mainModulePath: main, typeChecking: false, moduleState: await moduleState(main), logLevel: 'warn' },
    config: join(main, 'config', config),
    shorthand: {
      port: Number(port), baseUrl: process.env['CSS_BASE_URL'] ?? `http://127.0.0.1:${port}/`, loggingLevel: process.env['CSS_LOG_LEVEL'] ?? 'warn',
      ...(root === undefined ? {} : { rootFilePath: root }),
    },
  });
  await app.start();
  process.stdout.write(`CSS listening on ${process.env['CSS_BASE_URL'] ?? `http://127.0.0.1:${port}/`}\n`);
  const stop = (): void => void app.stop().finally(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
  process.exit(1);
});
