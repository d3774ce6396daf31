/**
 * The check `maillon` makes before anything else: that the sqlite3 native module loads. It is compiled from
 * source by `npm ci`; without a compiler the install "succeeds" and every command would fail with a stack trace
 * about a missing `.node` file. This module imports nothing that needs it.
 *
 * @packageDocumentation
 */

/** What an operator must do when the module does not load. */
export const NATIVE_MODULE_HELP = 'it is compiled by `npm ci`, which needs python3, make and g++: '
  + '`apt-get install -y python3 make g++`, then `npm rebuild sqlite3`';

/**
 * Loads the sqlite3 native module.
 *
 * @param load - how to load it (tests give one that fails)
 * @returns undefined when it loads, else the one-line message to print
 */
export async function checkNativeModule(load: () => Promise<unknown> = () => import('sqlite3')): Promise<string | undefined> {
  try {
    await load();
    return undefined;
  } catch (error: unknown) {
    const reason = (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? '';
    return `the sqlite3 native module did not load (${reason}); ${NATIVE_MODULE_HELP}`;
  }
}
