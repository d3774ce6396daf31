/**
 * A walk through the federated catalogue's pages, following the `next` links, while a peer's syncs insert and
 * remove rows before the page the walk is at (as a regional aggregator's walk meets peers syncing every few minutes):
 * every row there for the whole walk is seen exactly once, under every filter the catalogue takes. With pages by
 * offset, a row inserted before the walk's place made it read a row twice, one removed made it skip one.
 */
import { expect } from 'chai';
import { serialize } from '../../server/codec/serialize.js';
import type { PeerRow } from '../../server/store/federation.js';
import { startStaticPeer, type StaticPeer } from '../helpers/fake-peer.js';
import { farmRecords, startInProcess, type FarmProduct, type InProcessNode } from '../helpers/in-process.js';
import { expectProblem } from '../helpers/write-api.js';

/** Twenty stable products (every third out of stock), named to sort after every product a walk inserts. */
const STABLE: readonly FarmProduct[] = Array.from({ length: 20 }, (_, i) => ({
  id: `pomme-${String(i).padStart(2, '0')}`, name: `Pomme variété ${String(i).padStart(2, '0')}`, type: 'apples', stock: i % 3 === 0 ? 0 : 5, price: 2 + i / 10,
}));

/** The next link of a page's `Link` header, as a path on the node; undefined on the last page. */
function nextOf(link: string | null, base: string): string | undefined {
  const found = /<([^>]+)>;\s*rel="next"/u.exec(link ?? '');
  return found === null ? undefined : (found[1] as string).slice(base.length);
}

/** The offers of a JSON-LD page, by `@id`. */
function offersOf(text: string): string[] {
  return (JSON.parse(text) as { '@graph'?: Record<string, unknown>[] })['@graph']?.filter((n) => n['@type'] === 'dfc-b:Offer')
    .map((n) => n['@id'] as string) ?? [];
}

describe('a walk through the federated catalogue while peers sync', function () {
  this.timeout(120_000);
  let node: InProcessNode;
  let peerServer: StaticPeer;
  let peer: PeerRow;
  /** What the peer lists now. */
  let listed: FarmProduct[];
  let added = 0;

  const publish = async (): Promise<void> => {
    peerServer.files.set('/catalog.json', {
      body: serialize(farmRecords('verger', { origin: peerServer.url, name: 'Verger de Brive', postcode: '19100', latitude: 45.16, longitude: 1.53, products: listed }), 'jsonld'),
      contentType: 'application/ld+json',
    });
    const outcome = await node.scheduler.syncOne(peer);
    expect(outcome.ok, JSON.stringify(outcome)).to.equal(true);
  };

  before(async () => {
    // Withdrawn at once: a product the peer stops listing leaves the catalogue at the next sync.
    node = await startInProcess({ withdrawGraceSeconds: 0 });
    await node.seed('ferme');
    peerServer = await startStaticPeer(() => ({}));
    listed = [...STABLE];
    peer = await node.store.provenance.addPeer({ name: 'verger', url: `${peerServer.url}/catalog.json` }, peerServer.url);
    await publish();
  });
  after(async () => {
    await node.close();
    await peerServer.close();
  });

  /**
   * Walks a query's pages from the first along the next links; before each next page, the peer syncs: two products
   * inserted before the walk's place (named to sort first), or one it has shown removed. Every offer the query
   * selected before the walk and that no change removed must be seen once; none twice.
   */
  const walk = async (query: string): Promise<void> => {
    listed = [...STABLE];
    await publish();
    const path = `/api/federation/catalog?${query}${query === '' ? '' : '&'}page_size=4`;
    const before = offersOf((await node.request('GET', `/api/federation/catalog?${query}`)).text);
    expect(before.length, 'the query selects enough for several pages').to.be.greaterThan(8);
    const seen: string[] = [];
    const removed = new Set<string>();
    let at: string | undefined = path;
    for (let step = 0; at !== undefined; step++) {
      const page = await node.request('GET', at);
      expect(page.status, page.text.slice(0, 300)).to.equal(200);
      const offers = offersOf(page.text);
      seen.push(...offers);
      at = nextOf(page.headers.get('link'), node.base);
      if (at === undefined) break;
      expect(step, 'the walk ends').to.be.lessThan(40);
      // The body's hydra:next is the Link header's.
      expect(page.text).to.include(`"hydra:next":"${node.base}${at}"`);
      if (step % 2 === 0) {
        listed = [...['a', 'b'].map((letter): FarmProduct => ({ id: `nouvelle-${++added}`, name: `A${letter} nouvelle ${added}`, type: 'apples', stock: 5, price: 1 })), ...listed];
      } else {
        // A product the walk has shown: the rows after it move back by one.
        const shown = listed.find((p) => seen.some((offer) => offer.endsWith(`/offers/${p.id}`)));
        if (shown !== undefined) {
          listed = listed.filter((p) => p !== shown);
          removed.add(shown.id);
        }
      }
      await publish();
    }
    const twice = seen.filter((offer, i) => seen.indexOf(offer) !== i);
    expect(twice, `${query}: offers seen twice`).to.deep.equal([]);
    const stable = before.filter((offer) => !removed.has(offer.split('/').pop() as string));
    expect(stable.filter((offer) => !seen.includes(offer)), `${query}: stable offers never seen`).to.deep.equal([]);
    expect(removed.size, 'the walk removed some rows before its place').to.be.greaterThan(0);
  };

  for (const query of ['', 'in_stock=true', 'type=apples', 'near=45.16,1.53&radius_km=10', 'peer=PEER', 'enterprise=ENTERPRISE',
    'type=apples&in_stock=true&near=45.16,1.53&radius_km=10&peer=PEER']) {
    it(`sees every stable row exactly once${query === '' ? '' : ` with ${query}`}`, async () => {
      await walk(query.replace('PEER', String(peer.id)).replace('ENTERPRISE', encodeURIComponent(`${peerServer.url}/api/dfc/enterprises/verger`)));
    });
  }

  it('writes every next link as a cursor, also from a page asked for by number, and takes ?page=N still', async () => {
    listed = [...STABLE];
    await publish();
    const first = await node.request('GET', '/api/federation/catalog?page_size=4&in_stock=true');
    const next = nextOf(first.headers.get('link'), node.base) as string;
    expect(next).to.match(/[?&]after=[A-Za-z0-9_-]+/u).and.include('in_stock=true').and.include('page_size=4');
    expect(next).to.not.match(/[?&]page=/u);
    const second = await node.request('GET', next);
    const numbered = await node.request('GET', '/api/federation/catalog?page_size=4&in_stock=true&page=2');
    expect(offersOf(numbered.text)).to.deep.equal(offersOf(second.text));
    expect(nextOf(numbered.headers.get('link'), node.base)).to.match(/[?&]after=/u);
    // The page a cursor leads to knows its number: its previous link is the first page.
    expect(second.headers.get('link')).to.match(/page=1&page_size=4>; rel="prev"/u);
  });

  it('with q, gets every page whatever changes meanwhile (a local stock write, a sync): each match of the first page\'s list once, none gone shown', async () => {
    listed = [...STABLE];
    await publish();
    // A local stock write moves the index's version (every write of a busy node does): it reorders nothing of the walk.
    const writer = await node.token('ferme', ['ReadProducts', 'WriteProducts']);
    const items = (await node.store.listResources('ferme', ['CatalogItem'])).map((r) => r.record);
    const tomato = items.find((r) => r.kind === 'CatalogItem' && r.stock !== null);
    let stock = 40;
    const write = async (): Promise<void> => {
      const response = await node.request('PUT', new URL(tomato?.id as string).pathname, {
        headers: { authorization: `Bearer ${writer}`, 'content-type': 'application/json' }, body: JSON.stringify({ 'dfc-b:stockLimitation': stock++ }),
      });
      expect(response.status, response.text.slice(0, 300)).to.equal(200);
    };
    const seen: string[] = [];
    let path: string | undefined = '/api/federation/catalog?q=pomme&page_size=4';
    let pages = 0;
    let removed: string | undefined;
    while (path !== undefined) {
      const page = await node.request('GET', path);
      expect(page.status, page.text.slice(0, 300)).to.equal(200);
      seen.push(...offersOf(page.text));
      pages++;
      if (pages === 1) expect(nextOf(page.headers.get('link'), node.base)).to.match(/[?&]after=/u).and.include('q=pomme');
      await write();
      if (pages === 2) {
        // A sync between two pages: the last stable product withdrawn (not shown once gone), a new one (not in this walk).
        removed = (listed.at(-1) as FarmProduct).id;
        listed = [...listed.slice(0, -1), { id: 'pomme-nouvelle', name: 'Pomme nouvelle', type: 'apples', stock: 3, price: 2 }];
        await publish();
      }
      path = nextOf(page.headers.get('link'), node.base);
    }
    expect(pages).to.equal(5);
    expect(new Set(seen).size).to.equal(seen.length);
    expect(seen.some((o) => o.includes(removed as string))).to.equal(false);
    expect(seen.some((o) => o.includes('pomme-nouvelle'))).to.equal(false);
    for (const p of STABLE.slice(0, -1)) expect(seen.filter((o) => o.includes(p.id)), p.id).to.have.length(1);
    // A cursor of one kind of walk is no place in the other.
    const first = await node.request('GET', '/api/federation/catalog?q=pomme&page_size=4');
    const next = nextOf(first.headers.get('link'), node.base) as string;
    expectProblem(await node.request('GET', next.replace('q=pomme&', '')), 400);
    // Nor a walk of another text.
    expectProblem(await node.request('GET', next.replace('q=pomme', 'q=vari%C3%A9t%C3%A9')), 400);
  });
});
