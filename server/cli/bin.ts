#!/usr/bin/env node
// The `maillon` executable: everything else is in main.ts, which tests import without running. main.ts is
// imported only once the sqlite3 native module is known to load, so that a failed build gives one clear line.
import { checkNativeModule } from './native-check.js';

const problem = await checkNativeModule();
if (problem !== undefined) {
  process.stderr.write(`maillon: ${problem}\n`);
  process.exitCode = 1;
} else {
  const { main } = await import('./main.js');
  await main(process.argv.slice(2));
}
