/**
 * Peak memory of our decode+validate and encode, alone in a process (spawned by `bench/codec.ts`).
 *
 * Usage: `node --import tsx bench/codec-memory.ts CATALOG.json EXPECTED_OFFERS`. Reads the catalogue text
 * from the file (so generating it costs this process nothing), decodes it once, encodes the records once
 * and prints one JSON line: `{ maxRssKiB, maxRssBeforeKiB, maxRssDecodedKiB, offers, outputBytes, peakReset }`.
 * On Linux the process's peak RSS is reset to its RSS just before decoding (`/proc/self/clear_refs`): then
 * `maxRssBeforeKiB` is the RSS then (Node, tsx, our modules and the text itself), `maxRssDecodedKiB` the peak once
 * the decode is over (before the encode) and `maxRssKiB` the peak at the end, so that each phase's share shows and
 * no peak of the start-up hides them. Elsewhere (`peakReset` false) they are the process's peaks so far.
 *
 * @packageDocumentation
 */
import { readFileSync, writeFileSync } from 'node:fs';
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
  /** Whether the peak was reset before decoding (Linux): the figures are then the codec's, not the start-up's. */
  readonly peakReset: boolean;
}

/** A field of `/proc/self/status` in KiB (`VmRSS` now, `VmHWM` the peak), undefined off Linux. */
function statusKiB(field: 'VmRSS' | 'VmHWM'): number | undefined {
  try {
    const found = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'mu').exec(readFileSync('/proc/self/status', 'utf8'));
    return found === null ? undefined : Number(found[1]);
  } catch {
    return undefined;
  }
}

/**
 * Resets the process's peak RSS to its RSS now (Linux: `5` written to `/proc/self/clear_refs`); false where it cannot.
 * Without it the peak is the whole process's, and loading the modules (tsx compiling them, when its cache is cold)
 * can peak above what the codec ever reaches: its share would then read 0.
 */
function resetPeak(): boolean {
  try {
    writeFileSync('/proc/self/clear_refs', '5');
    return statusKiB('VmHWM') !== undefined;
  } catch {
    return false;
  }
}

const [file, expected] = process.argv.slice(2);
if (file === undefined) throw new Error('usage: codec-memory.ts CATALOG.json [EXPECTED_OFFERS]');
const text = readFileSync(file, 'utf8');
const decoder = new Decoder();
const peakReset = resetPeak();
/** The peak since the reset (or the process's, where it cannot be reset). */
const peakKiB = (): number => (peakReset ? statusKiB('VmHWM') : undefined) ?? process.resourceUsage().maxRSS;
// The RSS now, with the peak reset to it: the codec's share is what it adds to what the process holds before it.
const maxRssBeforeKiB = peakKiB();

const decoded = await decoder.decode(text, { mediaType: 'application/ld+json' });
const maxRssDecodedKiB = peakKiB();
const offers = decoded.records.filter((r) => r.kind === 'Offer').length;
if (hasErrors(decoded.problems) || decoded.rejected.length > 0) {
  throw new Error(`decode reported errors: ${JSON.stringify(decoded.problems.slice(0, 3))}`);
}
if (expected !== undefined && offers !== Number(expected)) throw new Error(`decoded ${offers} offers, expected ${expected}`);
const output = JSON.stringify(encodeJsonLd(decoded.records));

const report: MemoryReport = {
  maxRssKiB: peakKiB(),
  maxRssBeforeKiB,
  peakReset,
  maxRssDecodedKiB,
  offers,
  outputBytes: Buffer.byteLength(output),
};
console.log(JSON.stringify(report));
