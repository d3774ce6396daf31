/**
 * What one document may cost, whatever its shape: its values and nodes counted in its text before it is parsed, the
 * problems of a decode bounded, the deadline checked in every loop over the input, and Turtle parsed a piece at a
 * time. A hostile peer's page of 48 MB (24 million `1`s in `@graph`) once exhausted a 4 GB heap with a problem per
 * member, and 45 MB of `{}` held a node's event loop for a minute.
 */
import { expect } from 'chai';
import { performance } from 'node:perf_hooks';
import { Decoder } from '../../../server/codec/decode.js';
import { Deadline, jsonTextExcess, MAX_DOCUMENT_NODES, MAX_DOCUMENT_VALUES, MAX_PROBLEMS, MAX_RDF_STATEMENTS, rdfTextExcess } from '../../../server/codec/limits.js';
import { readRdf } from '../../../server/codec/read-rdf.js';
import { fetchPage } from '../../../server/sync/peer-fetch.js';
import { DEFAULT_FETCH_POLICY, type SafeFetch } from '../../../server/net/safe-fetch.js';

const CONTEXT = 'https://w3id.org/dfc/ontology/context/context_1.16.0.json';
const BASE = 'https://hostile.example/cat';
const decoder = new Decoder();

describe('document limits: problems', () => {
  it('lists at most MAX_PROBLEMS problems of a graph of 1.5 million non-objects, and says how many more, in bounded memory', async function () {
    this.timeout(120_000);
    const members = 1_500_000;
    const document = { '@context': CONTEXT, '@graph': new Array<number>(members).fill(1) };
    const before = process.memoryUsage().heapUsed;
    const result = await decoder.decode(document, { mediaType: 'application/ld+json', base: BASE, strictSale: true });
    const grown = process.memoryUsage().heapUsed - before;
    expect(result.problems.length).to.be.at.most(MAX_PROBLEMS + 1);
    expect(result.problems.filter((p) => p.code === 'not-a-node-object')).to.have.length.at.least(1);
    const more = result.problems.find((p) => p.code === 'too-many-problems');
    expect(more?.message).to.match(/^1,499,000 more problem/u);
    expect(result.records).to.deep.equal([]);
    // A problem each was hundreds of megabytes here (gigabytes at 24 million).
    expect(grown).to.be.below(150e6);
  });

  it('bounds those of a top-level array of a node and a million strings, keeping the document an error', async () => {
    const document: unknown[] = [{ '@context': CONTEXT, '@id': 'https://hostile.example/a', '@type': 'dfc-b:SuppliedProduct', 'dfc-b:name': 'a' }];
    for (let i = 0; i < 1_000_000; i++) document.push('s');
    const result = await decoder.decode(document, { mediaType: 'application/ld+json', base: BASE });
    expect(result.problems.length).to.be.at.most(MAX_PROBLEMS + 1);
    expect(result.problems.some((p) => p.id === null && p.severity === 'error' && p.code === 'not-a-node-object')).to.equal(true);
  });

  it('still rejects every resource with an error past the bound (the first error of each is kept)', async () => {
    const graph = Array.from({ length: MAX_PROBLEMS + 500 }, (_, i) => ({
      '@id': `https://hostile.example/offers/${i}`, '@type': 'dfc-b:Offer', 'dfc-b:stockLimitation': 'many',
    }));
    const result = await decoder.decode({ '@context': CONTEXT, '@graph': graph }, { mediaType: 'application/ld+json', base: BASE });
    expect(result.records.filter((r) => r.kind === 'Offer')).to.deep.equal([]);
    expect(result.rejected).to.have.length(MAX_PROBLEMS + 500);
  });
});

describe('document limits: values counted before the parse', () => {
  const blanks = (n: number): string => `{"@context":"${CONTEXT}","@graph":[${'{},'.repeat(n - 1)}{}]}`;

  it('counts values and nodes of a JSON text as JSON.parse would build them', () => {
    // The object, the array, 1, 2, {"b"}, the string, {}: 7 values, 4 of them objects or arrays.
    expect(jsonTextExcess('{"a":[1,2,{"b":"x,y]{"}],"c":{}}', 7, 4)).to.equal(undefined);
    expect(jsonTextExcess('{"a":[1,2,{"b":"x,y]{"}],"c":{}}', 6, 4)?.message).to.match(/more than 6 JSON values/u);
    expect(jsonTextExcess('{"a":[1,2,{"b":"x,y]{"}],"c":{}}', 7, 3)?.message).to.match(/more than 3 JSON objects and arrays/u);
    expect(jsonTextExcess('["a\\",\\\\",[],[ ]]', 4, 3)).to.equal(undefined);
    expect(jsonTextExcess('["a\\",\\\\",[],[ ]]', 3, 3)?.code).to.equal('too-large');
    // Nested too deep is said as such, whatever the counts.
    expect(jsonTextExcess('['.repeat(300))?.code).to.equal('too-deep');
  });

  it('refuses a page of 3 million empty objects at once, before JSON.parse (which took seconds)', async () => {
    const text = blanks(3_000_000);
    const start = performance.now();
    const result = await decoder.decode(text, { mediaType: 'application/ld+json', base: BASE });
    const ms = performance.now() - start;
    expect(result.problems.map((p) => p.code)).to.deep.equal(['too-large']);
    expect(result.problems[0]?.message).to.contain(MAX_DOCUMENT_NODES.toLocaleString('en-US'));
    expect(ms).to.be.below(1500);
  });

  it('fails the fetch of such a page as too large, without parsing it', async () => {
    const body = Buffer.from(blanks(MAX_DOCUMENT_NODES + 10));
    const transport: SafeFetch = async () => ({
      ok: true, response: { url: BASE, status: 200, headers: { 'content-type': 'application/ld+json' }, body },
    }) as unknown as Awaited<ReturnType<SafeFetch>>;
    const start = performance.now();
    const outcome = await fetchPage({ url: BASE }, DEFAULT_FETCH_POLICY, transport);
    if (outcome.ok) expect.fail('the page was taken');
    expect(outcome.failure.kind).to.equal('too-large');
    expect(performance.now() - start).to.be.below(1500);
  });

  it('fails the fetch of 5 million numbers as too large', async () => {
    const body = Buffer.from(`{"@context":"${CONTEXT}","@graph":[${'1,'.repeat(MAX_DOCUMENT_VALUES)}1]}`);
    const transport: SafeFetch = async () => ({
      ok: true, response: { url: BASE, status: 200, headers: { 'content-type': 'application/ld+json' }, body },
    }) as unknown as Awaited<ReturnType<SafeFetch>>;
    const outcome = await fetchPage({ url: BASE }, DEFAULT_FETCH_POLICY, transport);
    expect(outcome.ok ? 'taken' : outcome.failure.kind).to.equal('too-large');
  });

  it('still takes a page of 300,000 products', () => {
    const graph = Array.from({ length: 300_000 }, (_, i) => `{"@id":"https://peer.example/n${i}","@type":"dfc-b:SuppliedProduct","dfc-b:name":"n"}`).join(',');
    expect(jsonTextExcess(`{"@context":"${CONTEXT}","@graph":[${graph}]}`)).to.equal(undefined);
  });
});

describe('document limits: Turtle', () => {
  it('counts the statements of a text outside IRIs, strings and comments', () => {
    const text = '@prefix x: <http://x/a.b;c> .\n# a. b; c,\nx:a x:p "a. b; c" , 1.5 ; x:q """x.\n y;""" .\nx:b.c x:p x:d.\n';
    expect(rdfTextExcess(text, 5)).to.equal(undefined);
    expect(rdfTextExcess(text, 4)).to.match(/more than 4 statements/u);
  });

  it('refuses more statements than the limit (`[] x:p [] .`) at once, before the parser builds any', async () => {
    const text = `@prefix x: <http://x/> .\n${'[] x:p [] .\n'.repeat(MAX_RDF_STATEMENTS + 200_000)}`;
    const start = performance.now();
    const result = await decoder.decode(text, { mediaType: 'text/turtle', base: BASE });
    expect(result.problems.map((p) => p.code)).to.deep.equal(['too-large']);
    expect(performance.now() - start).to.be.below(1500);
  });

  it('stops the parse of a list of more items than the limit (no punctuation to count) at the limit', async function () {
    this.timeout(60_000);
    const text = `@prefix x: <http://x/> .\nx:a x:p (${' x:b'.repeat(MAX_RDF_STATEMENTS / 2 + 100_000)} ) .\n`;
    const result = await decoder.decode(text, { mediaType: 'text/turtle', base: BASE });
    expect(result.problems.map((p) => p.code)).to.deep.equal(['too-large']);
  });

  it('stops the parse of blank nodes nested past the limit, which never complete a statement', async function () {
    this.timeout(60_000);
    // Each `[` opens a context the parser holds until its `]`: no statement is emitted before the end.
    const text = `@prefix x: <http://x/> .\nx:a x:p${' [ x:p'.repeat(MAX_RDF_STATEMENTS + 10)} .\n`;
    const before = process.memoryUsage().heapUsed;
    const result = await decoder.decode(text, { mediaType: 'text/turtle', base: BASE });
    expect(result.problems.map((p) => p.code)).to.deep.equal(['too-large']);
    expect(result.problems[0]?.message).to.contain('nodes opened');
    expect(process.memoryUsage().heapUsed - before).to.be.below(2e9);
  });

  it('lets the event loop run while it parses a big document into a graph', async function () {
    this.timeout(120_000);
    const text = `@prefix x: <http://x/> .\n${'[] x:p [] .\n'.repeat(400_000)}`;
    let longest = 0;
    let last = performance.now();
    let running = true;
    const tick = (): void => {
      const now = performance.now();
      longest = Math.max(longest, now - last);
      last = now;
      if (running) setImmediate(tick);
    };
    setImmediate(tick);
    const read = await readRdf(text, 'text/turtle', BASE, new Deadline(60_000));
    running = false;
    longest = Math.max(longest, performance.now() - last);
    expect(read.problems).to.deep.equal([]);
    // One piece of text, or 20,000 statements, at a time: the parse of the whole text at once held it for seconds.
    expect(longest).to.be.below(2500);
  });
});
