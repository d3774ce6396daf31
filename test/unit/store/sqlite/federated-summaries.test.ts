/**
 * The federated index's answers for people, computed in SQL (547890b): counts, sorted pages (every key, both
 * directions, folded texts, missing values last, stable paging), summaries by group, producers, towns, which
 * enterprise offers which type, the circle (against `haversineKm`), the sort keys back-filled in a database
 * from before migration 14, and the answer cache that must never outlive a commit.
 *
 * Rows are written raw into a real database file (two reader connections, as in production), so that each
 * value (a missing price, a name with a ligature, a row without keys) is exactly what the test says.
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { foldedWords, foldText } from '../../../../ontology/fold.js';
import { DFC_PT_NS } from '../../../../ontology/vocabulary.js';
import { haversineKm } from '../../../../server/federation/federation-service.js';
import type { FederatedQuery, FederatedRow, RowOrder } from '../../../../server/store/federation.js';
import { SqliteDatabase, type SqlConnection } from '../../../../server/store/sqlite/database.js';
import { SqliteFederatedIndex } from '../../../../server/store/sqlite/federated-index.js';
import { migrate, MIGRATIONS } from '../../../../server/store/sqlite/migrations.js';

const pt = (local: string): string => `${DFC_PT_NS}${local}`;
const CARROT = pt('carrot');
const SHALLOT = pt('shallot');
const STRAWBERRY = pt('strawberry');
const EGG = pt('egg');
const APPLE = pt('apple');

interface Enterprise {
  readonly iri: string;
  readonly name: string | null;
  readonly city: string | null;
  readonly postcode: string | null;
  readonly lat: number | null;
  readonly lon: number | null;
}

interface Row {
  readonly slug: string;
  readonly name: string | null;
  readonly enterprise: Enterprise;
  /** A peer's index in `peers`, or null for our own. */
  readonly peer: number | null;
  readonly type?: string | null;
  readonly price?: number | null;
  readonly stock?: number | null;
  readonly inStock?: boolean;
  readonly offer?: boolean;
  readonly withdrawn?: boolean;
  readonly winner?: boolean;
  /** Writes the row without its sort keys, as a database from before migration 14 holds it. */
  readonly oldKeys?: boolean;
}

const FERME: Enterprise = { iri: 'https://a.example/e/ferme', name: 'Ferme des Chênes', city: 'Limoges', postcode: '87000', lat: 45.83, lon: 1.26 };
const ELEVAGE: Enterprise = { iri: 'https://b.example/e/elevage', name: 'Élevage Arnaud', city: 'Limoges', postcode: '87000', lat: 45.85, lon: 1.3 };
const VERGER: Enterprise = { iri: 'https://c.example/e/verger', name: 'verger du Bas', city: 'Brive-la-Gaillarde', postcode: '19100', lat: 45.16, lon: 1.53 };
const NOWHERE: Enterprise = { iri: 'https://c.example/e/nowhere', name: null, city: null, postcode: null, lat: null, lon: null };
/** A town of the same name as FERME's, under another postcode. */
const OTHER_LIMOGES: Enterprise = { iri: 'https://c.example/e/autre', name: 'Autre', city: 'Limoges', postcode: '87100', lat: 45.86, lon: 1.22 };

/**
 * Peers by index: their names sort `alpha`, `Étal`, `Zeta` as people read them, though their ids are in another
 * order (and byte order would put `É` after `z`).
 */
const PEER_NAMES = ['Zeta coop', 'alpha réseau', 'Étal paysan'];

const ROWS: readonly Row[] = [
  { slug: 'carottes', name: 'Carottes', enterprise: FERME, peer: null, type: CARROT, price: 2, stock: 10, inStock: true },
  { slug: 'echalotes', name: 'Échalotes', enterprise: FERME, peer: null, type: SHALLOT, price: null, stock: 0, inStock: false },
  { slug: 'fraises', name: 'Fraises', enterprise: FERME, peer: null, type: STRAWBERRY, price: 5.5, stock: null, inStock: true },
  { slug: 'oeufs', name: 'Œufs frais', enterprise: ELEVAGE, peer: 0, type: EGG, price: 3, stock: 24, inStock: true },
  { slug: 'oignons', name: 'oignons', enterprise: VERGER, peer: 1, type: null, price: 1.2, stock: 3, inStock: true },
  { slug: 'pommes', name: 'Pommes', enterprise: VERGER, peer: 1, type: APPLE, price: 2, stock: null, inStock: true },
  { slug: 'sans-nom', name: null, enterprise: NOWHERE, peer: 1, type: APPLE, price: 1, stock: 1, inStock: true, offer: false },
  { slug: 'zeste', name: 'Zeste', enterprise: VERGER, peer: 1, type: STRAWBERRY, price: 7, stock: 0, inStock: false },
  // Never listed: a losing copy and a withdrawn row.
  { slug: 'carottes', name: 'Carottes (copie)', enterprise: FERME, peer: 0, type: CARROT, price: 1, winner: false },
  { slug: 'retirees', name: 'Retirées', enterprise: ELEVAGE, peer: 0, type: EGG, price: 1, withdrawn: true },
];

const INSERT = `INSERT INTO federated_entries (source, item_iri, product_iri, product_key, offer_iri, enterprise_iri, peer_id, rank, winner,
  withdrawn, name, search, product_type, stock, in_stock, price, currency, latitude, longitude, postcode, enterprise_name, city,
  name_key, enterprise_key, city_key) VALUES (${Array.from({ length: 25 }, () => '?').join(', ')})`;

const key = (text: string | null): string | null => (text === null ? null : foldText(text).trim());

async function insertRow(tx: SqlConnection, peerIds: readonly number[], row: Row): Promise<void> {
  const peerId = row.peer === null ? null : (peerIds[row.peer] as number);
  const origin = row.enterprise.iri.replace(/\/e\/.*$/u, '');
  const product = `${origin}/p/${row.slug}`;
  const winner = row.winner ?? true;
  const e = row.enterprise;
  await tx.run(INSERT, [
    peerId === null ? 'local:ferme' : `peer:${peerId}`, `${origin}/i/${row.slug}${winner ? '' : '-copy'}`, product, product,
    row.offer === false ? null : `${origin}/o/${row.slug}`, e.iri, peerId, winner ? 0 : 2, winner ? 1 : 0, row.withdrawn === true ? 1 : 0,
    row.name, foldedWords(`${row.name ?? ''} ${e.name ?? ''}`).join(' '), row.type ?? null, row.stock ?? null, row.inStock === false ? 0 : 1,
    row.price ?? null, row.price === null ? null : 'EUR', e.lat, e.lon, e.postcode, e.name, e.city,
    row.oldKeys === true ? null : key(row.name), row.oldKeys === true ? null : key(e.name), row.oldKeys === true ? null : key(e.city),
  ]);
}

/** The point `km` away from (lat, lon) towards `bearing` degrees, on the sphere `haversineKm` measures. */
function destination(lat: number, lon: number, km: number, bearing: number): { lat: number; lon: number } {
  const rad = Math.PI / 180;
  const d = km / 6371;
  const b = bearing * rad;
  const p1 = lat * rad;
  const l1 = lon * rad;
  const p2 = Math.asin(Math.sin(p1) * Math.cos(d) + Math.cos(p1) * Math.sin(d) * Math.cos(b));
  const l2 = l1 + Math.atan2(Math.sin(b) * Math.sin(d) * Math.cos(p1), Math.cos(d) - Math.sin(p1) * Math.sin(p2));
  // Across the antimeridian, as an address gives it: from -180 to 180.
  return { lat: p2 / rad, lon: ((((l2 / rad) + 540) % 360) - 180) };
}

describe('SQLite federated index: the answers for people (counts, sorted pages, summaries, towns, circle, cache)', () => {
  let folder: string;
  let db: SqliteDatabase;
  let index: SqliteFederatedIndex;
  let peerIds: number[];

  /** Writes rows in one transaction. */
  const write = (rows: readonly Row[]): Promise<void> => db.transaction(async (tx) => {
    for (const row of rows) await insertRow(tx, peerIds, row);
  });

  beforeEach(async () => {
    folder = mkdtempSync(join(tmpdir(), 'maillon-summaries-'));
    db = await SqliteDatabase.open(join(folder, 'node.db'));
    await migrate(db);
    // Peer ids in the opposite order of their names.
    peerIds = [];
    await db.transaction(async (tx) => {
      for (const name of PEER_NAMES) {
        await tx.run('INSERT INTO peers (name, url, origin, created_at) VALUES (?, ?, ?, ?)', [name, `https://${peerIds.length}.peer.example/catalog`,
          `https://${peerIds.length}.peer.example`, '2026-01-01T00:00:00.000Z']);
        peerIds.push((await tx.get<{ id: number }>('SELECT last_insert_rowid() AS id'))?.id as number);
      }
    });
    await write(ROWS);
    index = new SqliteFederatedIndex(db);
  });

  afterEach(async () => {
    await db.close();
    rmSync(folder, { recursive: true, force: true });
  });

  const listed = ROWS.filter((r) => r.winner !== false && r.withdrawn !== true);
  const names = (rows: readonly FederatedRow[]): (string | null)[] => rows.map((r) => r.name);
  const everything = (query: FederatedQuery, order: Omit<RowOrder, 'descending'> & { descending?: boolean }): Promise<FederatedRow[]> =>
    index.pageRows(query, { descending: false, ...order }, 0, 1000);

  describe('countMatches', () => {
    it('counts the listed rows (no loser, nothing withdrawn) of each filter, as queryMatches lists them', async () => {
      const source = (i: number): string => String(peerIds[i]);
      const cases: [FederatedQuery, number][] = [
        [{}, listed.length],
        [{ text: 'fraises' }, 1],
        [{ text: 'verger' }, 3],
        [{ text: 'nothing-like-it' }, 0],
        [{ types: [APPLE, STRAWBERRY] }, 4],
        [{ types: [] }, 0],
        [{ inStock: true }, 6],
        [{ inStock: false }, 2],
        [{ source: 'local' }, 3],
        [{ source: source(0) }, 1],
        [{ source: source(1) }, 4],
        [{ circle: { lat: 45.83, lon: 1.26, radiusKm: 10 } }, 4],
        [{ circle: { lat: 45.83, lon: 1.26, radiusKm: 100 } }, 7],
        [{ circle: { lat: 45.83, lon: 1.26, radiusKm: 10 }, inStock: true, text: 'frais' }, 2],
        [{ circle: { lat: 45.83, lon: 1.26, radiusKm: 10 }, types: [EGG] }, 1],
      ];
      for (const [query, count] of cases) {
        expect(await index.countMatches(query), JSON.stringify(query)).to.equal(count);
        expect(await index.countMatches(query), JSON.stringify(query)).to.equal((await index.queryMatches(query)).length);
      }
    });
  });

  describe('pageRows', () => {
    it('sorts names as people read them: accents, case and ligatures folded (Échalotes after Carottes, Œufs as oeufs)', async () => {
      const rows = await everything({}, { key: 'name' });
      expect(names(rows)).to.deep.equal(['Carottes', 'Échalotes', 'Fraises', 'Œufs frais', 'oignons', 'Pommes', 'Zeste', null]);
      const down = await everything({}, { key: 'name', descending: true });
      expect(names(down)).to.deep.equal(['Zeste', 'Pommes', 'oignons', 'Œufs frais', 'Fraises', 'Échalotes', 'Carottes', null]);
      // Without a text, relevance is the name.
      expect(names(await everything({}, { key: 'relevance' }))).to.deep.equal(names(rows));
    });

    it('sorts by every key, both directions, missing values last; ties by name', async () => {
      type Value = string | number | null;
      const peerName = (r: FederatedRow): string => (r.peerId === null ? '' : key(PEER_NAMES[peerIds.indexOf(r.peerId)] as string) as string);
      const labels = new Map([[CARROT, 'carotte'], [SHALLOT, 'échalote'], [STRAWBERRY, 'fraise'], [EGG, 'Œuf'], [APPLE, 'pomme']]);
      const fields: Record<Exclude<RowOrder['key'], 'relevance'>, (r: FederatedRow) => Value> = {
        name: (r) => key(r.name),
        typeLabel: (r) => (r.productType === null ? null : key(labels.get(r.productType) ?? null)),
        price: (r) => r.price,
        stock: (r) => r.stock,
        enterpriseName: (r) => key(r.enterpriseName),
        city: (r) => key(r.city),
        postcode: (r) => r.postcode,
        sourceName: peerName,
      };
      const all = await everything({}, { key: 'name' });
      expect(all).to.have.length(listed.length);
      for (const [field, value] of Object.entries(fields) as [RowOrder['key'], (r: FederatedRow) => Value][]) {
        for (const descending of [false, true]) {
          const order: RowOrder = { key: field, descending, typeLabels: labels };
          const expected = [...all].sort((a, b) => {
            const x = value(a);
            const y = value(b);
            if (x === null || y === null) {
              if (x !== y) return x === null ? 1 : -1;
            } else if (x !== y) return (x < y ? -1 : 1) * (descending ? -1 : 1);
            const [m, n] = [key(a.name), key(b.name)];
            if (m !== n) return m === null ? 1 : n === null ? -1 : m < n ? -1 : 1;
            return a.itemIri < b.itemIri ? -1 : 1;
          });
          const got = await index.pageRows({}, order, 0, 1000);
          const label = `${descending ? '-' : ''}${field}`;
          expect(got.map((r) => [r.name, value(r)]), label).to.deep.equal(expected.map((r) => [r.name, value(r)]));
          // Missing values are last, whichever the direction.
          const missing = got.findIndex((r) => value(r) === null);
          if (missing >= 0) expect(got.slice(missing).every((r) => value(r) === null), label).to.equal(true);
        }
      }
    });

    it('puts this node\'s rows first, then the peers by name as people read them (not by id, not by bytes)', async () => {
      await write([{ slug: 'ail', name: 'Ail rose', enterprise: ELEVAGE, peer: 2, type: SHALLOT, price: 4, stock: 2, inStock: true }]);
      const sources = (await everything({}, { key: 'sourceName' })).map((r) => (r.peerId === null ? 'local' : PEER_NAMES[peerIds.indexOf(r.peerId)]));
      expect([...new Set(sources)]).to.deep.equal(['local', 'alpha réseau', 'Étal paysan', 'Zeta coop']);
      const down = (await everything({}, { key: 'sourceName', descending: true })).map((r) => (r.peerId === null ? 'local' : PEER_NAMES[peerIds.indexOf(r.peerId)]));
      expect([...new Set(down)]).to.deep.equal(['Zeta coop', 'Étal paysan', 'alpha réseau', 'local']);
    });

    it('pages stably: the pages of every order put together are the whole sorted list, once each', async () => {
      const labels = new Map([[CARROT, 'carotte'], [EGG, 'œuf']]);
      for (const field of ['relevance', 'name', 'typeLabel', 'price', 'stock', 'enterpriseName', 'city', 'postcode', 'sourceName'] as const) {
        for (const descending of [false, true]) {
          const order: RowOrder = { key: field, descending, typeLabels: labels };
          for (const query of [{}, { inStock: true }, { text: 'verger' }] as FederatedQuery[]) {
            const whole = await index.pageRows(query, order, 0, 1000);
            expect(whole).to.have.length(await index.countMatches(query));
            for (const size of [1, 2, 3]) {
              const pages: FederatedRow[] = [];
              for (let offset = 0; offset < whole.length + size; offset += size) pages.push(...await index.pageRows(query, order, offset, size));
              expect(pages.map((r) => r.itemIri), `${field} ${descending} ${JSON.stringify(query)} by ${size}`).to.deep.equal(whole.map((r) => r.itemIri));
            }
          }
        }
      }
    });

    it('gives relevance with a text in the order of queryMatches (bm25), filtered as it is', async () => {
      await write(['Fraises des bois', 'Confiture de fraises', 'Fraises gariguette fraises', 'Tarte'].map((name, i) => ({
        slug: `extra-${i}`, name, enterprise: FERME, peer: null, type: STRAWBERRY, price: 1, inStock: i !== 1,
      })));
      for (const query of [{ text: 'fraises' }, { text: 'fraise', inStock: true }, { text: 'verger' }] as FederatedQuery[]) {
        const matches = await index.queryMatches(query);
        expect(matches.length, JSON.stringify(query)).to.be.above(0);
        const page = await index.pageRows(query, { key: 'relevance', descending: false }, 0, 1000);
        expect(page.map((r) => r.itemIri), JSON.stringify(query)).to.deep.equal((await index.entriesByIds(matches.map((m) => m.id))).map((r) => r.itemIri));
        expect(names(await index.pageRows(query, { key: 'relevance', descending: false }, 1, 2))).to.deep.equal(names(page.slice(1, 3)));
      }
      // A text query sorted by a column keeps its matches, sorted.
      expect(names(await everything({ text: 'fraises' }, { key: 'name' })))
        .to.deep.equal(['Confiture de fraises', 'Fraises', 'Fraises des bois', 'Fraises gariguette fraises']);
    });
  });

  describe('summaries', () => {
    it('groups the rows by type, enterprise, source and area: the groups add up to the rows', async () => {
      for (const query of [{}, { inStock: true }, { text: 'verger' }, { types: [APPLE] }, { circle: { lat: 45.83, lon: 1.26, radiusKm: 10 } }] as FederatedQuery[]) {
        const groups = await index.supplyGroups(query);
        const rows = await everything(query, { key: 'name' });
        const sum = (f: (g: (typeof groups)[number]) => number): number => groups.reduce((s, g) => s + f(g), 0);
        const label = JSON.stringify(query);
        expect(sum((g) => g.offers), label).to.equal(rows.filter((r) => r.offerIri !== null).length);
        expect(sum((g) => g.inStock), label).to.equal(rows.filter((r) => r.inStock).length);
        expect(sum((g) => g.products), label).to.equal(new Set(rows.map((r) => r.productKey)).size);
        const keys = groups.map((g) => JSON.stringify([g.productType, g.enterpriseIri, g.peerId, g.area]));
        expect(new Set(keys).size, label).to.equal(keys.length);
      }
      const all = await index.supplyGroups({});
      expect([...new Set(all.map((g) => g.area))].sort()).to.deep.equal(['19', '87', null]);
      expect(all.find((g) => g.productType === STRAWBERRY && g.enterpriseIri === VERGER.iri))
        .to.deep.equal({ productType: STRAWBERRY, enterpriseIri: VERGER.iri, peerId: peerIds[1], area: '19', products: 1, offers: 1, inStock: 0,
          lat: VERGER.lat, lon: VERGER.lon });
    });

    it('lists producers with coordinates, their offers and stock, by name, at most the limit with the total', async () => {
      const { total, producers } = await index.producerRows({}, 10);
      expect(total).to.equal(3);
      expect(producers.map((p) => [p.name, p.offers, p.inStock, p.peerId])).to.deep.equal([
        ['Élevage Arnaud', 1, 1, peerIds[0]], ['Ferme des Chênes', 3, 2, null], ['verger du Bas', 3, 2, peerIds[1]],
      ]);
      expect(producers[1]).to.include({ iri: FERME.iri, lat: FERME.lat, lon: FERME.lon, city: 'Limoges', postcode: '87000' });
      const first = await index.producerRows({}, 1);
      expect(first.total).to.equal(3);
      expect(first.producers.map((p) => p.name)).to.deep.equal(['Élevage Arnaud']);
      expect((await index.producerRows({ inStock: false }, 10)).producers.map((p) => [p.name, p.offers])).to.deep.equal([['Ferme des Chênes', 1], ['verger du Bas', 1]]);
      expect(await index.producerRows({ types: [] }, 10)).to.deep.equal({ total: 0, producers: [] });
    });

    it('gives the towns: a producer counts once however many offers it has, the centre is the mean of its producers', async () => {
      const egletons: Enterprise = { iri: 'https://c.example/e/egletons', name: 'Rucher', city: 'Égletons', postcode: '19300', lat: 45.41, lon: 2.05 };
      await write([
        { slug: 'autre', name: 'Autre chose', enterprise: OTHER_LIMOGES, peer: 0, type: APPLE, price: 1 },
        { slug: 'miel', name: 'Miel', enterprise: egletons, peer: 0, type: APPLE, price: 1 },
      ]);
      const places = await index.places();
      // In the order people read town names: Égletons among the e's.
      expect(places.map((p) => [p.city, p.postcode, p.producers])).to.deep.equal([
        ['Brive-la-Gaillarde', '19100', 1], ['Égletons', '19300', 1], ['Limoges', '87000', 2], ['Limoges', '87100', 1],
      ]);
      const limoges = places[2];
      // FERME has three offers, ELEVAGE one: the centre is halfway, not weighted by offers.
      expect(limoges?.lat).to.be.closeTo((FERME.lat as number + (ELEVAGE.lat as number)) / 2, 1e-9);
      expect(limoges?.lon).to.be.closeTo((FERME.lon as number + (ELEVAGE.lon as number)) / 2, 1e-9);
    });

    it('tells which enterprises (with coordinates) offer each type', async () => {
      const presence = await index.typePresence({});
      expect(presence.map((p) => [p.productType, p.enterpriseIri]).sort()).to.deep.equal([
        [APPLE, VERGER.iri], [CARROT, FERME.iri], [EGG, ELEVAGE.iri], [SHALLOT, FERME.iri], [STRAWBERRY, FERME.iri], [STRAWBERRY, VERGER.iri],
      ].sort());
      expect(presence.find((p) => p.enterpriseIri === VERGER.iri)).to.include({ lat: VERGER.lat, lon: VERGER.lon });
      expect((await index.typePresence({ inStock: true })).filter((p) => p.productType === STRAWBERRY).map((p) => p.enterpriseIri)).to.deep.equal([FERME.iri]);
      expect((await index.productTypes()).sort()).to.deep.equal([APPLE, CARROT, EGG, SHALLOT, STRAWBERRY].sort());
    });
  });

  it('draws the circle as haversineKm does: points 0.01 km inside are in, 0.01 km outside are out, in every direction', async () => {
    // Limoges; Helsinki (the box's width grows with the latitude); Sydney; Fiji, by the antimeridian; near the pole.
    const centres = [{ lat: 45.83, lon: 1.26 }, { lat: 60.17, lon: 24.94 }, { lat: -33.9, lon: 151.2 }, { lat: -17.8, lon: 179.9 }, { lat: 89.9, lon: 10 }];
    for (const [c, centre] of centres.entries()) {
      for (const radiusKm of [5, 30, 250]) {
        const rows: Row[] = [];
        for (let bearing = 0; bearing < 360; bearing += 22.5) {
          for (const delta of [-0.01, 0.01]) {
            const p = destination(centre.lat, centre.lon, radiusKm + delta, bearing);
            const enterprise: Enterprise = { iri: `https://circle.example/e/${c}-${radiusKm}-${bearing}-${delta}`, name: 'x', city: null, postcode: null, ...p };
            rows.push({ slug: `${c}-${radiusKm}-${bearing}-${delta}`, name: `${delta < 0 ? 'in' : 'out'}`, enterprise, peer: null });
          }
        }
        await write(rows);
        const circle = { ...centre, radiusKm };
        const matched = await index.queryMatches({ circle });
        const inside = matched.filter((m) => m.latitude !== null && m.longitude !== null && haversineKm(centre.lat, centre.lon, m.latitude, m.longitude) <= radiusKm);
        expect(inside.length, `${radiusKm} km`).to.equal(matched.length);
        const all = await index.queryMatches({});
        const expected = all.filter((m) => m.latitude !== null && m.longitude !== null && haversineKm(centre.lat, centre.lon, m.latitude, m.longitude) <= radiusKm);
        expect(matched.map((m) => m.id).sort(), `${JSON.stringify(centre)} ${radiusKm} km`).to.deep.equal(expected.map((m) => m.id).sort());
        expect(await index.countMatches({ circle }), `${radiusKm} km`).to.equal(expected.length);
        // Each of the points just inside is in.
        const points = (await index.entriesByIds(matched.map((m) => m.id))).filter((r) => r.enterpriseIri?.startsWith(`https://circle.example/e/${c}-${radiusKm}-`) === true);
        expect(points.map((r) => r.name), `${JSON.stringify(centre)} ${radiusKm} km`).to.deep.equal(Array.from({ length: 16 }, () => 'in'));
      }
    }
  });

  it('fills the sort keys of rows from a database before migration 14 on first use', async () => {
    const old: Row[] = ['Écrevisses', 'avoine', 'Œillets', 'Bette'].map((name, i) => ({
      slug: `old-${i}`, name, enterprise: { ...FERME, name: i % 2 === 0 ? 'Élan' : 'zèbre', city: i % 2 === 0 ? 'Ussel' : 'Égletons' }, peer: null, oldKeys: true,
    }));
    await write(old);
    // What migration 14 leaves in a database that had rows: the mark that they have no keys yet.
    await db.transaction((tx) => tx.run("INSERT INTO meta (key, value) VALUES ('sort_keys_pending', '1') ON CONFLICT DO NOTHING"));
    const missing = 'SELECT COUNT(*) AS n FROM federated_entries WHERE name_key IS NULL OR enterprise_key IS NULL OR city_key IS NULL';
    expect((await db.reader.get<{ n: number }>(missing))?.n).to.equal(4 + 1 /* NOWHERE's row has no names at all */);
    // A process that opens the old database: its index back-fills before it sorts.
    const fresh = new SqliteFederatedIndex(db);
    const sorted = names(await fresh.pageRows({ source: 'local' }, { key: 'name', descending: false }, 0, 100));
    expect(sorted).to.deep.equal(['avoine', 'Bette', 'Carottes', 'Échalotes', 'Écrevisses', 'Fraises', 'Œillets']);
    expect((await db.reader.get<{ n: number }>(missing))?.n).to.equal(1);
    expect(await db.reader.all('SELECT name, name_key, enterprise_key, city_key FROM federated_entries WHERE item_iri LIKE ? ORDER BY name_key', ['%/i/old-%']))
      .to.deep.equal([
        { name: 'avoine', name_key: 'avoine', enterprise_key: 'zebre', city_key: 'egletons' },
        { name: 'Bette', name_key: 'bette', enterprise_key: 'zebre', city_key: 'egletons' },
        { name: 'Écrevisses', name_key: 'ecrevisses', enterprise_key: 'elan', city_key: 'ussel' },
        { name: 'Œillets', name_key: 'oeillets', enterprise_key: 'elan', city_key: 'ussel' },
      ]);
    expect(names(await fresh.pageRows({ source: 'local' }, { key: 'enterpriseName', descending: true }, 0, 2))).to.deep.equal(['avoine', 'Bette']);
    expect(await fresh.countMatches({ source: 'local' })).to.equal(7);
    // Done once: the mark is gone, and the next process does not look again.
    expect(await db.reader.all("SELECT key FROM meta WHERE key = 'sort_keys_pending'")).to.deep.equal([]);
  });

  it('fills the sort keys of a database written at schema 13, once migrated to 14', async () => {
    const file = join(folder, 'old.db');
    const old = await SqliteDatabase.open(file);
    try {
      await migrate(old, MIGRATIONS.filter((m) => m.version <= 13));
      await old.transaction(async (tx) => {
        for (const [i, name] of ['Œillets', 'Zinnias', 'épinards', 'Avoine'].entries()) {
          await tx.run(`INSERT INTO federated_entries (source, item_iri, product_iri, product_key, enterprise_iri, rank, winner, name, search, in_stock,
            enterprise_name, city) VALUES ('local:ferme', ?, ?, ?, ?, 0, 1, ?, ?, 1, ?, ?)`,
          [`i${i}`, `p${i}`, `p${i}`, FERME.iri, name, foldedWords(name).join(' '), 'Ferme des Chênes', 'Égletons']);
        }
      });
      expect(await migrate(old)).to.deep.equal(MIGRATIONS.filter((m) => m.version > 13).map((m) => m.version));
      expect(await old.reader.all('SELECT name_key FROM federated_entries WHERE name_key IS NOT NULL')).to.deep.equal([]);
      const upgraded = new SqliteFederatedIndex(old);
      expect(await upgraded.countMatches({})).to.equal(4);
      expect(names(await upgraded.pageRows({}, { key: 'name', descending: false }, 0, 10))).to.deep.equal(['Avoine', 'épinards', 'Œillets', 'Zinnias']);
      expect(await old.reader.all('SELECT name_key, enterprise_key, city_key FROM federated_entries ORDER BY name_key')).to.deep.equal([
        { name_key: 'avoine', enterprise_key: 'ferme des chenes', city_key: 'egletons' },
        { name_key: 'epinards', enterprise_key: 'ferme des chenes', city_key: 'egletons' },
        { name_key: 'oeillets', enterprise_key: 'ferme des chenes', city_key: 'egletons' },
        { name_key: 'zinnias', enterprise_key: 'ferme des chenes', city_key: 'egletons' },
      ]);
    } finally {
      await old.close();
    }
  });

  describe('the answer cache', () => {
    /** A change of the index as its writers make it: the rows, and the mark that the index changed, in one transaction. */
    const change = (work: (tx: SqlConnection) => Promise<unknown>): Promise<void> => db.transaction(async (tx) => {
      await work(tx);
      await tx.run("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'index_generation'");
    });

    it('answers again after any change of the index: a stock change, a new row, a withdrawal', async () => {
      const stocked = async (): Promise<number> => (await index.supplyGroups({})).reduce((s, g) => s + g.inStock, 0);
      const producers = async (): Promise<number> => (await index.producerRows({}, 10)).total;
      const towns = async (): Promise<number> => (await index.places()).length;
      const types = async (): Promise<number> => (await index.typePresence({ inStock: true })).length;
      expect([await stocked(), await producers(), await towns(), await types()]).to.deep.equal([6, 3, 2, 4]);
      // Asked again with nothing committed: the same answer (from the cache).
      expect(await index.supplyGroups({})).to.equal(await index.supplyGroups({}));
      // A commit that does not change the index (a feed event, a sync attempt) keeps the answers.
      await db.transaction((tx) => tx.run("INSERT INTO meta (key, value) VALUES ('unrelated', 'x')"));
      expect(await index.supplyGroups({})).to.equal(await index.supplyGroups({}));
      // The catalogue's counts too, and they follow the mark, not the rows: a row changed without it (no writer of the
      // index does that) still counts as before, so the count was kept, not taken again.
      expect(await index.countMatches({ inStock: true })).to.equal(6);
      await db.transaction((tx) => tx.run('UPDATE federated_entries SET in_stock = 0 WHERE item_iri LIKE ?', ['%/i/carottes']));
      expect(await index.countMatches({ inStock: true })).to.equal(6);
      await db.transaction((tx) => tx.run('UPDATE federated_entries SET in_stock = 1 WHERE item_iri LIKE ?', ['%/i/carottes']));
      await change((tx) => tx.run('UPDATE federated_entries SET in_stock = 0, stock = 0 WHERE item_iri LIKE ?', ['%/i/pommes']));
      expect(await stocked()).to.equal(5);
      expect(await types()).to.equal(3);
      expect(await index.countMatches({ inStock: true })).to.equal(5);
      await change((tx) => insertRow(tx, peerIds, { slug: 'autre', name: 'Autre chose', enterprise: OTHER_LIMOGES, peer: 0, type: APPLE, price: 1 }));
      expect([await stocked(), await producers(), await towns(), await types()]).to.deep.equal([6, 4, 3, 4]);
      // Written by another process (`maillon sync` beside `serve`): the mark is in the database, so it counts too.
      const other = await SqliteDatabase.open(join(folder, 'node.db'));
      try {
        await other.transaction(async (tx) => {
          await tx.run('UPDATE federated_entries SET withdrawn = 1 WHERE enterprise_iri = ?', [OTHER_LIMOGES.iri]);
          await tx.run("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'index_generation'");
        });
      } finally {
        await other.close();
      }
      expect([await stocked(), await producers(), await towns(), await types()]).to.deep.equal([5, 3, 2, 3]);
    });

    it('names and places an enterprise from its listed rows only: never a losing copy\'s or a withdrawn row\'s word', async () => {
      // A relay's losing copy and a withdrawn row that say another name and place for the same enterprise.
      const usurper: Enterprise = { ...FERME, name: 'ZZZ Usurpateur', city: 'Zanzibar', postcode: '99999', lat: 43, lon: 5.4 };
      await change(async (tx) => {
        await insertRow(tx, peerIds, { slug: 'usurpe', name: 'Carottes (relais)', enterprise: usurper, peer: 2, type: CARROT, winner: false });
        await insertRow(tx, peerIds, { slug: 'retire', name: 'Vieux', enterprise: { ...usurper, lat: 60 }, peer: 2, type: CARROT, withdrawn: true });
      });
      const ferme = (await index.producerRows({}, 10)).producers.find((p) => p.iri === FERME.iri);
      expect(ferme).to.include({ name: FERME.name, city: FERME.city, postcode: FERME.postcode, lat: FERME.lat, lon: FERME.lon });
      expect((await index.places()).map((p) => p.city)).to.not.include('Zanzibar');
    });

    it('keeps the answers of different queries apart', async () => {
      const offers = async (query: FederatedQuery): Promise<number> => (await index.supplyGroups(query)).reduce((s, g) => s + g.offers, 0);
      expect(await offers({ inStock: true })).to.equal(5);
      expect(await offers({ inStock: false })).to.equal(2);
      expect(await offers({ source: String(peerIds[1]) })).to.equal(3);
      expect((await index.producerRows({}, 1)).producers).to.have.length(1);
      expect((await index.producerRows({}, 2)).producers).to.have.length(2);
    });
  });
});
