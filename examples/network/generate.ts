/**
 * Regenerates the example files `examples/network/<slug>.jsonld` from `data.ts`.
 *
 * Run with `npx tsx examples/network/generate.ts`. The unit tests fail when the committed files differ from what
 * this script writes, so run it after every change to the data.
 *
 * @packageDocumentation
 */
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EXAMPLE_BASE_URL, NETWORK, writeExampleFiles } from './build.js';
import { isProductGroup, soldProducts } from './data.js';

const dir = dirname(fileURLToPath(import.meta.url));
const written = await writeExampleFiles(dir, EXAMPLE_BASE_URL);
for (const [i, enterprise] of NETWORK.entries()) {
  const groups = enterprise.products.filter(isProductGroup).length;
  const onDemand = soldProducts(enterprise).filter((p) => p.stock === null).length;
  console.log(
    `${written[i] ?? enterprise.slug}: ${soldProducts(enterprise).length} products, ${groups} groups, ${onDemand} on demand`,
  );
}
