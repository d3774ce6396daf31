/**
 * A page that is no document at all (an empty or blank body in any syntax, a JSON-LD object holding no graph and no
 * node) fails the sync as `not-dfc`: taken for a complete, empty catalogue, it would withdraw everything the peer
 * has. A genuinely empty catalogue is a document, and still empties the peer.
 */
import { expect } from 'chai';
import { Decoder } from '../../../server/codec/decode.js';
import type { FetchPolicy } from '../../../server/net/safe-fetch.js';
import type { PeerRow } from '../../../server/store/federation.js';
import { SqliteStore } from '../../../server/store/sqlite/sqlite-store.js';
import { notADocument } from '../../../server/sync/sync-context.js';
import { SyncEngine } from '../../../server/sync/sync-engine.js';
import { startFakePeer, type FakePeer } from '../../helpers/fake-peer.js';

const CONTEXT = 'https://w3id.org/dfc/ontology/context/context_1.16.0.json';
const POLICY: FetchPolicy = { connectTimeoutMs: 2_000, totalTimeoutMs: 10_000, maxBytes: 1024 * 1024, maxRedirects: 3, allowPrivate: true };

function catalogue(origin: string): string {
  const e = `${origin}/api/dfc/enterprises/ferme`;
  return JSON.stringify({
    '@context': CONTEXT,
    '@graph': [
      { '@id': e, '@type': 'dfc-b:Enterprise', 'dfc-b:name': 'Ferme' },
      { '@id': `${e}/supplied_products/miel`, '@type': 'dfc-b:SuppliedProduct', 'dfc-b:name': 'Miel', 'dfc-b:suppliedBy': e },
    ],
  });
}

describe('a page that is no document at all', function () {
  this.timeout(20_000);
  let peer: FakePeer;
  let answer: { type: string; body: string } | undefined;
  let store: SqliteStore;
  let row: PeerRow;

  before(async () => {
    peer = await startFakePeer((req, res, self) => {
      // The enterprise's own catalogue (followed from its node): empty, and a document.
      if (req.url === '/api/dfc/enterprises/ferme/catalog_items') {
        return void res.writeHead(200, { 'content-type': 'application/ld+json' }).end(JSON.stringify({ '@context': CONTEXT, '@graph': [] }));
      }
      if (req.url !== '/catalog') return void res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      const { type, body } = answer ?? { type: 'application/ld+json', body: catalogue(self.base) };
      res.writeHead(200, { 'content-type': type }).end(body);
    });
  });
  after(async () => peer.close());
  beforeEach(async () => {
    answer = undefined;
    store = await SqliteStore.open({ path: ':memory:', baseUrl: 'http://node.test' });
    row = await store.provenance.addPeer({ name: 'ferme', url: `${peer.base}/catalog` }, peer.base);
  });
  afterEach(async () => store.close());

  const sync = async (): Promise<Awaited<ReturnType<SyncEngine['sync']>>> => new SyncEngine({
    provenance: store.provenance, feed: store.feed, decoder: new Decoder(), ownBase: 'http://node.test', policy: POLICY, graceMs: 0,
  }).sync((await store.provenance.getPeer(row.id)) as PeerRow);
  const missing = async (): Promise<number> => [...(await store.provenance.held(row.id)).values()].filter((h) => h.missingSince !== null).length;

  for (const [what, type, body] of [
    ['an empty Turtle body', 'text/turtle', ''],
    ['N-Triples of one space', 'application/n-triples', ' '],
    ['Turtle of comments only', 'text/turtle', '# nothing here\n\n'],
    ['an empty JSON-LD body', 'application/ld+json', ''],
    ['JSON that is no JSON-LD', 'application/json', JSON.stringify({ error: 'maintenance' })],
    ['an empty JSON-LD array', 'application/ld+json', '[]'],
  ] as const) {
    it(`fails the sync on ${what}, and withdraws nothing`, async () => {
      const first = await sync();
      expect(first.ok, JSON.stringify(first)).to.equal(true);
      answer = { type, body };
      const outcome = await sync();
      if (outcome.ok) expect.fail(`${what} passed for an empty catalogue: ${JSON.stringify(outcome.summary)}`);
      expect(outcome.failure.kind).to.equal('not-dfc');
      expect(await missing()).to.equal(0);
    });
  }

  for (const [what, type, body] of [
    ['{"@context", "@graph": []}', 'application/ld+json', JSON.stringify({ '@context': CONTEXT, '@graph': [] })],
    ['a JSON-LD @context alone (an empty graph, compacted)', 'application/ld+json', JSON.stringify({ '@context': CONTEXT })],
    ['Turtle of a prefix and no triple', 'text/turtle', '@prefix dfc-b: <https://github.com/datafoodconsortium/ontology/releases/latest/download/DFC_BusinessOntology.owl#> .\n'],
  ] as const) {
    it(`takes ${what} for the empty catalogue it is`, async () => {
      const first = await sync();
      expect(first.ok, JSON.stringify(first)).to.equal(true);
      answer = { type, body };
      const outcome = await sync();
      expect(outcome.ok, JSON.stringify(outcome)).to.equal(true);
      expect(await missing()).to.equal(2);
    });
  }

  it('knows an empty container, or a node, for a document', () => {
    expect(notADocument({ '@context': CONTEXT, '@id': 'https://pod.example/c/', '@type': 'ldp:Container' })).to.equal(undefined);
    expect(notADocument({ '@context': CONTEXT, 'dfc-b:name': 'x' })).to.equal(undefined);
    expect(notADocument('<https://pod.example/c/> a <http://www.w3.org/ns/ldp#Container> .')).to.equal(undefined);
    expect(notADocument(' \n\t')).to.be.a('string');
    // Megabytes of white space: a regular expression's repeated group ran out of stack on them (an exception, not a reason).
    expect(notADocument(' '.repeat(20_000_000))).to.be.a('string');
    expect(notADocument(`${'\u00a0\n'.repeat(1000)}# only a comment`)).to.be.a('string');
    expect(notADocument(`${' '.repeat(1000)}<a> <b> <c> .`)).to.equal(undefined);
    expect(notADocument([{ '@context': CONTEXT }])).to.equal(undefined);
    expect(notADocument([{ error: 'maintenance' }])).to.be.a('string');
  });
});
