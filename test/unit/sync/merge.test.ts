import { expect } from 'chai';
import type { Iri, NodeId } from '../../../ontology/iri.js';
import type { DfcRecord, OfferRecord, SuppliedProductRecord } from '../../../ontology/records.js';
import { measureIri } from '../../../ontology/units.js';
import type { HeldResource } from '../../../server/store/federation.js';
import {
  listedBefore, planAbsence, planMerge, planPage, recordHash, withdrawalCutoff, type MergeInput, type SnapshotPage,
} from '../../../server/sync/merge.js';

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

    it('plans one page of 300,000 records, and skips as many of ours, without overflowing the stack', () => {
      const many = Array.from({ length: 300_000 }, (_, i) => product(PEER, `p${i}`, `P${i}`));
      const ours = Array.from({ length: 300_000 }, (_, i) => product(OWN, `o${i}`, `O${i}`));
      const plan = planMerge(input([{ url: PAGE1, status: 200, records: [...many, ...ours] }]));
      expect(plan.added).to.equal(300_000);
      expect(plan.upsert).to.have.length(300_000);
      expect(plan.ownSkipped).to.equal(300_000);
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
        upsert: [], added: 0, updated: 0, unchanged: 3, missing: [], withdrawn: [], restored: [], refused: [], ownSkipped: 0,
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
        upsert: [], added: 0, updated: 0, unchanged: 1, missing: [], withdrawn: [], restored: [], refused: [], ownSkipped: 0,
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
    it('skips a record under our own base, counted apart (no problem to quarantine: an aggregator relays ours back), and keeps the rest', () => {
      const ours = product(OWN, 'carrot', 'Our carrot, renamed by a peer');
      const plan = planMerge(input([page(PAGE1, ours, apple)]));
      expect(plan.upsert.map((r) => r.iri)).to.deep.equal([apple.id]);
      expect(plan.added).to.equal(1);
      expect(plan.refused).to.deep.equal([]);
      expect(plan.ownSkipped).to.equal(1);
    });

    it('refuses our base itself and ignores a trailing slash on it', () => {
      const base = { ...product(OWN, 'x', 'x'), id: OWN as Iri };
      const plan = planMerge(input([page(PAGE1, base, product(OWN, 'y', 'y'))], new Map(), { ownBase: `${OWN}/` }));
      expect(plan.upsert).to.deep.equal([]);
      expect(plan.refused).to.deep.equal([]);
      expect(plan.ownSkipped).to.equal(2);
    });

    it('refuses a record under our base written with another case or a default port: an IRI of ours all the same', () => {
      const url = new URL(OWN);
      const spellings = [
        `${url.protocol.toUpperCase()}//${url.host.toUpperCase()}${url.pathname.replace(/\/$/u, '')}`,
        `${url.protocol}//${url.hostname}:${url.protocol === 'https:' ? 443 : 80}${url.pathname.replace(/\/$/u, '')}`,
      ];
      const records = spellings.map((base, i) => ({ ...product(OWN, `x${i}`, 'x'), id: `${base}/supplied_products/x${i}` as Iri }));
      const plan = planMerge(input([page(PAGE1, ...records, apple)]));
      expect(plan.upsert.map((r) => r.iri)).to.deep.equal([apple.id]);
      expect(plan.ownSkipped).to.equal(records.length);
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

    it('reads an IRI\'s origin to its end, not its first characters: a longer host, a port, user info are other origins', () => {
      const origin = new URL(PEER).origin;
      const ids = [`${origin}/a`, `${origin}?b`, `${origin}#c`, `${origin}.evil.example/d`, `${origin}:8443/e`, `${origin}@evil.example/f`, `${origin}`];
      const plan = planMerge(input(ids.map((id, i) => page(`${PAGE1}?${i}`, { ...apple, id: id as Iri }))));
      expect(plan.upsert.map((r) => [r.iri, r.authoritative])).to.deep.equal(ids.map((id, i) => [id, i < 3 || i === 6]));
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

describe('planPage (one page of a snapshot, merged as it arrives)', () => {
  const apple = product(PEER, 'apple', 'Apple');
  const pear = product(PEER, 'pear', 'Pear');
  const plum = product(PEER, 'plum', 'Plum');
  const rules = { peerOrigin: PEER, ownBase: OWN };

  it('plans a page from what we hold of its resources only, and lists what it saw first, changed or not', () => {
    const held = heldMap(heldOf(apple, PAGE1), heldOf(pear, PAGE1));
    const renamed = { ...pear, name: 'Pear, renamed' };
    const plan = planPage({ ...rules, held, seen: () => false }, { url: PAGE1, records: [apple, renamed, plum] });
    expect(plan).to.deep.include({ added: 1, updated: 1, unchanged: 1 });
    expect(plan.seen).to.deep.equal([apple.id, pear.id, plum.id]);
    expect(plan.upsert.map((r) => r.iri)).to.deep.equal([pear.id, plum.id]);
    expect(plan.upsert[0]?.json).to.equal(JSON.stringify(renamed));
  });

  it('skips what an earlier page listed (the first page wins) and a repeat within the page', () => {
    const plan = planPage({ ...rules, held: new Map(), seen: (iri) => iri === apple.id }, { url: PAGE2, records: [apple, pear, pear] });
    expect(plan.seen).to.deep.equal([pear.id]);
    expect(plan.upsert.map((r) => r.iri)).to.deep.equal([pear.id]);
    expect(plan.added).to.equal(1);
  });

  it('refuses blank nodes and skips our own resources, as planMerge does', () => {
    const blank = { ...apple, id: '_:b0' as NodeId };
    const ours = product(OWN, 'x', 'x');
    const plan = planPage({ ...rules, held: new Map(), seen: () => false }, { url: PAGE1, records: [blank, ours, plum] });
    expect(plan.refused.map((p) => [p.code, p.severity])).to.deep.equal([['no-iri', 'warning']]);
    expect(plan.ownSkipped).to.equal(1);
    expect(plan.seen).to.deep.equal([plum.id]);
  });

  it('skips our own resources written under the peer\'s origin when that origin is ours, however spelt, and keeps its others', () => {
    // A peer at our origin (another app beside this node, or this node under a spelling of its host): the peer's
    // prefix says nothing of whether an IRI is ours, each is asked.
    const base = 'http://node.example/maillon';
    const under = (origin: string, path: string): SuppliedProductRecord => ({ ...product(origin, 'x', 'x'), id: `${origin}${path}` as Iri });
    for (const origin of ['http://node.example', 'http://node.example.']) {
      const ours = under(origin, '/maillon/api/dfc/enterprises/e/supplied_products/x');
      const theirs = under(origin, '/other/supplied_products/y');
      const plan = planPage({ peerOrigin: origin, ownBase: base, held: new Map(), seen: () => false }, { url: `${origin}/other`, records: [ours, theirs] });
      expect(plan.ownSkipped, origin).to.equal(1);
      expect(plan.upsert.map((r) => [r.iri, r.authoritative]), origin).to.deep.equal([[theirs.id, true]]);
    }
    // Under another origin, nothing of the peer's is ours, and what it relays of ours is skipped all the same.
    const plan = planPage({ peerOrigin: PEER, ownBase: base, held: new Map(), seen: () => false },
      { url: PAGE1, records: [under(PEER, '/maillon/x'), under('HTTP://NODE.example', '/maillon/y')] });
    expect(plan.upsert.map((r) => r.iri)).to.deep.equal([`${PEER}/maillon/x`]);
    expect(plan.ownSkipped).to.equal(1);
  });

  it('composes into planMerge: page by page with the ids seen, then planAbsence, gives the same plan', () => {
    const held = heldMap(heldOf(apple, PAGE1), heldOf(pear, PAGE2), heldOf(plum, PAGE2, { missingSince: T0 }));
    const pages = [notModified(PAGE2), page(PAGE1, apple, { ...plum, name: 'Plum, back' }, pear)];
    const whole = planMerge(input(pages, held, { now: at(T0, HOUR * 2) }));
    const seen = new Set(listedBefore(held.values(), PAGE2));
    const paged = planPage({ ...rules, held, seen: (iri) => seen.has(iri) }, { url: PAGE1, records: (pages[1] as { records: readonly DfcRecord[] } & SnapshotPage).records });
    paged.seen.forEach((iri) => seen.add(iri));
    const absence = planAbsence({ held: held.values(), seen: (iri) => seen.has(iri), complete: true, now: at(T0, HOUR * 2), graceMs: HOUR });
    expect({ ...absence, upsert: paged.upsert, added: paged.added, updated: paged.updated, unchanged: paged.unchanged, refused: paged.refused,
      ownSkipped: paged.ownSkipped })
      .to.deep.equal(whole);
    expect(whole.restored).to.deep.equal([plum.id]);
  });
});

describe('listedBefore and planAbsence', () => {
  const apple = product(PEER, 'apple', 'Apple');
  const pear = product(PEER, 'pear', 'Pear');
  const plum = product(PEER, 'plum', 'Plum');

  it('an unchanged page lists what it listed last time, not what was missing or withdrawn then', () => {
    const held = [heldOf(apple, PAGE1), heldOf(pear, PAGE1, { missingSince: T0 }), heldOf(plum, PAGE2)];
    expect(listedBefore(held, PAGE1)).to.deep.equal([apple.id]);
  });

  it('marks the absent missing, withdraws them after the grace, restores what is back; nothing when incomplete', () => {
    const held = [heldOf(apple, PAGE1), heldOf(pear, PAGE1, { missingSince: T0 }), heldOf(plum, PAGE1, { withdrawnAt: T0, missingSince: T0 })];
    const seen = (iri: string): boolean => iri === plum.id;
    expect(planAbsence({ held, seen, complete: true, now: at(T0, HOUR), graceMs: HOUR }))
      .to.deep.equal({ missing: [apple.id], withdrawn: [pear.id], restored: [plum.id] });
    expect(planAbsence({ held, seen, complete: false, now: at(T0, HOUR), graceMs: HOUR }))
      .to.deep.equal({ missing: [], withdrawn: [], restored: [plum.id] });
  });

  it('withdrawalCutoff states the rule for a store: at or before the cutoff (as text), or at once without grace', () => {
    expect(withdrawalCutoff(at(T0, HOUR), HOUR)).to.deep.equal({ cutoff: T0, immediately: false });
    expect(withdrawalCutoff(T0, 0)).to.deep.equal({ cutoff: T0, immediately: true });
    // Agrees with planAbsence a millisecond either side of the grace.
    const { cutoff } = withdrawalCutoff(at(T0, HOUR), HOUR);
    expect(at(T0, 0) <= cutoff && !(at(T0, 1) <= cutoff)).to.equal(true);
    expect(withdrawalCutoff(T0, Number.MAX_SAFE_INTEGER).cutoff).to.equal('');
  });
});

