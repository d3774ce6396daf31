import { expect } from 'chai';
import type { NodeId } from '../../../ontology/iri.js';
import type { CatalogItemRecord, DfcRecord, EnterpriseRecord, OfferRecord, SuppliedProductRecord } from '../../../ontology/records.js';
import type { LayoutEntry } from '../../../server/solid/layout.js';
import { publishToPod, type CatalogueSource } from '../../../server/solid/publisher.js';
import type { PublishedResource, SolidLedger } from '../../../server/store/solid.js';

const C = 'https://pod.example/farm/dfc/farm/';
const N = 'https://node.example/api/dfc/enterprises/farm';

function entry(name: string, price: number): LayoutEntry {
  const product: SuppliedProductRecord = {
    kind: 'SuppliedProduct', id: `${N}/supplied_products/${name}` as NodeId, name, images: [], variantOf: [], variants: [],
    catalogItems: [`${N}/catalog_items/${name}` as NodeId], suppliedBy: N as NodeId,
  };
  const item: CatalogItemRecord = {
    kind: 'CatalogItem', id: `${N}/catalog_items/${name}` as NodeId, product: product.id, stock: 5, offers: [`${N}/offers/${name}` as NodeId], managedBy: N as NodeId, listedIn: [],
  };
  const offer: OfferRecord = { kind: 'Offer', id: `${N}/offers/${name}` as NodeId, item: item.id, stock: 5, price: { value: price, currency: 'urn:eur' as never } };
  return { product, items: [item], offers: [offer], plans: [] };
}

function catalogue(entries: () => LayoutEntry[]): CatalogueSource {
  const enterprise: EnterpriseRecord = {
    kind: 'Enterprise', id: N as NodeId, name: 'Farm', supplies: [], manages: [], maintains: [], customerCategories: [], affiliates: [],
  };
  return {
    enterpriseGraph: async () => ({ records: [enterprise] as DfcRecord[] }),
    catalogue: async () => ({ entries: entries(), groups: new Map() }),
    otherResources: async () => [],
  };
}

class MemoryLedger implements SolidLedger {
  public readonly rows = new Map<string, PublishedResource>();
  public async published(container: string): Promise<PublishedResource[]> {
    return [...this.rows.values()].filter((r) => r.container === container);
  }
  public async record(resource: PublishedResource): Promise<void> {
    this.rows.set(resource.url, resource);
  }
  public async forget(url: string): Promise<void> {
    this.rows.delete(url);
  }
}

/** A pod in memory, honouring If-Match and If-None-Match, with an ETag per version (or none). */
function fakePod(options: { etags?: boolean; status?: (method: string, url: string) => number | undefined } = {}) {
  const store = new Map<string, { body: string; version: number }>();
  const requests: { method: string; url: string; headers: Record<string, string> }[] = [];
  let version = 0;
  const etagOf = (url: string): string | undefined => (options.etags === false || !store.has(url) ? undefined : `"v${store.get(url)?.version}"`);
  const fetch = (async (input: string | URL | Request, init?: RequestInit) => {
    const url = String(input);
    const method = init?.method ?? 'GET';
    const headers = Object.fromEntries(Object.entries((init?.headers ?? {}) as Record<string, string>).map(([k, v]) => [k.toLowerCase(), v]));
    requests.push({ method, url, headers });
    const forced = options.status?.(method, url);
    if (forced !== undefined) return new Response('pod says no '.repeat(1000), { status: forced });
    const current = etagOf(url);
    if (headers['if-match'] !== undefined && headers['if-match'] !== current) return new Response(null, { status: 412 });
    if (headers['if-none-match'] === '*' && store.has(url)) return new Response(null, { status: 412 });
    if (method === 'PUT') {
      store.set(url, { body: String(init?.body), version: ++version });
      return new Response(null, { status: 201 });
    }
    if (method === 'DELETE') {
      if (!store.delete(url)) return new Response(null, { status: 404 });
      return new Response(null, { status: 205 });
    }
    if (!store.has(url)) return new Response(null, { status: 404 });
    const etag = etagOf(url);
    return new Response(method === 'HEAD' ? null : store.get(url)?.body, { status: 200, headers: etag === undefined ? {} : { etag } });
  }) as typeof globalThis.fetch;
  return { fetch, store, requests, edit: (url: string, body: string) => store.set(url, { body, version: ++version }) };
}

describe('solid/publisher', () => {
  it('creates with If-None-Match: *, replaces with If-Match, and deletes what was removed', async () => {
    let entries = [entry('leek', 2), entry('kale', 3)];
    const pod = fakePod();
    const ledger = new MemoryLedger();
    const publish = () => publishToPod({ eid: 'farm', container: C, catalogue: catalogue(() => entries), ledger, fetch: pod.fetch });
    const first = await publish();
    expect(first.created).to.equal(4);
    expect(pod.requests.filter((r) => r.method === 'PUT').every((r) => r.headers['if-none-match'] === '*')).to.equal(true);
    pod.requests.length = 0;
    entries = [entry('leek', 2.5)];
    const second = await publish();
    expect(second.written).to.deep.equal([`${C}index.ttl`, `${C}products/leek.ttl`]);
    expect(second.deleted).to.deep.equal([`${C}products/kale.ttl`]);
    const put = pod.requests.find((r) => r.method === 'PUT' && r.url.endsWith('leek.ttl'));
    expect(put?.headers['if-match']).to.match(/^"v\d+"$/u);
    expect(pod.requests.find((r) => r.method === 'DELETE')?.headers['if-match']).to.match(/^"v\d+"$/u);
    expect([...ledger.rows.keys()].sort()).to.deep.equal([`${C}enterprise.ttl`, `${C}index.ttl`, `${C}products/leek.ttl`]);
  });

  it('reports, and does not write, a document that exists already or changed behind its back', async () => {
    let price = 2;
    const pod = fakePod();
    pod.edit(`${C}products/kale.ttl`, 'someone else\'s');
    const ledger = new MemoryLedger();
    const publish = (force = false) => publishToPod({ eid: 'farm', container: C, catalogue: catalogue(() => [entry('leek', price), entry('kale', 3)]), ledger, fetch: pod.fetch, force });
    const first = await publish();
    expect(first.conflicts.map((c) => [c.url, c.status])).to.deep.equal([[`${C}products/kale.ttl`, 412]]);
    expect(first.conflicts[0]?.message).to.match(/exists already/u);
    expect(pod.store.get(`${C}products/kale.ttl`)?.body).to.equal('someone else\'s');
    pod.edit(`${C}products/leek.ttl`, 'edited in the pod');
    price = 9;
    const second = await publish();
    // kale.ttl still is someone else's (never written by us); leek.ttl changed since we wrote it.
    expect(second.conflicts.map((c) => c.url)).to.deep.equal([`${C}products/kale.ttl`, `${C}products/leek.ttl`]);
    expect(second.conflicts[1]?.message).to.match(/ETag is not the one we wrote/u);
    expect(pod.store.get(`${C}products/leek.ttl`)?.body).to.equal('edited in the pod');
    const forced = await publish(true);
    expect(forced.conflicts).to.deep.equal([]);
    expect(pod.store.get(`${C}products/leek.ttl`)?.body).to.include('9');
  });

  it('says why the pod refused, in a line, without reading a large error body whole', async () => {
    const pod = fakePod({ status: (method) => (method === 'PUT' ? 403 : undefined) });
    const summary = await publishToPod({ eid: 'farm', container: C, catalogue: catalogue(() => [entry('leek', 2)]), ledger: new MemoryLedger(), fetch: pod.fetch });
    expect(summary.written).to.deep.equal([]);
    expect(summary.conflicts).to.have.length(3);
    expect(summary.conflicts[0]?.message).to.match(/^refused by the pod: 403/u);
    expect(summary.conflicts[0]?.message.length).to.be.lessThan(260);
  });
});
