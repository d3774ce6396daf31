/**
 * Solid pods against a real Community Solid Server on loopback: publishing an enterprise's catalogue into a pod
 * (in memory, then file-backed with a login), reading it back with `@inrupt/solid-client` alone, incremental
 * publication, conflicts and removals, and a second node syncing the catalogue from the pod.
 */
import { expect } from 'chai';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  buildThing, createSolidDataset, createThing, getDecimal, getInteger, getSolidDataset, getStringNoLocale, getThing, getThingAll, getUrl,
  getUrlAll, saveSolidDatasetAt, setThing, universalAccess,
} from '@inrupt/solid-client';
import { Session } from '@inrupt/solid-client-authn-node';
import type { CatalogItemRecord, DfcRecord, OfferRecord } from '../../ontology/records.js';
import { DFC_B, RDF, SOLID } from '../../ontology/vocabulary.js';
import { issueToken } from '../../server/auth/tokens.js';
import { solidCommand } from '../../server/cli/solid-commands.js';
import { containerUrl, publishToPod, type PublishSummary } from '../../server/solid/publisher.js';
import { startFederationNode, type FederationNode } from '../helpers/federation.js';
import { runMaillon, spawnMaillon } from '../helpers/maillon-process.js';
import { loadConfig } from '../../server/config.js';
import { createLogger } from '../../server/logging.js';
import { openNode } from '../../server/main.js';
import { createAccount, freePort, startSolidServer, type SolidServer } from '../helpers/solid-server.js';

const EID = 'ferme-des-trois-chenes';

/** Fetch that counts the requests by method. */
function countingFetch(): { fetch: typeof fetch; counts: Record<string, number>; urls: Record<string, string[]> } {
  const counts: Record<string, number> = {};
  const urls: Record<string, string[]> = {};
  return {
    counts, urls,
    fetch: (input, init) => {
      const method = init?.method ?? 'GET';
      counts[method] = (counts[method] ?? 0) + 1;
      (urls[method] ??= []).push(String(input));
      return fetch(input, init);
    },
  };
}

/** Offers and items a node holds from a peer, by the node IRI they are the same as (or their own). */
async function heldRecords(node: FederationNode, peerId: number): Promise<DfcRecord[]> {
  const held = await node.node.store.provenance.held(peerId);
  const records = await node.node.store.index.recordsOf([...held.keys()]);
  return [...records.values()].map((r) => r.record);
}

/** Price and stock of every offer of an enterprise, by product name. */
async function offersByName(node: FederationNode): Promise<Map<string, { price: number | undefined; stock: number | null; itemStock: number | null }>> {
  const { entries } = await node.node.catalog.catalogue(EID);
  return new Map(entries.filter((e) => e.offers.length > 0).map((e) => [e.product.name ?? '', {
    price: e.offers[0]?.price?.value, stock: e.offers[0]?.stock ?? null, itemStock: e.items[0]?.stock ?? null,
  }]));
}

describe('Solid pods', function () {
  this.timeout(180_000);

  describe('a public pod (in-memory Community Solid Server)', () => {
    let css: SolidServer;
    let origin: FederationNode;
    let reader: FederationNode;
    let container: string;
    let first: PublishSummary;
    const publish = (fetchFn: typeof fetch = fetch, force = false): Promise<PublishSummary> =>
      publishToPod({ eid: EID, container, catalogue: origin.node.catalog, ledger: origin.node.store.solid, fetch: fetchFn, force });
    const admin = (): Record<string, string> => ({ authorization: `Bearer ${origin.adminToken}`, 'content-type': 'application/json' });

    before(async () => {
      [css, origin, reader] = await Promise.all([startSolidServer(), startFederationNode(), startFederationNode()]);
      await origin.seed(EID);
      container = containerUrl(css.url, EID);
      first = await publish();
    });
    after(async () => {
      await Promise.all([css?.stop(), origin?.close(), reader?.close()]);
    });

    it('writes one document per product, the enterprise and an index, all new', async () => {
      const { entries, groups } = await origin.node.catalog.catalogue(EID);
      expect(first.conflicts).to.deep.equal([]);
      expect(first.written).to.have.length(entries.length + groups.size + 2);
      expect(first.created).to.equal(first.written.length);
      expect(first.written).to.include(`${container}index.ttl`).and.to.include(`${container}enterprise.ttl`);
    });

    it('reads back the same products, prices and stock with @inrupt/solid-client alone', async () => {
      const expected = await offersByName(origin);
      const index = await getSolidDataset(`${container}index.ttl`);
      const catalog = getThing(index, `${container}index.ttl#catalog`);
      expect(catalog).to.not.equal(null);
      const documents = getUrlAll(catalog!, 'http://www.w3.org/2000/01/rdf-schema#seeAlso').filter((u) => u.includes('/products/'));
      const seen = new Map<string, { price: number | null; stock: number | null }>();
      for (const url of documents) {
        const dataset = await getSolidDataset(url);
        const things = getThingAll(dataset, { acceptBlankNodes: true });
        const product = things.find((t) => getUrlAll(t, RDF.type).includes(DFC_B.SuppliedProduct));
        const offer = things.find((t) => getUrlAll(t, RDF.type).includes(DFC_B.Offer));
        if (product === undefined || offer === undefined) continue;
        const priceNode = things.find((t) => getUrlAll(t, RDF.type).includes(DFC_B.Price));
        seen.set(getStringNoLocale(product, DFC_B.name) ?? '', {
          price: priceNode === undefined ? null : getDecimal(priceNode, DFC_B.value) ?? getInteger(priceNode, DFC_B.value),
          // On demand is written -1, as Open Food Network imports it.
          stock: ((stock) => (stock !== null && stock < 0 ? null : stock))(getInteger(offer, DFC_B.stockLimitation)),
        });
      }
      expect(seen.size).to.equal(expected.size);
      for (const [name, { price, stock }] of expected) expect(seen.get(name), name).to.deep.equal({ price: price ?? null, stock });
    });

    it('publishing again unchanged writes nothing', async () => {
      const counting = countingFetch();
      const again = await publish(counting.fetch);
      expect(again.written).to.deep.equal([]);
      expect(again.unchanged).to.equal(first.written.length);
      expect(counting.counts['PUT'] ?? 0).to.equal(0);
    });

    it('after two products change, writes exactly their two documents (If-Match), and the others keep their ETags', async () => {
      const before = new Map<string, string | null>();
      for (const url of first.written) before.set(url, (await fetch(url, { method: 'HEAD' })).headers.get('etag'));
      expect((await origin.request('PUT', `/api/dfc/enterprises/${EID}/offers/ail-violet`, { headers: admin(), body: '{"dfc-b:hasPrice": 5.1}' })).status).to.equal(200);
      expect((await origin.request('PUT', `/api/dfc/enterprises/${EID}/catalog_items/basilic`, { headers: admin(), body: '{"dfc-b:stockLimitation": 3}' })).status).to.equal(200);
      const counting = countingFetch();
      const again = await publish(counting.fetch);
      expect([...again.written].sort()).to.deep.equal([`${container}products/ail-violet.ttl`, `${container}products/basilic.ttl`]);
      expect(counting.counts['PUT']).to.equal(2);
      for (const url of first.written) {
        const etag = (await fetch(url, { method: 'HEAD' })).headers.get('etag');
        if (again.written.includes(url)) expect(etag, url).to.not.equal(before.get(url));
        else expect(etag, url).to.equal(before.get(url));
      }
    });

    it('reports a document changed in the pod behind its back, and does not overwrite it', async () => {
      const url = `${container}products/aubergines.ttl`;
      const theirs = '<#note> <http://www.w3.org/2000/01/rdf-schema#comment> "edited by hand in the pod".\n';
      expect((await fetch(url, { method: 'PUT', headers: { 'content-type': 'text/turtle' }, body: theirs })).ok).to.equal(true);
      expect((await origin.request('PUT', `/api/dfc/enterprises/${EID}/offers/aubergines`, { headers: admin(), body: '{"dfc-b:hasPrice": 9.9}' })).status).to.equal(200);
      const again = await publish();
      expect(again.conflicts.map((c) => [c.url, c.status])).to.deep.equal([[url, 412]]);
      expect(again.conflicts[0]?.message).to.match(/changed in the pod/u);
      expect(await (await fetch(url)).text()).to.include('edited by hand in the pod');
      // The operator checked it: --force replaces it.
      const forced = await publish(fetch, true);
      expect(forced.conflicts).to.deep.equal([]);
      expect(await (await fetch(url)).text()).to.include('9.9');
    });

    it('deletes the document of a removed product', async () => {
      expect((await origin.request('DELETE', `/api/dfc/enterprises/${EID}/supplied_products/ail-violet`, { headers: admin() })).status).to.be.oneOf([200, 204]);
      const again = await publish();
      expect(again.deleted).to.deep.equal([`${container}products/ail-violet.ttl`]);
      expect((await fetch(`${container}products/ail-violet.ttl`)).status).to.equal(404);
    });

    it('a second node syncs the catalogue from the pod: the same offers, prices and stock', async () => {
      expect(await reader.node.detectPeerKind(container)).to.equal('solid');
      const peer = await reader.node.store.provenance.addPeer({ name: 'pod', url: container, kind: 'solid' }, new URL(container).origin);
      const outcome = await reader.node.engine.sync(peer);
      expect(outcome.ok, JSON.stringify(outcome)).to.equal(true);
      const records = await heldRecords(reader, peer.id);
      const expected = await offersByName(origin);
      const products = records.filter((r) => r.kind === 'SuppliedProduct');
      const offers = new Map(records.filter((r): r is OfferRecord => r.kind === 'Offer').map((o) => [o.item, o]));
      const items = new Map(records.filter((r): r is CatalogItemRecord => r.kind === 'CatalogItem').map((i) => [i.product, i]));
      let compared = 0;
      for (const product of products) {
        const item = items.get(product.id as never);
        const offer = item === undefined ? undefined : offers.get(item.id as never);
        const want = expected.get(product.kind === 'SuppliedProduct' ? product.name ?? '' : '');
        if (want === undefined || offer === undefined) continue;
        expect({ price: offer.price?.value, stock: offer.stock, itemStock: item?.stock }, product.id).to.deep.equal(want);
        expect(product.id.startsWith(container), 'the pod is authoritative for its own IRIs').to.equal(true);
        compared++;
      }
      expect(compared).to.equal(expected.size);
      // Again: every document answers 304, nothing is written.
      const second = await reader.node.engine.sync((await reader.node.store.provenance.getPeer(peer.id))!);
      expect(second.ok && second.summary.notModified).to.be.greaterThan(0);
      expect(second.ok && second.summary.added + second.summary.updated + second.summary.withdrawn).to.equal(0);
    });

    it('a shop lists an item kept in the pod (read-only: the price read from the pod, with its markup)', async () => {
      await reader.seed('epicerie-du-village');
      const view = await reader.node.listings.add('epicerie-du-village', `${container}products/basilic.ttl#item-basilic`, { markup: 10 });
      const { entries } = await origin.node.catalog.catalogue(EID);
      const basilic = entries.find((e) => e.product.name?.toLowerCase().includes('basilic'));
      expect(view.origin.product).to.equal(`${container}products/basilic.ttl#product`);
      expect(view.published.price).to.equal(Math.round((basilic?.offers[0]?.price?.value ?? 0) * 110) / 100);
      expect(view.published.stock).to.equal(3);
    });

    it('orders an item kept in the pod from the node that published it, never from the pod', async () => {
      const listing = (await reader.node.listings.list('epicerie-du-village')).find((l) => l.origin.item.startsWith(container));
      if (listing === undefined) throw new Error('the listing of the pod item is missing');
      // The pod's product says, in owl:sameAs, which of the node's products it is: the orders go to that node.
      const nodeProduct = `${origin.base}/api/dfc/enterprises/${EID}/supplied_products/`;
      expect(listing.origin.orders).to.equal(`${origin.base}/api/dfc/enterprises/${EID}/orders`);
      const row = await reader.node.store.orders.listing(listing.id);
      const at = row?.details?.['orderAt'] as { product: string; offer: string };
      expect(at.product.startsWith(nodeProduct)).to.equal(true);
      expect(at.offer.startsWith(`${origin.base}/api/dfc/enterprises/${EID}/offers/`)).to.equal(true);
      // A customer's order at the shop reserves the stock at the node, as for any listed item.
      const { token } = await issueToken(origin.node.store, { eid: EID, scopes: ['WriteOrders', 'ReadOrders'], label: 'shop' });
      await reader.node.store.provenance.addPeer({ name: 'ferme', url: `${origin.base}/api/dfc/enterprises/${EID}/catalog_items`, token }, origin.base);
      const { token: customer } = await issueToken(reader.node.store, { eid: 'epicerie-du-village', scopes: ['WriteOrders'], label: 'customer' });
      const stockItem = at.product.replace('/supplied_products/', '/catalog_items/');
      const before = await origin.node.store.orders.stock(stockItem);
      const id = `${reader.base}/api/dfc/enterprises/epicerie-du-village/orders`;
      const body = JSON.stringify({
        '@context': 'https://www.datafoodconsortium.org',
        '@graph': [
          { '@id': id, '@type': 'dfc-b:Order', 'dfc-b:orderedBy': 'https://customer.example/e/1', 'dfc-b:hasOrderStatus': 'dfc-v:Held', 'dfc-b:hasPart': `${id}/OrderLines/1` },
          { '@id': `${id}/OrderLines/1`, '@type': 'dfc-b:OrderLine', 'dfc-b:quantity': 2, 'dfc-b:concerns': listing.offer },
          { '@id': listing.offer, '@type': 'dfc-b:Offer', 'dfc-b:offeredItem': listing.product },
        ],
      });
      const created = await reader.request('POST', '/api/dfc/enterprises/epicerie-du-village/orders', {
        headers: { 'content-type': 'application/json', authorization: `Bearer ${customer}` }, body,
      });
      expect(created.status, created.text).to.equal(201);
      expect(await origin.node.store.orders.stock(stockItem)).to.include({ reserved: (before?.reserved ?? 0) + 2 });
    });

    it('publishes a private enterprise without making it public or registering it', async () => {
      const text = readFileSync(join(import.meta.dirname, '../../examples/network/chevrerie-du-puy.jsonld'), 'utf8');
      const { records } = await origin.node.decoder.decode(text);
      await origin.node.catalog.createEnterprise(records, { eid: 'secret-farm', private: true });
      await origin.node.catalog.importRecords('secret-farm', records);
      let out = '';
      const code = await solidCommand(origin.node, 'publish', { pod: css.url, enterprise: 'secret-farm', container: 'private/secret-farm/' }, { out: (t) => (out += t), err: (t) => (out += t) });
      expect(code, out).to.equal(0);
      expect(out).to.match(/documents written/u).and.to.match(/the enterprise is private/u).and.not.match(/public read access set/u);
    });

    it('takes a pod peer through the HTTP API too ("kind": "solid")', async () => {
      const headers = { authorization: `Bearer ${reader.adminToken}`, 'content-type': 'application/json' };
      const added = await reader.request('POST', '/api/sync/peers', { headers, body: JSON.stringify({ url: `${container}products/`, name: 'pod-products', kind: 'solid' }) });
      expect(added.status, added.text).to.equal(201);
      expect(added.json<{ kind: string }>().kind).to.equal('solid');
      const refused = await reader.request('POST', '/api/sync/peers', { headers, body: JSON.stringify({ url: `${css.url}other/`, kind: 'ftp' }) });
      expect(refused.status).to.equal(422);
    });

    it('an unreachable or 500-answering pod fails only its own sync', async () => {
      const failing: Server = createServer((_, res) => {
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end('boom');
      });
      await new Promise<void>((resolve) => failing.listen(0, '127.0.0.1', resolve));
      try {
        const port = (failing.address() as { port: number }).port;
        const closed = await freePort();
        const broken = await reader.node.store.provenance.addPeer({ name: 'broken-pod', url: `http://127.0.0.1:${port}/pod/`, kind: 'solid' }, `http://127.0.0.1:${port}`);
        const gone = await reader.node.store.provenance.addPeer({ name: 'gone-pod', url: `http://127.0.0.1:${closed}/pod/`, kind: 'solid' }, `http://127.0.0.1:${closed}`);
        const good = (await reader.node.store.provenance.getPeer('pod'))!;
        const [a, b, c] = await Promise.all([reader.node.engine.sync(broken), reader.node.engine.sync(gone), reader.node.engine.sync(good)]);
        expect(a.ok).to.equal(false);
        expect(!a.ok && a.failure.status).to.equal(500);
        expect(b.ok).to.equal(false);
        expect(c.ok).to.equal(true);
        expect((await reader.node.store.provenance.peerCounts(good.id)).active).to.be.greaterThan(40);
      } finally {
        await new Promise<void>((resolve) => failing.close(() => resolve()));
      }
    });

    it('a product removed from the pod goes missing at the next sync (withdrawn after the grace period)', async () => {
      const peer = (await reader.node.store.provenance.getPeer('pod'))!;
      const before = await reader.node.store.provenance.peerCounts(peer.id);
      expect((await origin.request('DELETE', `/api/dfc/enterprises/${EID}/supplied_products/aubergines`, { headers: admin() })).status).to.be.oneOf([200, 204]);
      expect((await publish()).deleted).to.deep.equal([`${container}products/aubergines.ttl`]);
      const outcome = await reader.node.engine.sync((await reader.node.store.provenance.getPeer(peer.id))!);
      expect(outcome.ok, JSON.stringify(outcome)).to.equal(true);
      const after = await reader.node.store.provenance.peerCounts(peer.id);
      // Its product, item and offer.
      expect(after.missing - before.missing).to.equal(3);
      expect(after.active).to.equal(before.active - 3);
    });
  });

  describe('maillon solid publish --follow', () => {
    let css: SolidServer;
    before(async () => {
      css = await startSolidServer();
    });
    after(async () => {
      await css?.stop();
    });

    it('keeps the pod up to date within seconds of a change', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'maillon-follow-'));
      expect((await runMaillon(['import', 'examples/network/ferme-des-trois-chenes.jsonld', '--enterprise', EID, '--data-dir', dir])).code).to.equal(0);
      const follower = spawnMaillon(['solid', 'publish', '--pod', css.url, '--enterprise', EID, '--follow', '--data-dir', dir]);
      try {
        const deadline = Date.now() + 60_000;
        while (!follower.out().includes('following the changes') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
        expect(follower.out(), follower.err()).to.include('following the changes');
        // Another process changes the catalogue (the same database).
        const node = await openNode(loadConfig({ 'data-dir': dir }, { MAILLON_LOG_LEVEL: 'silent' }), createLogger('silent'));
        try {
          await node.catalog.updateOffer(EID, 'poireaux', { text: '{"dfc-b:hasPrice": 12.34}', mediaType: 'application/json' });
        } finally {
          await node.close();
        }
        const changedAt = Date.now();
        const url = `${css.url}dfc/${EID}/products/poireaux.ttl`;
        let text = '';
        while (!text.includes('12.34') && Date.now() - changedAt < 10_000) {
          await new Promise((r) => setTimeout(r, 200));
          text = await (await fetch(url)).text();
        }
        expect(text, follower.out() + follower.err()).to.include('12.34');
        expect(Date.now() - changedAt).to.be.lessThan(5_000);
        // Its report is written once the document is: it may come a moment after the pod answers with it.
        for (const until = Date.now() + 5_000; !/1 document written \(0 new\)/u.test(follower.out()) && Date.now() < until;) await new Promise((r) => setTimeout(r, 100));
        expect(follower.out()).to.match(/1 document written \(0 new\)/u);
        // The pod, given to `peer add` without --kind, is found to be one.
        const added = await runMaillon(['peer', 'add', `${css.url}dfc/${EID}/`, '--allow-private', '--data-dir', dir]);
        expect(added.out, added.err).to.match(/added peer 1 .*\(a Solid pod\)/u);
      } finally {
        follower.child.kill('SIGTERM');
        expect((await follower.exited).code).to.equal(0);
      }
    });
  });

  describe('a pod that needs login (file-backed Community Solid Server, client credentials)', () => {
    let css: SolidServer;
    let reader: FederationNode;

    before(async () => {
      [css, reader] = await Promise.all([startSolidServer({ config: 'file.json', hostname: 'localhost', rootFilePath: mkdtempSync(join(tmpdir(), 'maillon-css-')) }), startFederationNode()]);
    });
    after(async () => {
      await Promise.all([css?.stop(), reader?.close()]);
    });

    it('publishes with client credentials, makes it public, registers it in the type index, and a node syncs it from the WebID', async () => {
      const account = await createAccount(css, 'ferme');
      // A public type index, as apps make one, linked from the profile.
      const session = new Session();
      await session.login({ clientId: account.clientId, clientSecret: account.clientSecret, oidcIssuer: css.url });
      const indexUrl = `${account.podUrl}settings/publicTypeIndex.ttl`;
      const index = setThing(createSolidDataset(), buildThing(createThing({ name: 'index' })).addUrl(RDF.type, SOLID.TypeIndex).addUrl(RDF.type, SOLID.ListedDocument).build());
      await saveSolidDatasetAt(indexUrl, index, { fetch: session.fetch });
      await universalAccess.setPublicAccess(indexUrl, { read: true }, { fetch: session.fetch });
      const profileUrl = account.webId.split('#')[0] ?? '';
      const profile = await getSolidDataset(profileUrl, { fetch: session.fetch });
      const me = buildThing(getThing(profile, account.webId)!).addUrl(SOLID.publicTypeIndex, indexUrl).build();
      await saveSolidDatasetAt(profileUrl, setThing(profile, me), { fetch: session.fetch });
      await session.logout({ logoutType: 'app' });

      const dir = mkdtempSync(join(tmpdir(), 'maillon-solid-'));
      expect((await runMaillon(['import', 'examples/network/ferme-des-trois-chenes.jsonld', '--enterprise', EID, '--data-dir', dir])).code).to.equal(0);
      const container = `${account.podUrl}dfc/${EID}/`;
      // Without login the pod refuses.
      const refused = await runMaillon(['solid', 'publish', '--pod', account.podUrl, '--enterprise', EID, '--data-dir', dir]);
      expect(refused.code).to.equal(1);
      expect(refused.out).to.match(/refused by the pod: 401/u);
      // With the credentials from the environment.
      const published = await runMaillon(['solid', 'publish', '--pod', account.podUrl, '--enterprise', EID, '--data-dir', dir], {
        MAILLON_SOLID_CLIENT_ID: account.clientId, MAILLON_SOLID_CLIENT_SECRET: account.clientSecret, MAILLON_SOLID_OIDC_ISSUER: css.url,
      });
      expect(published.code, published.out + published.err).to.equal(0);
      expect(published.out).to.match(/49 documents written \(49 new\)/u).and.to.match(/public read access set/u).and.to.match(/registered in the public type index/u);
      // Anyone reads it, nobody else writes it.
      expect((await fetch(`${container}products/aubergines.ttl`)).status).to.equal(200);
      expect((await fetch(`${container}products/aubergines.ttl`, { method: 'PUT', headers: { 'content-type': 'text/turtle' }, body: '' })).status).to.equal(401);
      const registrations = getThingAll(await getSolidDataset(indexUrl)).filter((t) => getUrl(t, SOLID.instanceContainer) === container);
      expect(registrations.flatMap((t) => getUrlAll(t, SOLID.forClass)).sort()).to.deep.equal([DFC_B.CatalogItem, DFC_B.SuppliedProduct].sort());

      // A node given the WebID finds the catalogue through the type index.
      expect(await reader.node.detectPeerKind(account.webId)).to.equal('solid');
      const peer = await reader.node.store.provenance.addPeer({ name: 'ferme-pod', url: account.webId, kind: 'solid' }, new URL(account.webId).origin);
      const outcome = await reader.node.engine.sync(peer);
      expect(outcome.ok, JSON.stringify(outcome)).to.equal(true);
      expect(outcome.ok && outcome.summary.added).to.be.greaterThan(100);
    });
  });
});
