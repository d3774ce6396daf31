#!/usr/bin/env node
// The `maillon` executable: everything else is in main.ts, which tests import without running.
import { main } from './main.js';

await main(process.argv.slice(2));
