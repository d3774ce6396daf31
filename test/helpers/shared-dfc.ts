/**
 * Access to the official DFC files in `../shared/dfc/` (AGPL data of another project, never copied into the
 * repository). Tests that need them skip, with a message, on a machine that does not have them.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

/** The shared DFC folder, wherever the checkout sits beside `shared/`. */
export const SHARED_DFC = [resolve(here, '../../../shared/dfc'), resolve(here, '../../../../shared/dfc')].find((p) =>
  existsSync(p),
);

/** A file of the shared DFC folder, or undefined when the folder is absent. */
export function sharedDfcPath(...parts: string[]): string | undefined {
  if (SHARED_DFC === undefined) return undefined;
  const path = join(SHARED_DFC, ...parts);
  return existsSync(path) ? path : undefined;
}

/** Reads and parses a JSON file of the shared DFC folder. */
export function readSharedJson(path: string): unknown {
  return JSON.parse(readFileSync(path, 'utf8')) as unknown;
}

/** Skips the current test, saying why, when a shared file is missing. */
export function requireShared(context: Mocha.Context, ...parts: string[]): string {
  const path = sharedDfcPath(...parts);
  if (path === undefined) {
    console.log(`      skipped: ../shared/dfc/${parts.join('/')} is not on this machine`);
    context.skip();
  }
  return path as string;
}
