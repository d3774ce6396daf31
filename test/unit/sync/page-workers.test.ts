/**
 * A snapshot's pages read in a worker thread (issue 16): the same reading as in the event loop, for real catalogues,
 * with the node's decoder configuration (stored contexts, default currency), and for pages that fail; a worker that
 * dies fails its page only, and another reads the next; a reading given up (the node stops) answers at once, and a
 * closed reader reads nothing more.
 */
import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ContextRegistry, type StoredContextValue } from '../../../server/codec/context-registry.js';
import { Decoder } from '../../../server/codec/decode.js';
import { jsonHash } from '../../../server/sync/merge.js';
import { inProcessPages, readPage } from '../../../server/sync/page-reader.js';
import { PageWorkers, workerHeapLimits } from '../../../server/sync/page-workers.js';
import type { FetchedPage } from '../../../server/sync/peer-fetch.js';
import { cataloguePage } from '../../helpers/catalogue-page.js';

const FIXTURES = join(import.meta.dirname, '../../fixtures');
const EXAMPLES = join(import.meta.dirname, '../../../examples/network');
const COMPTOIR = 'https://comptoir.example/ns/catalogue.jsonld';
const ORIGIN = 'https://peer.example';

/** A page as the snapshot fetches it: answered 200, its body not parsed yet. */
function unparsed(body: string, options: { url?: string; contentType?: string; next?: string } = {}): FetchedPage {
  const page: FetchedPage = { url: options.url ?? `${ORIGIN}/catalog`, status: 200, body, bytes: Buffer.byteLength(body), unparsed: { status: 200 } };
  page.contentType = options.contentType ?? 'application/ld+json';
  if (options.next !== undefined) page.next = options.next;
  return page;
}

/** The node's decoder as a configured node has one: a stored context, dollars for a bare price. */
function configured(): Decoder {
  const file = JSON.parse(readFileSync(join(FIXTURES, 'contexts/comptoir-catalogue.json'), 'utf8')) as { '@context': StoredContextValue };
  return new Decoder({ contexts: new ContextRegistry([[COMPTOIR, file['@context']]]), defaultCurrency: 'dfc-m:USDollar' });
}

/**
 * The same page read in the event loop and in the worker, the worker's without the JSON and hashes of its records,
 * which are checked here to be the merge's own (`planPage` makes them so from the records of an in-process reading).
 */
async function both(decoder: Decoder, workers: PageWorkers, body: string, options: Parameters<typeof unparsed>[1] = {}): Promise<[unknown, unknown]> {
  const at = { url: options.url ?? `${ORIGIN}/catalog`, origin: ORIGIN };
  const here = await readPage(decoder, unparsed(body, options), at);
  const there = await workers.read(unparsed(body, options), at);
  if (!here.ok || !there.ok) return [here, there];
  const { serialised, ...rest } = there;
  const json = here.records.map((r) => JSON.stringify(r));
  expect(serialised).to.deep.equal({ json, hash: json.map(jsonHash) });
  return [here, rest];
}

describe('PageWorkers: snapshot pages read in a worker thread', function () {
  this.timeout(60_000);
  let workers: PageWorkers;
  const decoder = configured();

  beforeEach(() => {
    workers = new PageWorkers({ decoder, inProcessBelow: 0, fromSyncs: 0 });
  });

  afterEach(async () => {
    await workers.close();
  });

  it('reads every example catalogue as the event loop does', async () => {
    const files = readdirSync(EXAMPLES).filter((f) => f.endsWith('.jsonld'));
    expect(files.length).to.be.greaterThan(3);
    for (const file of files) {
      const [here, there] = await both(decoder, workers, readFileSync(join(EXAMPLES, file), 'utf8'));
      expect(there, file).to.deep.equal(here);
      expect((there as { ok: boolean }).ok, file).to.equal(true);
    }
    expect(workers.started).to.equal(1);
  });

  it('reads a big page with blank nodes, a next link in its body and enterprises to follow as the event loop does', async () => {
    const page = JSON.parse(cataloguePage(ORIGIN, Array.from({ length: 3000 }, (_, i) => String(i)), { enterprise: true })) as { '@graph': Record<string, unknown>[] };
    // An offer written inline as a blank node (skolemised), a bare-number price (the node's currency), the next page.
    const nodes = page['@graph'];
    nodes.push({ '@type': 'dfc-b:Offer', 'dfc-b:offeredItem': `${ORIGIN}/api/dfc/enterprises/farm/catalog_items/1`, 'dfc-b:hasPrice': 3 });
    const body = JSON.stringify({ ...page, 'hydra:view': { 'hydra:next': '/catalog?page=2' } });
    const [here, there] = await both(decoder, workers, body);
    expect(there).to.deep.equal(here);
    const reading = there as { ok: true; records: { id: string; price?: { currency: string } }[]; next?: string };
    expect(reading.ok).to.equal(true);
    expect(reading.next).to.equal(`${ORIGIN}/catalog?page=2`);
    expect(reading.records.some((r) => r.id.startsWith(`${ORIGIN}/.well-known/genid/`))).to.equal(true);
    // An enterprise list (no item) leads to its catalogues.
    const list = JSON.stringify({ '@context': 'https://w3id.org/dfc/ontology/context/context_1.16.0.json', '@graph': [nodes[0]] });
    const [listHere, listThere] = await both(decoder, workers, list);
    expect(listThere).to.deep.equal(listHere);
    expect((listThere as { follow: string[] }).follow).to.deep.equal([`${ORIGIN}/api/dfc/enterprises/farm/catalog_items`]);
  });

  it('reads a page in a stored context, and prices a bare number in the node\'s currency, as the node\'s decoder does', async () => {
    const text = readFileSync(join(FIXTURES, 'shapes/other-context.json'), 'utf8');
    const [here, there] = await both(decoder, workers, text, { url: 'https://comptoir.example/catalogue.jsonld' });
    expect(there).to.deep.equal(here);
    expect((there as { ok: boolean }).ok).to.equal(true);
    // A worker with the default configuration would refuse the context: the reading above is the node's decoder's.
    const plain = await readPage(new Decoder(), unparsed(text, { url: 'https://comptoir.example/catalogue.jsonld' }), { url: 'x', origin: ORIGIN });
    expect(plain.ok).to.equal(false);
  });

  it('fails the pages that fail, with the same failures', async () => {
    const deep = `${'['.repeat(2000)}${']'.repeat(2000)}`;
    const pages: [string, Parameters<typeof unparsed>[1]][] = [
      ['{"error": "maintenance"}', {}],
      ['', {}],
      [deep, {}],
      ['{"@graph": [', {}],
      ['{"@context": "https://unknown.example/ctx", "@graph": [{"@id": "x"}]}', {}],
      ['<a> <b> <c> .', { contentType: 'text/turtle' }],
      ['@prefix x: <http://x/> . x:a x:b', { contentType: 'text/turtle' }],
    ];
    for (const [body, options] of pages) {
      const [here, there] = await both(decoder, workers, body, options);
      expect(there, body.slice(0, 40)).to.deep.equal(here);
    }
    const [, tooDeep] = await both(decoder, workers, deep);
    expect(tooDeep).to.deep.include({ ok: false, unparsable: true });
    const [, maintenance] = await both(decoder, workers, '{"error": "maintenance"}');
    expect((maintenance as { failure: { kind: string } }).failure.kind).to.equal('not-dfc');
  });

  it('fails the page of a worker that runs out of memory, and reads the next one in a new worker', async () => {
    await workers.close();
    workers = new PageWorkers({ decoder, inProcessBelow: 0, fromSyncs: 0, resourceLimits: { maxOldGenerationSizeMb: 48, maxYoungGenerationSizeMb: 8 } });
    // 24 MB of text: parsed within the limit, its records past it.
    const huge = cataloguePage(ORIGIN, Array.from({ length: 30_000 }, (_, i) => String(i)));
    const small = readFileSync(join(EXAMPLES, 'chevrerie-du-puy.jsonld'), 'utf8');
    // Asked together: the second waits in the queue, and is read by the worker that replaces the first.
    const [failed, next] = await Promise.all([
      workers.read(unparsed(huge), { url: `${ORIGIN}/big`, origin: ORIGIN }),
      workers.read(unparsed(small), { url: `${ORIGIN}/small`, origin: ORIGIN }),
    ]);
    expect(failed).to.deep.equal({ ok: false, failure: { kind: 'decode', message: 'decoding this document ran out of memory: nothing of it was read', url: `${ORIGIN}/big` } });
    expect(next.ok).to.equal(true);
    expect(workers.started).to.equal(2);
  });

  it('ends a worker that reads one page past its time, failing that page only, and reads the next in a new worker', async () => {
    await workers.close();
    // A page of 20,000 offers (megabytes) takes far more than 20 ms to parse and decode: the worker is taken as stuck on
    // it. A small page has all the time it needs, its new worker's first run included.
    workers = new PageWorkers({ decoder, inProcessBelow: 0, fromSyncs: 0, stuckAfterMs: (bytes) => (bytes > 1_000_000 ? 20 : 60_000) });
    const big = cataloguePage(ORIGIN, Array.from({ length: 20_000 }, (_, i) => String(i)));
    const small = readFileSync(join(EXAMPLES, 'chevrerie-du-puy.jsonld'), 'utf8');
    const [failed, next] = await Promise.all([
      workers.read(unparsed(big), { url: `${ORIGIN}/big`, origin: ORIGIN }),
      workers.read(unparsed(small), { url: `${ORIGIN}/small`, origin: ORIGIN }),
    ]);
    expect(failed).to.deep.equal({
      ok: false, failure: { kind: 'timeout', message: 'decoding this document took more than 20 ms: it was stopped, and nothing of it was read', url: `${ORIGIN}/big` },
    });
    expect(next, JSON.stringify(next).slice(0, 300)).to.deep.include({ ok: true });
    expect(workers.started).to.equal(2);
  });

  it('limits the worker\'s heap in proportion to the largest page a peer may send', async () => {
    expect(workerHeapLimits(50 * 1024 * 1024)).to.deep.equal({ maxOldGenerationSizeMb: 500 });
    expect(workerHeapLimits(1024)).to.deep.equal({ maxOldGenerationSizeMb: 256 });
    expect(workerHeapLimits(2 * 1024 * 1024 * 1024)).to.deep.equal({ maxOldGenerationSizeMb: 4096 });
    await workers.close();
    workers = new PageWorkers({ decoder, inProcessBelow: 0, fromSyncs: 0, maxPageBytes: 40 * 1024 * 1024 });
    const small = readFileSync(join(EXAMPLES, 'chevrerie-du-puy.jsonld'), 'utf8');
    expect((await workers.read(unparsed(small), { url: `${ORIGIN}/small`, origin: ORIGIN })).ok).to.equal(true);
    // The worker as started: its limits are the ones it runs under.
    const { worker } = workers as unknown as { worker: { resourceLimits: { maxOldGenerationSizeMb: number } } };
    expect(worker.resourceLimits.maxOldGenerationSizeMb).to.equal(400);
  });

  it('gives up a reading when its signal fires, at once, and reads nothing once closed', async () => {
    const big = cataloguePage(ORIGIN, Array.from({ length: 20_000 }, (_, i) => String(i)));
    const stop = new AbortController();
    const reading = workers.read(unparsed(big), { url: `${ORIGIN}/1`, origin: ORIGIN }, stop.signal);
    const queued = workers.read(unparsed(big), { url: `${ORIGIN}/2`, origin: ORIGIN }, stop.signal);
    stop.abort();
    const started = Date.now();
    const stopped = { ok: false, failure: { kind: 'stopped', message: 'given up: the node is stopping', url: `${ORIGIN}/1` } };
    expect(await reading).to.deep.equal(stopped);
    expect(await queued).to.deep.include({ ok: false });
    expect(Date.now() - started).to.be.lessThan(100);
    const pending = workers.read(unparsed(big), { url: `${ORIGIN}/3`, origin: ORIGIN });
    await workers.close();
    expect((await pending).ok).to.equal(false);
    expect(await workers.read(unparsed(big), { url: `${ORIGIN}/4`, origin: ORIGIN })).to.deep.include({ ok: false });
  });

  it('reads a small page in the event loop, starting no worker', async () => {
    const small = new PageWorkers({ decoder, fromSyncs: 0 });
    const text = cataloguePage(ORIGIN, ['a', 'b', 'c'], { enterprise: true });
    expect(text.length).to.be.lessThan(16 * 1024);
    const reading = await small.read(unparsed(text), { url: `${ORIGIN}/catalog`, origin: ORIGIN });
    expect(reading).to.deep.equal(await inProcessPages(decoder).read(unparsed(text), { url: `${ORIGIN}/catalog`, origin: ORIGIN }));
    expect(small.started).to.equal(0);
    await small.close();
  });

  it('reads the pages of a snapshot alone in the event loop, and those of several at once in the worker', async () => {
    const counted = new PageWorkers({ decoder, inProcessBelow: 0 });
    const body = readFileSync(join(EXAMPLES, 'ferme-des-trois-chenes.jsonld'), 'utf8');
    const at = { url: `${ORIGIN}/catalog`, origin: ORIGIN };
    const first = counted.begin();
    expect((await counted.read(unparsed(body), at)).ok).to.equal(true);
    expect(counted.started).to.equal(0);
    const second = counted.begin();
    expect((await counted.read(unparsed(body), at)).ok).to.equal(true);
    expect(counted.started).to.equal(1);
    second();
    second();
    expect((await counted.read(unparsed(body), at)).ok).to.equal(true);
    first();
    expect(counted.started).to.equal(1);
    await counted.close();
  });

  it('gives a worker the decoder\'s whole configuration', () => {
    const settings = decoder.settings();
    expect(Decoder.fromSettings(structuredClone(settings)).settings()).to.deep.equal(settings);
    expect(settings.contexts.map(([url]) => url)).to.deep.equal([COMPTOIR]);
    expect(settings.defaultCurrency).to.equal(decoder.defaultCurrency);
  });
});
