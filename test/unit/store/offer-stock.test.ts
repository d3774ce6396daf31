/**
 * An offer's own stock on SQLite: an offer written alone with a stock other than its item's has a ledger of its
 * own, which limits the orders through it as the item's does (all or nothing, never the same unit twice, the
 * invariant checked by the database), and which its published stock follows; the item's ledger still limits the
 * total over all its offers, and an offer that mirrors its item's stock has no ledger of its own.
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NodeId } from '../../../ontology/iri.js';
import type { CatalogItemRecord, DfcRecord, OfferRecord } from '../../../ontology/records.js';
import type { NewOrderLine } from '../../../server/store/orders.js';
import { SqliteDatabase } from '../../../server/store/sqlite/database.js';
import { migrate, MIGRATIONS } from '../../../server/store/sqlite/migrations.js';
import { SqliteStore } from '../../../server/store/sqlite/sqlite-store.js';
import { readRows } from '../../helpers/sqlite.js';

const base = 'https://a.example';
const id = (path: string): NodeId => `${base}/api/dfc/enterprises/ferme/${path}` as NodeId;
const ITEM = id('catalog_items/miel');
const RETAIL = id('offers/miel');
const WHOLESALE = id('offers/miel-gros');
const item = (stock: number | null): CatalogItemRecord => ({
  kind: 'CatalogItem', id: ITEM, product: id('supplied_products/miel'), stock, offers: [RETAIL, WHOLESALE], listedIn: [],
});
const offer = (iri: NodeId, stock: number | null): OfferRecord => ({ kind: 'Offer', id: iri, item: ITEM, stock, price: { value: 2, currency: 'x' as never } });

interface OfferLedgerSql { own: number; initial: number; restocked: number; available: number; reserved: number; sold: number }

describe('store: an offer\'s own stock', () => {
  let dir: string;
  let file: string;
  let store: SqliteStore;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'maillon-offer-stock-'));
    file = join(dir, 'node.db');
    store = await SqliteStore.open({ path: file, baseUrl: base });
    const records: DfcRecord[] = [item(10), offer(RETAIL, 10), offer(WHOLESALE, 10)];
    await store.createEnterprise('ferme', `${base}/api/dfc/enterprises/ferme`, []);
    await store.apply('ferme', { upsert: records });
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const line = (iri: NodeId, quantity: number): NewOrderLine => ({ offer: iri, item: ITEM, quantity });
  const place = (lines: NewOrderLine[], expiresAt: string | null = null) => store.orders.create({ eid: 'ferme', collection: id('orders'), state: 'Held', lines, expiresAt });
  const published = async (iri: NodeId): Promise<number | null> => ((await store.getResource(iri))?.record as OfferRecord | CatalogItemRecord).stock;
  /** Writes the offer alone, as a PUT of the offer does (the record as stored, with the stock given). */
  const writeOffer = async (iri: NodeId, stock: number | null): Promise<void> => {
    const stored = (await store.getResource(iri))?.record as OfferRecord;
    await store.apply('ferme', { upsert: [{ ...stored, stock }], expect: new Map([[iri, stored]]) });
  };
  const ledger = async (iri: NodeId): Promise<OfferLedgerSql | undefined> => {
    const [row] = await readRows<OfferLedgerSql>(file, 'SELECT own, initial, restocked, available, reserved, sold FROM offer_stock WHERE offer_iri = ?', [iri]);
    if (row !== undefined) expect(row.initial + row.restocked).to.be.closeTo(row.available + row.reserved + row.sold, 1e-9);
    return row;
  };

  it('limits the orders through an offer given a stock of its own, naming its short lines as the item\'s', async () => {
    await writeOffer(RETAIL, 3);
    expect(await ledger(RETAIL)).to.include({ own: 1, available: 3, reserved: 0 });
    // The other offer still mirrors the item: no ledger of its own.
    expect(await ledger(WHOLESALE)).to.equal(undefined);
    const refused = await place([line(RETAIL, 4)]);
    expect(refused).to.deep.include({ ok: false, short: [{ index: 0, item: ITEM, offer: RETAIL, requested: 4, available: 3 }] });
    // Two lines through the offer are counted together, as two lines of one item are.
    const together = await place([line(RETAIL, 2), line(RETAIL, 2)]);
    expect(together).to.deep.include({
      ok: false, short: [
        { index: 0, item: ITEM, offer: RETAIL, requested: 2, available: 3, requestedTogether: 4, sharedWith: [1] },
        { index: 1, item: ITEM, offer: RETAIL, requested: 2, available: 3, requestedTogether: 4, sharedWith: [0] },
      ],
    });
    expect(await store.orders.stock(ITEM)).to.include({ available: 10, reserved: 0 });
    expect(await ledger(RETAIL)).to.include({ available: 3, reserved: 0 });
    // Within it: both ledgers move, and both published stocks follow.
    const placed = await place([line(RETAIL, 2)]);
    expect(placed.ok).to.equal(true);
    expect(await ledger(RETAIL)).to.include({ own: 1, available: 1, reserved: 2 });
    expect(await store.orders.stock(ITEM)).to.include({ available: 8, reserved: 2 });
    expect(await published(RETAIL)).to.equal(1);
    expect(await published(ITEM)).to.equal(8);
    // The offer that mirrors the item follows the item, not the other offer.
    expect(await published(WHOLESALE)).to.equal(8);
    expect(placed.ok && placed.order.lines[0]?.offerReserved).to.equal(2);
  });

  it('follows every order event through the offer: amended up and down, cancelled, expired, completed, restocked', async () => {
    await writeOffer(RETAIL, 3);
    const placed = await place([line(RETAIL, 1)]);
    if (!placed.ok) throw new Error('not placed');
    const iri = placed.order.iri;
    // Up within the offer's stock, then beyond it (what the order could have: what is left and what it holds).
    expect((await store.orders.amend(iri, { lines: [line(RETAIL, 3)], expiresAt: null })).ok).to.equal(true);
    expect(await published(RETAIL)).to.equal(0);
    const beyond = await store.orders.amend(iri, { lines: [line(RETAIL, 4)], expiresAt: null });
    expect(beyond).to.deep.include({ ok: false, short: [{ index: 0, item: ITEM, offer: RETAIL, requested: 4, available: 3 }] });
    // Down, and moved to the mirroring offer: the offer's own units go back.
    expect((await store.orders.amend(iri, { lines: [line(RETAIL, 1), line(WHOLESALE, 5)], expiresAt: null })).ok).to.equal(true);
    expect(await ledger(RETAIL)).to.include({ available: 2, reserved: 1 });
    expect(await published(RETAIL)).to.equal(2);
    expect(await store.orders.stock(ITEM)).to.include({ available: 4, reserved: 6 });
    // Cancelled: everything back, on both ledgers and in the published stocks.
    await store.orders.cancel(iri, 'cancelled');
    expect(await ledger(RETAIL)).to.include({ available: 3, reserved: 0 });
    expect([await published(RETAIL), await published(ITEM), await published(WHOLESALE)]).to.deep.equal([3, 10, 10]);
    // Expired (the sweep cancels it): back too.
    const expiring = await place([line(RETAIL, 2)], '2000-01-01T00:00:00.000Z');
    if (!expiring.ok) throw new Error('not placed');
    expect((await store.orders.expired(new Date().toISOString(), 10)).map((o) => o.iri)).to.deep.equal([expiring.order.iri]);
    await store.orders.cancel(expiring.order.iri, 'expired');
    expect(await published(RETAIL)).to.equal(3);
    // Completed: sold, not given back.
    const sold = await place([line(RETAIL, 2)]);
    if (!sold.ok) throw new Error('not placed');
    await store.orders.complete(sold.order.iri);
    expect(await ledger(RETAIL)).to.include({ available: 1, reserved: 0, sold: 2 });
    expect(await published(RETAIL)).to.equal(1);
    // Restocked by a new write of the offer's stock, while an order holds some of it: what is written is what is left.
    const held = await place([line(RETAIL, 1)]);
    if (!held.ok) throw new Error('not placed');
    await writeOffer(RETAIL, 5);
    expect(await ledger(RETAIL)).to.include({ own: 1, available: 5, reserved: 1 });
    expect((await place([line(RETAIL, 6)])).ok).to.equal(false);
    expect((await place([line(RETAIL, 5)])).ok).to.equal(true);
    expect(await published(RETAIL)).to.equal(0);
  });

  it('still needs the item\'s stock: the item limits the total over all its offers', async () => {
    await writeOffer(RETAIL, 6);
    expect((await place([line(WHOLESALE, 7)])).ok).to.equal(true);
    const refused = await place([line(RETAIL, 4)]);
    expect(refused).to.deep.include({ ok: false, short: [{ index: 0, item: ITEM, requested: 4, available: 3 }] });
    expect(await ledger(RETAIL)).to.include({ available: 6, reserved: 0 });
    expect((await place([line(RETAIL, 3)])).ok).to.equal(true);
    expect(await ledger(RETAIL)).to.include({ available: 3, reserved: 3 });
  });

  it('limits an offer of an on-demand item by its own stock', async () => {
    const stored = (await store.getResource(ITEM))?.record as CatalogItemRecord;
    await store.apply('ferme', { upsert: [offer(RETAIL, null), offer(WHOLESALE, null), { ...stored, stock: null }] });
    await writeOffer(RETAIL, 2);
    expect((await place([line(RETAIL, 3)])).ok).to.equal(false);
    expect((await place([line(RETAIL, 2), line(WHOLESALE, 50)])).ok).to.equal(true);
    expect(await published(RETAIL)).to.equal(0);
    expect(await published(ITEM)).to.equal(null);
  });

  it('keeps the offers mirroring their item without a ledger of their own when the item\'s stock is written with them', async () => {
    await writeOffer(RETAIL, 3);
    // A write of the item's stock sets the offers that mirror it (the stock writes), in one statement with the item.
    const before = (await store.getResource(ITEM))?.record as CatalogItemRecord;
    const mirror = (await store.getResource(WHOLESALE))?.record as OfferRecord;
    await store.apply('ferme', {
      upsert: [{ ...mirror, stock: 20 }, { ...before, stock: 20 }], expect: new Map<string, DfcRecord>([[WHOLESALE, mirror], [ITEM, before]]),
    });
    expect(await ledger(WHOLESALE)).to.equal(undefined);
    expect(await ledger(RETAIL)).to.include({ own: 1, available: 3 });
    expect((await place([line(WHOLESALE, 15)])).ok).to.equal(true);
    expect([await published(WHOLESALE), await published(ITEM), await published(RETAIL)]).to.deep.equal([5, 5, 3]);
    // An offer written alone with its item's stock mirrors it again: no longer limited by a stock of its own.
    await writeOffer(RETAIL, 5);
    expect(await ledger(RETAIL)).to.equal(undefined);
    expect((await place([line(RETAIL, 1)])).ok).to.equal(true);
    expect([await published(WHOLESALE), await published(ITEM), await published(RETAIL)]).to.deep.equal([4, 4, 4]);
  });

  it('keeps no ledger of their own for the mirrors written with their item, whatever the order the statement writes them in', async () => {
    // Offers stored before their item (rows numbered before it: the statement writes them first), then made mirrors
    // by a write of each alone (from a stock of their own below the item's: one above it publishes the item's
    // already, which a write of that number then leaves as it is).
    const other = id('catalog_items/cire');
    const first = (iri: NodeId): OfferRecord => ({ ...offer(iri, 7), item: other });
    const [A, B] = [id('offers/cire'), id('offers/cire-gros')];
    await store.apply('ferme', { upsert: [first(A), first(B)] });
    await store.apply('ferme', { upsert: [{ ...item(7), id: other, offers: [A, B] }] });
    for (const iri of [A, B]) {
      const stored = (await store.getResource(iri))?.record as OfferRecord;
      await store.apply('ferme', { upsert: [{ ...stored, stock: 6 }], expect: new Map([[iri, stored]]) });
      const again = (await store.getResource(iri))?.record as OfferRecord;
      await store.apply('ferme', { upsert: [{ ...again, stock: 7 }], expect: new Map([[iri, again]]) });
      expect(await ledger(iri)).to.equal(undefined);
    }
    // The item's stock written with them, as the stock writes do (in one statement), in either order.
    for (const [stock, offersFirst] of [[20, true], [30, false]] as const) {
      const stored = await store.getResources([other, A, B]);
      const records = [other, A, B].map((iri) => stored.find((r) => r.record.id === iri)?.record as DfcRecord);
      const upsert = records.map((r) => ({ ...r, stock }) as DfcRecord);
      await store.apply('ferme', { upsert: offersFirst ? upsert.reverse() : upsert, expect: new Map(records.map((r) => [r.id, r])) });
      expect([await ledger(A), await ledger(B)]).to.deep.equal([undefined, undefined]);
      expect([await published(other), await published(A), await published(B)]).to.deep.equal([stock, stock, stock]);
    }
  });

  it('gives back to the offer what an order held of it, after a write of the offer made it mirror its item again', async () => {
    await writeOffer(RETAIL, 3);
    const placed = await place([line(RETAIL, 2)]);
    if (!placed.ok) throw new Error('not placed');
    // Its item's stock written as the number the offer has left: the offer's stock stays its own (only a write of
    // the offer takes it away), and is still read as such.
    const before = (await store.getResource(ITEM))?.record as CatalogItemRecord;
    await store.apply('ferme', { upsert: [{ ...before, stock: 1 }], expect: new Map([[ITEM, before]]) });
    expect(await ledger(RETAIL)).to.include({ own: 1, available: 1, reserved: 2 });
    expect((await store.getResources([RETAIL]))[0]?.ownStock).to.equal(true);
    const restocked = (await store.getResource(ITEM))?.record as CatalogItemRecord;
    await store.apply('ferme', { upsert: [{ ...restocked, stock: 4 }], expect: new Map([[ITEM, restocked]]) });
    expect(await ledger(RETAIL)).to.include({ own: 1, available: 1, reserved: 2 });
    // The offer written alone with its item's stock: it mirrors it, its ledger kept for the order that holds some.
    await writeOffer(RETAIL, 4);
    expect(await ledger(RETAIL)).to.include({ own: 0, reserved: 2 });
    expect((await store.getResources([RETAIL]))[0]?.ownStock).to.equal(undefined);
    await store.orders.cancel(placed.order.iri, 'cancelled');
    // It publishes its item's stock, as a mirror does (its ledger then gone: it holds nothing).
    expect(await ledger(RETAIL)).to.equal(undefined);
    expect([await published(ITEM), await published(RETAIL)]).to.deep.equal([6, 6]);
  });

  it('asks an order placed while the offer mirrored its item only for what an amendment adds, and gives back only what it took', async () => {
    const placed = await place([line(RETAIL, 3)]);
    if (!placed.ok) throw new Error('not placed');
    // The offer's own stock written after: what is written is what is left, the order's 3 units not among them.
    await writeOffer(RETAIL, 1);
    const iri = placed.order.iri;
    // The same lines again (a buyer's PUT of the order as it is): nothing asked of the offer's stock.
    expect((await store.orders.amend(iri, { lines: [line(RETAIL, 3)], expiresAt: null })).ok).to.equal(true);
    expect(await ledger(RETAIL)).to.include({ available: 1, reserved: 0 });
    // One more: taken from it; two more than that: short, the order could have 4 through the offer.
    expect((await store.orders.amend(iri, { lines: [line(RETAIL, 4)], expiresAt: null })).ok).to.equal(true);
    expect(await ledger(RETAIL)).to.include({ available: 0, reserved: 1 });
    const beyond = await store.orders.amend(iri, { lines: [line(RETAIL, 5)], expiresAt: null });
    expect(beyond).to.deep.include({ ok: false, short: [{ index: 0, item: ITEM, offer: RETAIL, requested: 5, available: 4 }] });
    // Cancelled: the offer gets back the unit it gave, not the three it never counted.
    await store.orders.cancel(iri, 'cancelled');
    expect(await ledger(RETAIL)).to.include({ available: 1, reserved: 0 });
    expect(await published(RETAIL)).to.equal(1);
  });

  it('never lets two orders take the same unit of an offer\'s own stock', async () => {
    await writeOffer(RETAIL, 3);
    // Queued together (the shared statements) and one at a time (amendments, each its own transaction).
    const results = await Promise.all(Array.from({ length: 12 }, () => place([line(RETAIL, 1)])));
    expect(results.filter((r) => r.ok)).to.have.length(3);
    expect(await ledger(RETAIL)).to.include({ available: 0, reserved: 3 });
    await store.orders.cancel((results.find((r) => r.ok) as { order: { iri: string } }).order.iri, 'cancelled');
    const empty = await place([line(WHOLESALE, 1)]);
    if (!empty.ok) throw new Error('not placed');
    const amended = await Promise.all(Array.from({ length: 6 }, async () => {
      const own = await place([line(WHOLESALE, 1)]);
      if (!own.ok) throw new Error('not placed');
      return store.orders.amend(own.order.iri, { lines: [line(RETAIL, 1)], expiresAt: null });
    }));
    expect(amended.filter((r) => r.ok)).to.have.length(1);
    expect(await ledger(RETAIL)).to.include({ available: 0, reserved: 3 });
    expect(await published(RETAIL)).to.equal(0);
  });

  it('publishes what can be ordered through the offer: no more than its item has left, the ledgers as they are', async () => {
    // The item has 1 left; the offer is written with 3 of its own.
    const before = (await store.getResource(ITEM))?.record as CatalogItemRecord;
    await store.apply('ferme', { upsert: [{ ...before, stock: 1 }], expect: new Map([[ITEM, before]]) });
    await writeOffer(RETAIL, 3);
    expect(await ledger(RETAIL)).to.include({ own: 1, available: 3 });
    expect(await published(RETAIL)).to.equal(1);
    // In its latest version in the feed too.
    const latest = async (): Promise<unknown> => ((await store.feed.events(0, 1000, 'ferme')).filter((e) => e.iri === RETAIL).at(-1)?.record as OfferRecord | null)?.stock;
    expect(await latest()).to.equal(1);
    // The item restocked to 10 (a stock write, as the shared statement runs them): the offer's own 3.
    const one = (await store.getResource(ITEM))?.record as CatalogItemRecord;
    await store.apply('ferme', { upsert: [{ ...one, stock: 10 }], expect: new Map([[ITEM, one]]) });
    expect(await published(RETAIL)).to.equal(3);
    expect(await ledger(RETAIL)).to.include({ own: 1, available: 3 });
    // An order of 2 through the offer: 1 left of its own, 8 of the item.
    expect((await place([line(RETAIL, 2)])).ok).to.equal(true);
    expect([await published(RETAIL), await published(ITEM)]).to.deep.equal([1, 8]);
    expect(await latest()).to.equal(1);
    // Orders through the other offer take the item below the offer's own: the offer follows the item.
    expect((await place([line(WHOLESALE, 8)])).ok).to.equal(true);
    expect([await published(RETAIL), await published(ITEM)]).to.deep.equal([0, 0]);
    expect(await ledger(RETAIL)).to.include({ own: 1, available: 1, reserved: 2 });
    // Its own stock written again, more than the item has: published as the item's, the ledger as written.
    await writeOffer(RETAIL, 5);
    expect(await ledger(RETAIL)).to.include({ own: 1, available: 5 });
    expect(await published(RETAIL)).to.equal(0);
  });

  it('publishes no more than its item has left when the item and the offer are written together at other stocks', async () => {
    // One change set replacing both as read (a stock write's shape): the item down to 3, the offer given 5 of its own.
    const [storedItem, storedOffer] = [(await store.getResource(ITEM))?.record as CatalogItemRecord, (await store.getResource(RETAIL))?.record as OfferRecord];
    await store.apply('ferme', { upsert: [{ ...storedItem, stock: 3 }, { ...storedOffer, stock: 5 }], expect: new Map<NodeId, DfcRecord>([[ITEM, storedItem], [RETAIL, storedOffer]]) });
    expect(await ledger(RETAIL)).to.include({ own: 1, available: 5 });
    expect([await published(RETAIL), await published(ITEM)]).to.deep.equal([3, 3]);
  });

  it('publishes no more than its item has left when a write of the offer shares its statement with a stock write of the item', async () => {
    // At once, as two requests do: the item's stock write (the item down to 3, its mirror with it), and the offer
    // given 5 of its own (below the item's 10 as it read it): the stock writes queued together share one statement.
    const [storedItem, storedOffer, mirror] = await Promise.all([ITEM, RETAIL, WHOLESALE].map(async (iri) => (await store.getResource(iri))?.record as DfcRecord));
    await Promise.all([
      store.apply('ferme', { upsert: [{ ...storedItem, stock: 3 } as DfcRecord, { ...mirror, stock: 3 } as DfcRecord], expect: new Map<NodeId, DfcRecord>([[ITEM, storedItem as DfcRecord], [WHOLESALE, mirror as DfcRecord]]) }),
      store.apply('ferme', { upsert: [{ ...storedOffer, stock: 5 } as DfcRecord], expect: new Map<NodeId, DfcRecord>([[RETAIL, storedOffer as DfcRecord]]) }),
    ]);
    expect(await ledger(RETAIL)).to.include({ own: 1, available: 5 });
    expect([await published(RETAIL), await published(ITEM), await published(WHOLESALE)]).to.deep.equal([3, 3, 3]);
  });

  it('publishes the smaller stock in migration 42 for the offers stored before it', async () => {
    await writeOffer(RETAIL, 3);
    const before = (await store.getResource(ITEM))?.record as CatalogItemRecord;
    await store.apply('ferme', { upsert: [{ ...before, stock: 1 }], expect: new Map([[ITEM, before]]) });
    // As a node before migration 42 left it: the offer publishing its own 3.
    await store.close();
    const db = await SqliteDatabase.open(file);
    await db.transaction(async (tx) => {
      await tx.run(`UPDATE resources SET record = json_set(record, '$.stock', 3), stock = 3 WHERE iri = ?`, [RETAIL]);
      await tx.run('DELETE FROM schema_migrations WHERE version = 42');
    });
    await db.close();
    store = await SqliteStore.open({ path: file, baseUrl: base });
    expect(await published(RETAIL)).to.equal(1);
    expect(await ledger(RETAIL)).to.include({ own: 1, available: 3 });
  });

  it('opens, in migration 38, a ledger for every offer stored with a stock other than its item\'s', async () => {
    const old = join(dir, 'old.db');
    const db = await SqliteDatabase.open(old);
    try {
      await migrate(db, MIGRATIONS.filter((m) => m.version < 38));
      await db.transaction(async (tx) => {
        await tx.run("INSERT INTO enterprises (eid, iri, name, created_at, updated_at) VALUES ('ferme', 'x:ferme', 'Ferme', 'then', 'then')");
        const insert = "INSERT INTO resources (iri, eid, kind, record, stock, created_at, updated_at) VALUES (?, 'ferme', ?, ?, ?, 'then', 'then')";
        await tx.run(insert, [ITEM, 'CatalogItem', JSON.stringify(item(10)), 10]);
        await tx.run(insert, [RETAIL, 'Offer', JSON.stringify(offer(RETAIL, 4)), 4]);
        await tx.run(insert, [WHOLESALE, 'Offer', JSON.stringify(offer(WHOLESALE, 10)), 10]);
      });
      expect(await migrate(db)).to.include(38);
    } finally {
      await db.close();
    }
    expect(await readRows(old, 'SELECT offer_iri, item_iri, own, initial, available, reserved, sold FROM offer_stock')).to.deep.equal([
      { offer_iri: RETAIL, item_iri: ITEM, own: 1, initial: 4, available: 4, reserved: 0, sold: 0 },
    ]);
  });
});
