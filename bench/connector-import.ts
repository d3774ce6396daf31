/**
 * The DFC TypeScript connector importing a catalogue, alone in a process (spawned by `bench/codec.ts`).
 *
 * Usage: `node --import tsx bench/connector-import.ts OFFERS`. The catalogue names the connector's own
 * context URL, which the connector resolves from its bundled copy, and `globalThis.fetch` throws, so nothing
 * reaches the network. One import, timed, with `doNotStore: false` (which, despite its name, is how the
 * connector is told *not* to keep the objects in its store). Prints one JSON line: `{ ms, objects, offers }`.
 *
 * @packageDocumentation
 */
import { CONTEXT_1_16_CONNECTOR_URL } from '../ontology/contexts.js';
import { generateCatalog } from './catalog-generator.js';

/** What this script prints. */
export interface ConnectorReport {
  readonly ms: number;
  /** Semantic objects the connector returned. */
  readonly objects: number;
  readonly offers: number;
}

const offers = Number(process.argv[2] ?? '500');
if (!Number.isInteger(offers) || offers < 1) throw new Error('usage: connector-import.ts OFFERS');

globalThis.fetch = (input: unknown): Promise<Response> => {
  const url = input instanceof Request ? input.url : String(input);
  return Promise.reject(new Error(`network access refused in the benchmark: ${url}`));
};

const { Connector } = await import('@datafoodconsortium/connector');
const text = JSON.stringify(generateCatalog(offers, { contextUrl: CONTEXT_1_16_CONNECTOR_URL }));
const connector = new Connector();

const start = performance.now();
const objects = await connector.import(text, { doNotStore: false });
const ms = performance.now() - start;

const report: ConnectorReport = { ms, objects: objects.length, offers };
console.log(JSON.stringify(report));
