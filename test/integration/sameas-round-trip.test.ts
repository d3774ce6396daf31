/**
 * Issue 14: after an export/import round trip on node A, A lists each product once (its import confirmed the
 * `owl:sameAs` links it kept); node B, synced from A with those links, must list each product once too. A
 * peer's `owl:sameAs` between two resources under its own origin is its operator's word on its own resources,
 * and counts as a local confirmation does; it may not merge resources of another origin.
 */
import { expect } from 'chai';
import type { DfcRecord, SuppliedProductRecord } from '../../ontology/records.js';
import { OWL } from '../../ontology/vocabulary.js';
import { CSV_COLUMNS } from '../../server/federation/federation-service.js';
import { parseCsv } from '../helpers/csv.js';
import { startFederationNode, type FederationNode } from '../helpers/federation.js';

const FERME = 'ferme-des-trois-chenes';
const COPY = 'trois-chenes-bis';

/** A node's federated catalogue as CSV rows, by column name. */
async function csvRows(node: FederationNode): Promise<Record<string, string>[]> {
  const response = await node.request('GET', '/api/federation/catalog.csv?sep=,&decimal=point');
  expect(response.status, response.text.slice(0, 300)).to.equal(200);
  const [header, ...rows] = parseCsv(response.text);
  expect(header).to.deep.equal([...CSV_COLUMNS]);
  return rows.map((row) => Object.fromEntries(row.map((value, i) => [header?.[i] ?? '', value])));
}

const sameAsOf = (r: SuppliedProductRecord): string[] => (r.extra?.[OWL.sameAs] ?? []).flatMap((v) => ('@id' in v ? [v['@id']] : []));

describe('federation: owl:sameAs links received from a peer deduplicate as local ones do', function () {
  this.timeout(60000);
  let a: FederationNode;
  let b: FederationNode;
  let originals: SuppliedProductRecord[];
  /** How many catalog items A's original enterprise sells (each listed once). */
  const sold = async (): Promise<number> => (await a.node.store.listResources(FERME, ['CatalogItem'])).length;

  before(async () => {
    a = await startFederationNode({ name: 'Node A' });
    b = await startFederationNode({ name: 'Node B' });
    await a.seed(FERME);
    // The round trip: A's catalogue exported as JSON-LD, imported back into A as another enterprise. The
    // import renames every resource under A, keeps the original @id as owl:sameAs, and confirms it.
    const exported = await a.request('GET', `/api/dfc/enterprises/${FERME}/catalog_items`, { headers: { Accept: 'application/ld+json' } });
    expect(exported.status).to.equal(200);
    const { records } = await a.node.decoder.decode(exported.text);
    originals = records.filter((r): r is SuppliedProductRecord => r.kind === 'SuppliedProduct');
    expect(originals.length).to.be.greaterThan(3);
    const profile = (await a.node.decoder.decode((await a.request('GET', `/api/dfc/enterprises/${FERME}`)).text)).records;
    const enterprise = profile.find((r) => r.kind === 'Enterprise') as DfcRecord;
    await a.node.catalog.createEnterprise([{ ...enterprise, name: 'Trois Chênes (copie)' } as DfcRecord], { eid: COPY });
    await a.node.catalog.importRecords(COPY, records);
  });
  after(async () => {
    await a.close();
    await b.close();
  });

  it('A lists each product once after the round trip (its import confirmed the links)', async () => {
    const copies = (await a.node.store.listResources(COPY, ['SuppliedProduct'])).map((r) => r.record as SuppliedProductRecord);
    expect(copies).to.have.length(originals.length);
    // Each copy names its original on A (and the example's own @id, which A's original names too).
    for (const copy of copies) expect(sameAsOf(copy).filter((iri) => originals.some((o) => o.id === iri)), copy.id).to.have.length(1);
    const rows = await csvRows(a);
    expect(rows).to.have.length(await sold());
    expect(new Set(rows.map((r) => r['catalog_item_iri'])).size).to.equal(rows.length);
  });

  it('B, synced from A with the owl:sameAs links, lists each product once as well', async () => {
    const peer = await b.addPeer(`${a.base}/api/dfc/enterprises/${FERME}`, 'Node A');
    await b.sync(peer.id);
    const copyPeer = await b.addPeer(`${a.base}/api/dfc/enterprises/${COPY}`, 'Node A (copie)');
    await b.sync(copyPeer.id);
    const rows = await csvRows(b);
    const names = rows.map((r) => r['product']).sort();
    expect(names).to.deep.equal((await csvRows(a)).map((r) => r['product']).sort());
    expect(rows).to.have.length(await sold());
    // The originals' offers are the ones listed, on A as on B: a copy naming its original gives way to it.
    const underFerme = (r: Record<string, string>): boolean => (r['catalog_item_iri'] ?? '').startsWith(`${a.base}/api/dfc/enterprises/${FERME}/`);
    expect(rows.every(underFerme)).to.equal(true);
    expect((await csvRows(a)).every(underFerme)).to.equal(true);
    // Each listed product stands for both of A's (the original and its copy): B keeps both sources' rows.
    const listed = await b.node.federation.rows(await b.node.federation.query({}));
    const behind = await b.node.store.index.rowsOfKeys([...new Set(listed.map((r) => r.productKey))]);
    expect(new Set(behind.map((r) => r.source))).to.have.property('size', 2);
    expect(behind).to.have.length(rows.length * 2);
  });
});
