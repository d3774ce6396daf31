/**
 * Writes the node's own DFC contexts to `ontology/contexts/` (for operators and peers who want the files);
 * a test checks that the files and the code agree. Run with `npm run contexts`.
 */
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CONTEXT_1_16, CONTEXT_2_0, type SimpleContext } from '../ontology/contexts.js';

const dir = join(dirname(fileURLToPath(import.meta.url)), '../ontology/contexts');

function write(name: string, context: SimpleContext): void {
  // One term per line, compact: easy to diff, and our own layout.
  const lines = Object.entries(context).map(([k, v]) => `  ${JSON.stringify(k)}: ${JSON.stringify(v)}`);
  writeFileSync(join(dir, name), `{"@context": {\n${lines.join(',\n')}\n}}\n`);
}

write('dfc-1.16.jsonld', CONTEXT_1_16);
write('dfc-2.0.jsonld', CONTEXT_2_0);
