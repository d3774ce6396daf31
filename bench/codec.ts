/**
 * The codec benchmark: our decode+validate and encode of a 5,000-offer DFC 1.16 catalogue, side by side with
 * JSON.parse/JSON.stringify of the same bytes (the floor), jsonld.js (`toRDF`, `expand`, `compact`), and the
 * DFC TypeScript connector importing a 500-offer catalogue.
 *
 * Peak memory is measured in a child process ({@link ./codec-memory.ts}) so the number is the codec's alone;
 * the connector runs in a child too ({@link ./connector-import.ts}), so a crash or a hang costs only its row.
 * Set `BENCH_SKIP_CONNECTOR=1` to skip the connector (it takes about 20 s).
 *
 * @packageDocumentation
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import jsonld from 'jsonld';
import { CONTEXT_1_16 } from '../ontology/contexts.js';
import { NS } from '../ontology/namespaces.js';
import type { DfcRecord } from '../ontology/records.js';
import { DFC_B } from '../ontology/vocabulary.js';
import { Decoder, type DecodeResult } from '../server/codec/decode.js';
import { localDocumentLoader } from '../server/codec/document-loader.js';
import { encodeJsonLd } from '../server/codec/encode.js';
import { hasErrors } from '../server/errors/problem.js';
import { serializeBytes } from '../server/codec/serialize.js';
import { generateCatalog } from './catalog-generator.js';
import type { ConnectorReport } from './connector-import.js';
import type { MemoryReport } from './codec-memory.js';
import {
  megabytes, measure, runChild, times, type BenchResult, type Measurement, type TargetCheck,
} from './harness.js';

const GROUP = 'codec';
const OFFERS = 5000;
const CONNECTOR_OFFERS = 500;
const FAST = { warmup: 3, runs: 5 } as const;
const SLOW = { warmup: 1, runs: 3 } as const;

/** The targets the codec is held to. */
const TARGET = {
  decodeMs: 500,
  encodeMs: 300,
  fasterThanJsonLd: 3,
  peakMemoryMB: 300,
  /** Issue 16: decode+validate within this many times `JSON.parse` of the same text, encode of `JSON.stringify`. */
  timesFloor: 5,
  /** Issue 16: peak RSS above the baseline (before decoding) within this many times the document's size. */
  timesDocument: 3,
  /** Issue 16: Turtle and N-Quads of the catalogue, each written straight from the records. */
  rdfMs: 100,
} as const;

const documentLoader = localDocumentLoader as unknown as jsonld.Options.DocLoader['documentLoader'];

function log(message: string): void {
  console.log(`  [${GROUP}] ${message}`);
}

/** Throws unless the decode accepted exactly `offers` offers with no error: timing a broken decode is meaningless. */
function assertDecoded(result: DecodeResult, offers: number): void {
  const decoded = result.records.filter((r) => r.kind === 'Offer').length;
  if (hasErrors(result.problems) || result.rejected.length > 0) {
    const first = result.problems.find((p) => p.severity === 'error');
    throw new Error(
      `decode of the ${offers}-offer catalogue reported errors (${result.rejected.length} rejected): ${JSON.stringify(first)}`,
    );
  }
  if (decoded !== offers) throw new Error(`decode found ${decoded} offers, expected ${offers}`);
}

/** Throws unless the RDF written types exactly `offers` offers: timing a broken writer is meaningless. */
function assertRdf(text: string, format: 'nquads' | 'turtle', offers: number): void {
  const typed = format === 'nquads'
    ? text.split(`> <${NS.rdf}type> <${DFC_B.Offer}> .\n`).length - 1
    : text.split(/^<[^>]*\/offers\/\d+> a dfc-b:Offer[;.]$/mu).length - 1;
  if (typed !== offers) throw new Error(`${format} output types ${typed} offers, expected ${offers}`);
}

/** A row's label for how it was timed. */
function timed(options: { readonly warmup: number; readonly runs: number }): string {
  return `${options.warmup} warm-ups (JIT), median of ${options.runs}`;
}

/** The timing fields of a row. */
function timing(m: Measurement<unknown>): Pick<BenchResult, 'ms' | 'runs' | 'times'> {
  return { ms: m.median, runs: m.runs, times: m.times };
}

function ms(value: number): string {
  return `${value < 100 ? value.toFixed(1) : value.toFixed(0)} ms`;
}

function fasterCheck(ours: string, oursMs: number, theirs: string, theirsMs: number): TargetCheck {
  return {
    label: `${ours} ≥ ${TARGET.fasterThanJsonLd}× faster than ${theirs}`,
    pass: theirsMs / oursMs >= TARGET.fasterThanJsonLd,
    actual: `${times(theirsMs / oursMs)} (${ms(oursMs)} vs ${ms(theirsMs)})`,
  };
}

/** Issue 16's bound: ours within {@link TARGET.timesFloor} times the floor (`JSON.parse`, `JSON.stringify`) of the same run. */
function floorCheck(ours: string, oursMs: number, floor: string, floorMs: number): TargetCheck {
  return {
    label: `${ours} ≤ ${TARGET.timesFloor}× ${floor} (same bytes, same run)`,
    pass: oursMs <= TARGET.timesFloor * floorMs,
    actual: `${times(oursMs / floorMs)} (${ms(oursMs)} vs ${ms(floorMs)})`,
  };
}

/** Peak RSS of decode+validate+encode, measured in a child process. */
async function peakMemory(text: string): Promise<BenchResult> {
  const name = `peak RSS: decode+validate+encode ${OFFERS.toLocaleString('en-US')} offers (child process)`;
  const label = `peak memory ≤ ${TARGET.peakMemoryMB} MB`;
  const documentMB = Buffer.byteLength(text) / 1024 / 1024;
  const aboveLabel = `peak RSS above the baseline ≤ ${TARGET.timesDocument}× the document (${documentMB.toFixed(1)} MB)`;
  const dir = mkdtempSync(join(tmpdir(), 'maillon-bench-'));
  try {
    const file = join(dir, 'catalog.json');
    writeFileSync(file, text);
    const report = (await runChild('codec-memory.ts', { args: [file, String(OFFERS)], timeoutMs: 120_000 })) as MemoryReport;
    const peakMB = report.maxRssKiB / 1024;
    const beforeMB = report.maxRssBeforeKiB / 1024;
    const decodedMB = report.maxRssDecodedKiB / 1024;
    return {
      group: GROUP,
      name,
      note: `${peakMB.toFixed(0)} MB peak (${beforeMB.toFixed(0)} MB before decoding: node, tsx, modules, text` +
        `${report.peakReset ? ', the peak reset to it' : ', the peak so far (it could not be reset)'}; ` +
        `the decode adds ${(decodedMB - beforeMB).toFixed(1)} MB, the encode ${(peakMB - decodedMB).toFixed(1)} MB more)`,
      targets: [
        { label, pass: peakMB <= TARGET.peakMemoryMB, actual: `${peakMB.toFixed(0)} MB` },
        {
          label: aboveLabel,
          pass: peakMB - beforeMB <= TARGET.timesDocument * documentMB,
          actual: `${(peakMB - beforeMB).toFixed(0)} MB, ${times((peakMB - beforeMB) / documentMB)} the document`,
        },
      ],
    };
  } catch (error: unknown) {
    const message = error instanceof Error ? error.message : String(error);
    return {
      group: GROUP, name, note: `FAILED: ${message}`,
      targets: [{ label, pass: false, actual: 'not measured' }, { label: aboveLabel, pass: false, actual: 'not measured' }],
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The connector importing a catalogue, once, in a child process. */
async function connectorImport(oursMs: number): Promise<BenchResult> {
  const name = `@datafoodconsortium/connector import ${CONNECTOR_OFFERS} offers (child, 1 run)`;
  if (process.env['BENCH_SKIP_CONNECTOR'] === '1') return { group: GROUP, name, note: 'skipped (BENCH_SKIP_CONNECTOR=1)' };
  log(`connector: importing ${CONNECTOR_OFFERS} offers (about 20 s)…`);
  try {
    const report = (await runChild('connector-import.ts', { args: [String(CONNECTOR_OFFERS)], timeoutMs: 300_000 })) as ConnectorReport;
    const expected = CONNECTOR_OFFERS * 3 + 1;
    return {
      group: GROUP,
      name,
      ms: report.ms,
      runs: 1,
      offers: CONNECTOR_OFFERS,
      ratio: `ours ${times(report.ms / oursMs)} faster`,
      note: `${report.objects} objects${report.objects === expected ? '' : ` (expected ${expected}!)`}`,
    };
  } catch (error: unknown) {
    return { group: GROUP, name, note: `FAILED: ${error instanceof Error ? error.message : String(error)}` };
  }
}

/** The generated catalogue as JSON text (compact, as Open Food Network sends it) and its node count. */
function catalogText(offers: number): { text: string; nodes: number } {
  const catalog = generateCatalog(offers);
  return { text: JSON.stringify(catalog), nodes: catalog['@graph'].length };
}

/** Runs the codec benchmark. */
export async function run(): Promise<BenchResult[]> {
  // Only the text is kept: the generated object would sit in the heap and slow every major GC down.
  const { text, nodes } = catalogText(OFFERS);
  const bytes = Buffer.byteLength(text);
  log(`catalogue: ${OFFERS.toLocaleString('en-US')} offers, ${nodes.toLocaleString('en-US')} nodes, ` +
    `${megabytes(bytes)} of JSON-LD (${(bytes / OFFERS).toFixed(0)} bytes per offer)`);
  const decoder = new Decoder();

  log('our decode+validate and encode…');
  const decode = await measure(() => decoder.decode(text, { mediaType: 'application/ld+json' }), FAST);
  assertDecoded(decode.last, OFFERS);
  const records: DfcRecord[] = decode.last.records;
  const encode = await measure(() => JSON.stringify(encodeJsonLd(records)), FAST);
  // Both RDF rows: the whole document from the decoded records, as the HTTP layer asks for it (the render cache
  // keeps the result, so a warm-up writes it too: warm-ups only exclude the JIT's start, each run does it all).
  // The bytes a GET sends (the HTTP layer writes RDF as bytes, never as one string: see `write-rdf.ts`).
  const nquads = await measure(() => serializeBytes(records, 'nquads'), FAST);
  assertRdf(nquads.last.toString('utf8'), 'nquads', OFFERS);
  const turtle = await measure(() => serializeBytes(records, 'turtle'), FAST);
  assertRdf(turtle.last.toString('utf8'), 'turtle', OFFERS);
  // What a document of that size costs before a byte of it is written: its fresh pages, touched once (on this
  // machine a page fault costs about 10 µs, so 29 MB cost up to 80 ms; where the allocator reuses freed pages, 2 ms).
  const freshBytes = await measure(() => Buffer.allocUnsafe(nquads.last.length).fill(0x20), FAST);

  log('JSON.parse / JSON.stringify…');
  const parse = await measure(() => JSON.parse(text) as unknown, FAST);
  const parsed = parse.last;
  const stringify = await measure(() => JSON.stringify(parsed), FAST);

  // jsonld.js starts from the same text as our decode, so its timings include a JSON.parse.
  log('jsonld.js toRDF / expand / compact…');
  const toRdf = await measure(
    () => jsonld.toRDF(JSON.parse(text) as jsonld.JsonLdDocument, { format: 'application/n-quads', documentLoader }),
    SLOW,
  );
  if (typeof toRdf.last !== 'string' || toRdf.last.length === 0) throw new Error('jsonld.toRDF produced no N-Quads');
  const expand = await measure(() => jsonld.expand(JSON.parse(text) as jsonld.JsonLdDocument, { documentLoader }), FAST);
  const expanded = expand.last;
  if (expanded.length !== nodes) throw new Error(`jsonld.expand gave ${expanded.length} nodes, expected ${nodes}`);
  const compact = await measure(
    () => jsonld.compact(expanded, CONTEXT_1_16 as jsonld.ContextDefinition, { documentLoader }),
    SLOW,
  );

  log(`our decode+validate of the ${CONNECTOR_OFFERS}-offer catalogue…`);
  const smallText = catalogText(CONNECTOR_OFFERS).text;
  const smallDecode = await measure(() => decoder.decode(smallText, { mediaType: 'application/ld+json' }), FAST);
  assertDecoded(smallDecode.last, CONNECTOR_OFFERS);

  log('peak memory (child process)…');
  const memory = await peakMemory(text);
  const connector = await connectorImport(smallDecode.median);

  const n = OFFERS.toLocaleString('en-US');
  return [
    {
      group: GROUP,
      name: `decode+validate ${n} offers (Decoder.decode, text → records)`,
      ...timing(decode),
      offers: OFFERS,
      ratio: `toRDF ${times(toRdf.median / decode.median)}, expand ${times(expand.median / decode.median)}`,
      note: `via ${decode.last.via}, ${decode.last.records.length.toLocaleString('en-US')} records`,
      targets: [
        { label: `decode+validate ${n} offers ≤ ${TARGET.decodeMs} ms`, pass: decode.median <= TARGET.decodeMs, actual: ms(decode.median) },
        fasterCheck('decode+validate', decode.median, 'jsonld.toRDF', toRdf.median),
        floorCheck('decode+validate', decode.median, 'JSON.parse', parse.median),
      ],
    },
    {
      group: GROUP,
      name: `encode ${n} offers (encodeJsonLd + JSON.stringify)`,
      ...timing(encode),
      offers: OFFERS,
      ratio: `compact ${times(compact.median / encode.median)}`,
      note: `${megabytes(Buffer.byteLength(encode.last))} out`,
      targets: [
        { label: `encode ${n} offers ≤ ${TARGET.encodeMs} ms`, pass: encode.median <= TARGET.encodeMs, actual: ms(encode.median) },
        fasterCheck('encode', encode.median, 'jsonld.compact', compact.median),
        floorCheck('encode', encode.median, 'JSON.stringify', stringify.median),
      ],
    },
    {
      group: GROUP,
      name: `serialize N-Quads ${n} offers (ours, records → UTF-8 bytes)`,
      ...timing(nquads),
      offers: OFFERS,
      ratio: `toRDF ${times(toRdf.median / nquads.median)}`,
      note: `${megabytes(nquads.last.length)} out; ${timed(FAST)}`,
      targets: [{
        label: `N-Quads of ${n} offers ≤ ${TARGET.rdfMs} ms`,
        pass: nquads.median <= TARGET.rdfMs,
        actual: `${ms(nquads.median)} (fresh memory for as many bytes, same run: ${ms(freshBytes.median)} median, ${ms(Math.max(...freshBytes.times))} at worst)`,
      }],
    },
    {
      group: GROUP,
      name: `serialize Turtle ${n} offers (ours, records → UTF-8 bytes)`,
      ...timing(turtle),
      offers: OFFERS,
      note: `${megabytes(turtle.last.length)} out; ${timed(FAST)}`,
      targets: [{ label: `Turtle of ${n} offers ≤ ${TARGET.rdfMs} ms`, pass: turtle.median <= TARGET.rdfMs, actual: ms(turtle.median) }],
    },
    {
      group: GROUP,
      name: `fresh memory for the N-Quads (Buffer.allocUnsafe(${megabytes(nquads.last.length)}).fill: page faults)`,
      ...timing(freshBytes),
      note: `the floor under any writer that returns a document of its own; ${timed(FAST)}`,
    },
    { group: GROUP, name: 'JSON.parse (floor)', ...timing(parse), offers: OFFERS, note: `${megabytes(bytes)} in` },
    { group: GROUP, name: 'JSON.stringify (floor)', ...timing(stringify), offers: OFFERS },
    {
      group: GROUP,
      name: 'jsonld.toRDF → N-Quads (incl. JSON.parse)',
      ...timing(toRdf),
      offers: OFFERS,
      note: `${megabytes(Buffer.byteLength(toRdf.last))} out`,
    },
    { group: GROUP, name: 'jsonld.expand (incl. JSON.parse)', ...timing(expand), offers: OFFERS },
    { group: GROUP, name: 'jsonld.compact (expanded → 1.16 context, no stringify)', ...timing(compact), offers: OFFERS },
    memory,
    {
      group: GROUP,
      name: `decode+validate ${CONNECTOR_OFFERS} offers (ours, for the connector row)`,
      ...timing(smallDecode),
      offers: CONNECTOR_OFFERS,
    },
    connector,
  ];
}
