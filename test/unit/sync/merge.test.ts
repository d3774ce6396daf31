import { expect } from 'chai';
import type { Iri, NodeId } from '../../../ontology/iri.js';
import type { DfcRecord, OfferRecord, SuppliedProductRecord } from '../../../ontology/records.js';
import { measureIri } from '../../../ontology/units.js';
import type { HeldResource } from '../../../server/store/federation.js';
import { planMerge, recordHash, type MergeInput, type SnapshotPage } from '../../../server/sync/merge.js';

const PEER = 'https://shop.example';
const OTHER = 'https://farm.example';
const OWN = 'https://node.example';
const PAGE1 = `${PEER}/api/dfc/enterprises/shop/catalog_items`;
const PAGE2 = `${PEER}/api/dfc/enterprises/shop/catalog_items?page=2`;
const T0 = '2026-03-01T10:00:00.000Z';
const HOUR = 3_600_000;

const at = (iso: string, ms: number): string => new Date(Date.parse(iso) + ms).toISOString();

function product(origin: string, slug: string, name: string): SuppliedProductRecord {
  return {
    kind: 'SuppliedProduct', id: `${origin}/api/dfc/enterprises/e/supplied_products/${slug}` as Iri, name,
    images: [], variantOf: [], variants: [], catalogItems: [],
  };
}

function offer(origin: string, slug: string, price: number): OfferRecord {
  return {
    kind: 'Offer', id: `${origin}/api/dfc/enterprises/e/offers/${slug}` as Iri,
    price: { value: price, currency: measureIri('Euro') }, stock: null,
  };
}

/** What a previous sync stored for a record. */
function heldOf(record: DfcRecord, sourceUrl: string, extra: Partial<HeldResource> = {}): HeldResource {
  return { iri: record.id, hash: recordHash(record), sourceUrl, missingSince: null, withdrawnAt: null, ...extra };
}

function heldMap(...resources: HeldResource[]): Map<string, HeldResource> {
  return new Map(resources.map((r) => [r.iri, r]));
}

function input(pages: readonly SnapshotPage[], held: Map<string, HeldResource> = new Map(), overrides: Partial<MergeInput> = {}): MergeInput {
  return { peerOrigin: PEER, ownBase: OWN, held, pages, complete: true, now: T0, graceMs: HOUR, ...overrides };
}

const page = (url: string, ...records: DfcRecord[]): SnapshotPage => ({ url, status: 200, records });
const notModified = (url: string): SnapshotPage => ({ url, status: 304 });

describe('planMerge', () => {
  const apple = product(PEER, 'apple', 'Apple');
  const pear = product(PEER, 'pear', 'Pear');
  const plum = product(PEER, 'plum', 'Plum');
  const appleOffer = offer(PEER, 'apple', 2.5);

  describe('counts', () => {
    it('counts every record of a first snapshot as added, and plans them all', () => {
      const plan = planMerge(input([page(PAGE1, apple, pear, appleOffer)]));
      expect(plan).to.deep.include({ added: 3, updated: 0, unchanged: 0 });
      expect(plan.upsert.map((r) => r.iri)).to.deep.equal([apple.id, pear.id, appleOffer.id]);
      expect(plan.upsert[0]).to.deep.equal({
        iri: apple.id, kind: 'SuppliedProduct', record: apple, json: JSON.stringify(apple), hash: recordHash(apple), authoritative: true, sourceUrl: PAGE1,
      });
      expect(plan.missing).to.deep.equal([]);
      expect(plan.withdrawn).to.deep.equal([]);
      expect(plan.restored).to.deep.equal([]);
      expect(plan.refused).to.deep.equal([]);
    });

    it('tells added, updated and unchanged apart', () => {
      const held = heldMap(heldOf(apple, PAGE1), heldOf(pear, PAGE1));
      const renamedPear = { ...pear, name: 'Conference pear' };
      const plan = planMerge(input([page(PAGE1, apple, renamedPear, plum)], held));
      expect(plan).to.deep.include({ added: 1, updated: 1, unchanged: 1 });
      expect(plan.upsert.map((r) => r.iri)).to.deep.equal([pear.id, plum.id]);
      expect(plan.upsert[0]?.record).to.deep.equal(renamedPear);
      expect(plan.upsert[0]?.hash).to.equal(recordHash(renamedPear));
    });

    it('plans nothing to write when the same records come again', () => {
      const first = planMerge(input([page(PAGE1, apple, pear, appleOffer)]));
      const held = heldMap(...first.upsert.map((r) => heldOf(r.record, r.sourceUrl)));
      const again = planMerge(input([page(PAGE1, apple, pear, appleOffer)], held, { now: at(T0, HOUR * 5) }));
      expect(again).to.deep.equal({
        upsert: [], added: 0, updated: 0, unchanged: 3, missing: [], withdrawn: [], restored: [], refused: [],
      });
    });

    it('moves a record that changed page without counting it as updated', () => {
      const plan = planMerge(input([page(PAGE2, apple)], heldMap(heldOf(apple, PAGE1))));
      expect(plan).to.deep.include({ added: 0, updated: 0, unchanged: 1 });
      expect(plan.upsert.map((r) => [r.iri, r.sourceUrl])).to.deep.equal([[apple.id, PAGE2]]);
    });

    it('counts the same @id on two pages once (the first one wins)', () => {
      const other = { ...apple, name: 'Apple (page 2)' };
      const plan = planMerge(input([page(PAGE1, apple, pear), page(PAGE2, other, plum)]));
      expect(plan).to.deep.include({ added: 3, updated: 0, unchanged: 0 });
      expect(plan.upsert.map((r) => r.iri)).to.deep.equal([apple.id, pear.id, plum.id]);
      expect(plan.upsert[0]).to.deep.include({ record: apple, sourceUrl: PAGE1 });
    });

    it('counts a record repeated on one page once', () => {
      const plan = planMerge(input([page(PAGE1, apple, apple)], heldMap(heldOf(apple, PAGE1))));
      expect(plan).to.deep.include({ added: 0, updated: 0, unchanged: 1 });
    });
  });

  describe('pages answered 304', () => {
    it('keeps the resources of a 304 page seen: nothing missing, nothing written', () => {
      const held = heldMap(heldOf(apple, PAGE1), heldOf(pear, PAGE1), heldOf(plum, PAGE2));
      const plan = planMerge(input([notModified(PAGE1), page(PAGE2, plum)], held));
      expect(plan).to.deep.equal({
        upsert: [], added: 0, updated: 0, unchanged: 1, missing: [], withdrawn: [], restored: [], refused: [],
      });
    });

    it('still notices what vanished from the pages that did change', () => {
      const held = heldMap(heldOf(apple, PAGE1), heldOf(plum, PAGE2));
      const plan = planMerge(input([notModified(PAGE1), page(PAGE2)], held));
      expect(plan.missing).to.deep.equal([plum.id]);
    });

    it('keeps missing a resource whose page answers 304: the page that no longer listed it has not changed', () => {
      const held = heldMap(heldOf(apple, PAGE1, { missingSince: T0 }));
      const plan = planMerge(input([notModified(PAGE1)], held, { now: at(T0, 10), graceMs: 60_000 }));
      expect(plan.restored).to.deep.equal([]);
      expect(plan.missing).to.deep.equal([]);
      expect(plan.upsert).to.deep.equal([]);
    });

    it('withdraws a missing resource after the grace even when its page answers 304', () => {
      const held = heldMap(heldOf(apple, PAGE1, { missingSince: T0 }));
      const plan = planMerge(input([notModified(PAGE1)], held, { now: at(T0, 120_000), graceMs: 60_000 }));
      expect(plan.withdrawn).to.deep.equal([apple.id]);
    });
  });

  describe('refusals', () => {
    it('refuses a record under our own base with an error problem, and keeps the rest', () => {
      const ours = product(OWN, 'carrot', 'Our carrot, renamed by a peer');
      const plan = planMerge(input([page(PAGE1, ours, apple)]));
      expect(plan.upsert.map((r) => r.iri)).to.deep.equal([apple.id]);
      expect(plan.added).to.equal(1);
      expect(plan.refused).to.have.length(1);
      expect(plan.refused[0]).to.deep.include({ id: ours.id, type: 'dfc-b:SuppliedProduct', path: '@id', severity: 'error' });
      expect(plan.refused[0]?.message).to.match(/cannot change a resource of this node/u);
    });

    it('refuses our base itself and ignores a trailing slash on it', () => {
      const base = { ...product(OWN, 'x', 'x'), id: OWN as Iri };
      const plan = planMerge(input([page(PAGE1, base, product(OWN, 'y', 'y'))], new Map(), { ownBase: `${OWN}/` }));
      expect(plan.upsert).to.deep.equal([]);
      expect(plan.refused.map((p) => p.severity)).to.deep.equal(['error', 'error']);
    });

    it('does not refuse an origin that only starts like our base', () => {
      const lookalike = product(`${OWN}.evil.example`, 'x', 'x');
      const plan = planMerge(input([page(PAGE1, lookalike)]));
      expect(plan.refused).to.deep.equal([]);
      expect(plan.upsert.map((r) => r.iri)).to.deep.equal([lookalike.id]);
    });

    it('skips a blank-node record with a warning', () => {
      const blank: DfcRecord = { ...apple, id: '_:b0' as NodeId };
      const plan = planMerge(input([page(PAGE1, blank, pear)]));
      expect(plan.upsert.map((r) => r.iri)).to.deep.equal([pear.id]);
      expect(plan.added).to.equal(1);
      expect(plan.refused).to.have.length(1);
      expect(plan.refused[0]).to.deep.include({ id: '_:b0', type: 'dfc-b:SuppliedProduct', path: '@id', severity: 'warning' });
    });
  });

  describe('authority', () => {
    it('is authoritative for @ids under the peer origin only', () => {
      const relayed = product(OTHER, 'cheese', 'Cheese');
      const plan = planMerge(input([page(PAGE1, apple, relayed)]));
      expect(plan.upsert.map((r) => [r.iri, r.authoritative])).to.deep.equal([[apple.id, true], [relayed.id, false]]);
    });

    it('compares origins, not strings: default port and host case count as the same origin', () => {
      const withPort = { ...apple, id: 'https://SHOP.example:443/api/dfc/x' as Iri };
      const otherPort = { ...apple, id: 'https://shop.example:8443/api/dfc/x' as Iri };
      const otherScheme = { ...apple, id: 'http://shop.example/api/dfc/x' as Iri };
      const plan = planMerge(input([page(PAGE1, withPort, otherPort, otherScheme)]));
      expect(plan.upsert.map((r) => r.authoritative)).to.deep.equal([true, false, false]);
    });

    it('judges authority from the peer origin of each snapshot', () => {
      const relayed = product(OTHER, 'cheese', 'Cheese');
      const plan = planMerge(input([page(PAGE1, relayed)], heldMap(heldOf({ ...relayed, name: 'Old' }, PAGE1)), { peerOrigin: OTHER }));
      expect(plan.upsert[0]?.authoritative).to.equal(true);
    });
  });

  describe('absence, withdrawal and return', () => {
    it('marks a resource absent from a complete snapshot missing, not withdrawn, within the grace', () => {
      const held = heldMap(heldOf(apple, PAGE1), heldOf(pear, PAGE1));
      const plan = planMerge(input([page(PAGE1, apple)], held));
      expect(plan.missing).to.deep.equal([pear.id]);
      expect(plan.withdrawn).to.deep.equal([]);
      expect(plan.upsert).to.deep.equal([]);
    });

    it('keeps it missing (not planned again) until the grace has passed, then withdraws it', () => {
      const held = heldMap(heldOf(apple, PAGE1), heldOf(pear, PAGE1, { missingSince: T0 }));
      const early = planMerge(input([page(PAGE1, apple)], held, { now: at(T0, HOUR - 1) }));
      expect(early.missing).to.deep.equal([]);
      expect(early.withdrawn).to.deep.equal([]);
      const late = planMerge(input([page(PAGE1, apple)], held, { now: at(T0, HOUR) }));
      expect(late.missing).to.deep.equal([]);
      expect(late.withdrawn).to.deep.equal([pear.id]);
    });

    it('withdraws at once with a zero grace', () => {
      const plan = planMerge(input([page(PAGE1)], heldMap(heldOf(apple, PAGE1)), { graceMs: 0 }));
      expect(plan.missing).to.deep.equal([apple.id]);
      expect(plan.withdrawn).to.deep.equal([apple.id]);
    });

    it('does not withdraw the same resource twice', () => {
      const held = heldMap(heldOf(pear, PAGE1, { missingSince: T0, withdrawnAt: at(T0, HOUR) }));
      const plan = planMerge(input([page(PAGE1)], held, { now: at(T0, HOUR * 48) }));
      expect(plan.missing).to.deep.equal([]);
      expect(plan.withdrawn).to.deep.equal([]);
    });

    it('never marks anything missing when the snapshot is incomplete', () => {
      const held = heldMap(heldOf(apple, PAGE1), heldOf(pear, PAGE2, { missingSince: T0 }));
      const plan = planMerge(input([page(PAGE1)], held, { complete: false, now: at(T0, HOUR * 48) }));
      expect(plan.missing).to.deep.equal([]);
      expect(plan.withdrawn).to.deep.equal([]);
    });

    it('restores a withdrawn resource that is listed again, without rewriting it when unchanged', () => {
      const held = heldMap(heldOf(pear, PAGE1, { missingSince: T0, withdrawnAt: at(T0, HOUR) }));
      const plan = planMerge(input([page(PAGE1, pear)], held, { now: at(T0, HOUR * 2) }));
      expect(plan.restored).to.deep.equal([pear.id]);
      expect(plan).to.deep.include({ added: 0, updated: 0, unchanged: 1 });
      expect(plan.upsert).to.deep.equal([]);
      expect(plan.missing).to.deep.equal([]);
      expect(plan.withdrawn).to.deep.equal([]);
    });

    it('restores a missing resource that comes back changed, and plans its update', () => {
      const held = heldMap(heldOf(pear, PAGE1, { missingSince: T0 }));
      const changed = { ...pear, name: 'Pear, back' };
      const plan = planMerge(input([page(PAGE1, changed)], held, { now: at(T0, 10) }));
      expect(plan.restored).to.deep.equal([pear.id]);
      expect(plan.updated).to.equal(1);
      expect(plan.upsert.map((r) => r.iri)).to.deep.equal([pear.id]);
    });

    it('is pure: the same input gives the same plan, and the input is left as it was', () => {
      const held = heldMap(heldOf(apple, PAGE1), heldOf(pear, PAGE1, { missingSince: T0 }));
      const merge = input([page(PAGE1, apple, plum)], held, { now: at(T0, HOUR * 2) });
      const snapshot = JSON.stringify({ held: [...held], pages: merge.pages });
      expect(planMerge(merge)).to.deep.equal(planMerge(merge));
      expect(JSON.stringify({ held: [...held], pages: merge.pages })).to.equal(snapshot);
    });
  });
});
