/**
 * Peak memory of our decode+validate and encode, alone in a process (spawned by `bench/codec.ts`).
 *
 * Usage: `node --import tsx bench/codec-memory.ts CATALOG.json EXPECTED_OFFERS`. Reads the catalogue text
 * from the file (so generating it costs this process nothing), decodes it once, encodes the records once
 * and prints one JSON line: `{ maxRssKiB, maxRssBeforeKiB, maxRssDecodedKiB, offers, outputBytes }`, where
 * `maxRssBeforeKiB` is the peak before decoding (Node, tsx, our modules and the text itself) and
 * `maxRssDecodedKiB` the peak once the decode is over (before the encode), so that each phase's share shows.
 *
 * @packageDocumentation
 */
import { readFileSync } from 'node:fs';
import { Decoder } from '../server/codec/decode.js';
import { encodeJsonLd } from '../server/codec/encode.js';
import { hasErrors } from '../server/errors/problem.js';

/** What this script prints. */
export interface MemoryReport {
  readonly maxRssKiB: number;
  readonly maxRssBeforeKiB: number;
  /** The peak once decoded and validated, before encoding. */
  readonly maxRssDecodedKiB: number;
  readonly offers: number;
  readonly outputBytes: number;
}

const [file, expected] = process.argv.slice(2);
if (file === undefined) throw new Error('usage: codec-memory.ts CATALOG.json [EXPECTED_OFFERS]');
const text = readFileSync(file, 'utf8');
const decoder = new Decoder();
const maxRssBeforeKiB = process.resourceUsage().maxRSS;

const decoded = await decoder.decode(text, { mediaType: 'application/ld+json' });
const maxRssDecodedKiB = process.resourceUsage().maxRSS;
const offers = decoded.records.filter((r) => r.kind === 'Offer').length;
if (hasErrors(decoded.problems) || decoded.rejected.length > 0) {
  throw new Error(`decode reported errors: ${JSON.stringify(decoded.problems.slice(0, 3))}`);
}
if (expected !== undefined && offers !== Number(expected)) throw new Error(`decoded ${offers} offers, expected ${expected}`);
const output = JSON.stringify(encodeJsonLd(decoded.records));

const report: MemoryReport = {
  maxRssKiB: process.resourceUsage().maxRSS,
  maxRssBeforeKiB,
  maxRssDecodedKiB,
  offers,
  outputBytes: Buffer.byteLength(output),
};
console.log(JSON.stringify(report));
