/**
 * The federated index at a nation's scale (migration 17): the grid of cells a circle is looked up by, the regional
 * supply kept per source (and computed again, by triggers' marks, whatever wrote the rows), and texts too broad to
 * rank. Each is checked against the plain computation it replaces, on rows written raw into a real database.
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Taxonomy } from '../../../../ontology/taxonomy.js';
import { DFC_PT_NS } from '../../../../ontology/vocabulary.js';
import { FederationService, type LocalCatalogue } from '../../../../server/federation/federation-service.js';
import { haversineKm, type SupplyGroup } from '../../../../server/store/federation.js';
import { SqliteDatabase, type SqlConnection, type SqlValue } from '../../../../server/store/sqlite/database.js';
import { areaOf, boxAround, gridCells, gridRange, insideBands, typeKey, GRID_CELLS_PER_DEGREE, MAX_RANKED_HITS, MAX_TEXT_MATCHES, SqliteFederatedIndex } from '../../../../server/store/sqlite/federated-index.js';
import { migrate } from '../../../../server/store/sqlite/migrations.js';

const TYPES = ['carrot', 'apple', 'egg', 'honey'].map((t) => `${DFC_PT_NS}${t}`);
/** Types of the starter taxonomy, several under one broader type (their producers counted once under it). */
const SUMMARY_TYPES = ['carrot', 'leek', 'tomato', 'cherry-tomato', 'apple', 'strawberry', 'egg'];

const INSERT = `INSERT INTO federated_entries (source, item_iri, product_iri, product_key, offer_iri, enterprise_iri, peer_id, rank, winner,
  withdrawn, name, search, product_type, stock, in_stock, latitude, longitude, postcode, enterprise_name, name_key)
  VALUES (${Array.from({ length: 20 }, () => '?').join(', ')})`;

/** A small deterministic generator. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
}

describe('SQLite federated index at a national scale (grid, kept supply groups, broad texts)', () => {
  let folder: string;
  let db: SqliteDatabase;
  let index: SqliteFederatedIndex;
  let peers: number[];
  let serial = 0;

  beforeEach(async () => {
    folder = mkdtempSync(join(tmpdir(), 'maillon-national-'));
    db = await SqliteDatabase.open(join(folder, 'node.db'));
    await migrate(db);
    peers = [];
    await db.transaction(async (tx) => {
      for (let i = 0; i < 4; i++) {
        await tx.run('INSERT INTO peers (name, url, origin, created_at) VALUES (?, ?, ?, ?)', [`peer ${i}`, `https://${i}.example/c`, `https://${i}.example`,
          '2026-01-01T00:00:00.000Z']);
        peers.push((await tx.get<{ id: number }>('SELECT last_insert_rowid() AS id'))?.id as number);
      }
    });
    index = new SqliteFederatedIndex(db);
  });

  afterEach(async () => {
    await db.close();
    rmSync(folder, { recursive: true, force: true });
  });

  /** A row: of a peer (by index) or of one of our two enterprises (`local:a`, `local:b`). */
  const insert = (tx: SqlConnection, options: { peer: number | 'a' | 'b'; enterprise: number; type?: string | null; inStock?: boolean;
    winner?: boolean; withdrawn?: boolean; lat?: number | null; lon?: number | null; text?: string; product?: string }): Promise<unknown> => {
    serial++;
    const peerId = typeof options.peer === 'number' ? (peers[options.peer] as number) : null;
    const source = peerId === null ? `local:${String(options.peer)}` : `peer:${peerId}`;
    const product = options.product ?? `https://p.example/p/${serial}`;
    return tx.run(INSERT, [source, `https://p.example/i/${serial}`, product, product, `https://p.example/o/${serial}`,
      `https://e.example/${options.enterprise}`, peerId, peerId === null ? 0 : 1, options.winner === false ? 0 : 1, options.withdrawn === true ? 1 : 0,
      `item ${serial}`, options.text ?? `item ${serial}`, options.type === undefined ? (TYPES[serial % TYPES.length] as string) : options.type,
      options.inStock === false ? 0 : 5, options.inStock === false ? 0 : 1, options.lat === undefined ? 45 + (serial % 7) / 10 : options.lat,
      options.lon === undefined ? 1 + (serial % 5) / 10 : options.lon, `${87000 + (options.enterprise % 3)}`, `Ferme ${options.enterprise}`, `item ${serial}`]);
  };

  /** The groups as the rows say them, grouped by SQL over every row (what the kept groups replace). */
  const plainGroups = async (where = '1', params: (string | number)[] = []): Promise<string[]> => (await db.reader.all<Omit<SupplyGroup, 'area'> & { postcode: string | null }>(
    `SELECT product_type AS productType, enterprise_iri AS enterpriseIri, peer_id AS peerId, postcode, COUNT(DISTINCT product_key) AS products,
       COUNT(offer_iri) AS offers, SUM(in_stock) AS inStock, max(latitude) AS lat, max(longitude) AS lon
     FROM federated_entries WHERE winner = 1 AND withdrawn = 0 AND ${where} GROUP BY product_type, enterprise_iri, peer_id, postcode`, params))
    .map(({ postcode, ...g }) => JSON.stringify({ ...g, area: postcode === null ? null : postcode.slice(0, 2) })).sort();
  const keptGroups = async (query = {}): Promise<string[]> => (await index.supplyGroups(query)).map((g) => JSON.stringify({
    productType: g.productType, enterpriseIri: g.enterpriseIri, peerId: g.peerId, products: g.products, offers: g.offers, inStock: g.inStock,
    lat: g.lat, lon: g.lon, area: g.area,
  })).sort();
  /** A change as the index's writers make it (the rows, and the mark that the index changed). */
  const change = (work: (tx: SqlConnection) => Promise<unknown>): Promise<void> => db.transaction(async (tx) => {
    await work(tx);
    await tx.run("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'index_generation'");
  });

  describe('the grid of cells', () => {
    it('numbers a row\'s cell in SQLite as gridCells does, and a box\'s cells hold every point in the box', async () => {
      const next = random(7);
      const points: [number, number][] = [[0, 0], [-90, -180], [90, 180], [45.8, 1.2], [45.6, -0.2], [-33.4, 151.2], [12.2, -179.999]];
      for (let i = 0; i < 200; i++) points.push([next() * 180 - 90, next() * 360 - 180]);
      await change(async (tx) => {
        for (const [lat, lon] of points) await insert(tx, { peer: 0, enterprise: 1, lat, lon });
        await insert(tx, { peer: 0, enterprise: 1, lat: null, lon: 3 });
      });
      const rows = await db.reader.all<{ cell: number | null; latitude: number | null; longitude: number | null }>('SELECT cell, latitude, longitude FROM federated_entries');
      for (const row of rows) {
        if (row.latitude === null || row.longitude === null) {
          expect(row.cell).to.equal(null);
          continue;
        }
        const expected = Math.floor((row.latitude + 90) * GRID_CELLS_PER_DEGREE) * 2000 + Math.floor((row.longitude + 180) * GRID_CELLS_PER_DEGREE);
        expect(row.cell, `${row.latitude},${row.longitude}`).to.equal(expected);
        // A box around the point, and one whose edge is the point itself: its cell is among the box's.
        for (const d of [0, 0.05, 0.3]) {
          const cells = gridCells({ minLat: row.latitude - d, maxLat: row.latitude + d, minLon: row.longitude - d, maxLon: row.longitude + d });
          expect(cells, `${row.latitude},${row.longitude} ±${d}`).to.include(row.cell);
        }
        expect(gridCells({ minLat: row.latitude, maxLat: row.latitude + 0.5, minLon: row.longitude - 0.5, maxLon: row.longitude })).to.include(row.cell);
      }
    });

    it('keys a row\'s type in SQLite as typeKey does, one key per type, and finds a circle\'s rows of some types by those keys', async () => {
      const odd = [
        ...TYPES, `${DFC_PT_NS}légume-racine`, `${DFC_PT_NS}`, DFC_PT_NS.slice(0, -1), `${DFC_PT_NS.slice(0, -1)}x#carrot`,
        'http://w3id.org/dfc/taxonomies/v2.0.0/productTypes.rdf#carrot', 'https://peer.example/types#carrot', '#carrot', ' #carrot', 'urn:x:é',
      ];
      await change(async (tx) => {
        for (const [i, type] of odd.entries()) for (let k = 0; k < 3; k++) await insert(tx, { peer: k, enterprise: i, type, lat: 46 + k / 100, lon: 1 + i / 100 });
        await insert(tx, { peer: 0, enterprise: 99, type: null, lat: 46, lon: 1 });
      });
      const rows = await db.reader.all<{ product_type: string | null; type_key: string | null }>('SELECT product_type, type_key FROM federated_entries');
      expect(rows).to.have.length(odd.length * 3 + 1);
      for (const row of rows) expect(row.type_key, String(row.product_type)).to.equal(row.product_type === null ? null : typeKey(row.product_type));
      // One to one: as many keys as types.
      expect(new Set(odd.map(typeKey)).size).to.equal(odd.length);
      expect(typeKey(`${DFC_PT_NS}carrot`)).to.equal('#carrot');
      // Looked up by cell (the keys) or by a scan of the types (a circle too wide for the grid), the same rows.
      for (const types of [[odd[0] as string], [odd[6] as string, odd[7] as string, odd[9] as string], odd.slice(4, 12)]) {
        const byCell = await index.queryMatches({ types, circle: { lat: 46, lon: 1.05, radiusKm: 30 } });
        const expected = rows.filter((r) => r.product_type !== null && types.includes(r.product_type)).length;
        expect(byCell, types.join(' ')).to.have.length(expected);
        expect(await index.countMatches({ types, circle: { lat: 46, lon: 1.05, radiusKm: 30 } })).to.equal(expected);
        expect(await index.queryMatches({ types, circle: { lat: 46, lon: 1.05, radiusKm: 900 } })).to.have.length(expected);
      }
    });

    it('gives up on a box of more cells than it looks up (it is then read as a range of cells: a band of latitude)', () => {
      expect(gridCells({ minLat: 40, maxLat: 50, minLon: -5, maxLon: 10 })).to.equal(undefined);
      expect(gridCells({ minLat: 45, maxLat: 46, minLon: 1, maxLon: 2 })).to.have.length(36);
      expect(gridCells({ minLat: 46, maxLat: 45, minLon: 1, maxLon: 2 })).to.equal(undefined);
      const box = { minLat: 40, maxLat: 50, minLon: -5, maxLon: 10 };
      const range = gridRange(box) as [number, number];
      expect(range).to.deep.equal([650 * 2000 + 875, 700 * 2000 + 950]);
      // Every cell of a box is in its range.
      for (const cell of gridCells({ minLat: 40, maxLat: 44, minLon: -5, maxLon: 10 }) ?? []) expect(cell).to.be.within(...range);
      expect(gridRange({ minLat: 46, maxLat: 45, minLon: 1, maxLon: 2 })).to.equal(undefined);
    });

    it('reads a circle too wide for its cells as a range of the cell index, and finds every row in it', async () => {
      const next = random(11);
      await change(async (tx) => {
        // Across a band wider than the circle's box, some in its corners (in the box, out of the circle), a few without a place.
        for (let i = 0; i < 300; i++) {
          await insert(tx, { peer: i % 3, enterprise: Math.floor(next() * 40), inStock: next() > 0.3, lat: i % 50 === 0 ? null : 39 + next() * 14,
            lon: -12 + next() * 26 });
        }
      });
      const circle = { lat: 46, lon: 1.05, radiusKm: 600 };
      expect(gridCells(boxAround(circle.lat, circle.lon, circle.radiusKm))).to.equal(undefined);
      const rows = await db.reader.all<{ latitude: number | null; longitude: number | null; in_stock: number }>(
        'SELECT latitude, longitude, in_stock FROM federated_entries WHERE winner = 1 AND withdrawn = 0');
      const within = rows.filter((r) => r.latitude !== null && r.longitude !== null && haversineKm(circle.lat, circle.lon, r.latitude, r.longitude) <= circle.radiusKm);
      const inside = within.length;
      expect(inside).to.be.within(50, 250);
      expect(await index.queryMatches({ circle })).to.have.length(inside);
      expect(await index.countMatches({ circle, inStock: true })).to.equal(within.filter((r) => r.in_stock === 1).length);
      const plan = (await db.reader.all<{ detail: string }>(`EXPLAIN QUERY PLAN SELECT COUNT(*) FROM federated_entries f INDEXED BY federated_listed_by_cell
        WHERE winner = 1 AND withdrawn = 0 AND cell BETWEEN ? AND ?`, gridRange(boxAround(circle.lat, circle.lon, circle.radiusKm)) as [number, number]))
        .map((r) => r.detail).join('; ');
      expect(plan).to.include('federated_listed_by_cell (cell>? AND cell<?)');
    });

    it('finds exactly the rows of circles across the antimeridian or a pole, and of boxes at the grid\'s edges (read as a range of cells)', async () => {
      const next = random(17);
      const points: [number, number][] = [[90, 0], [-90, 0], [0, 180], [0, -180], [90, 180], [-90, -180], [-17, 180], [-17, -180]];
      for (let i = 0; i < 300; i++) points.push([-90 + next() * 180, -180 + next() * 360]);
      // Near the north pole, and on both sides of the antimeridian.
      for (let i = 0; i < 150; i++) points.push([80 + next() * 10, -180 + next() * 360]);
      for (let i = 0; i < 150; i++) points.push([-30 + next() * 25, 170 + next() * 10]);
      for (let i = 0; i < 150; i++) points.push([-30 + next() * 25, -180 + next() * 10]);
      await change(async (tx) => {
        for (const [lat, lon] of points) await insert(tx, { peer: 0, enterprise: 1, lat, lon });
      });
      for (const circle of [{ lat: -17, lon: 179.5, radiusKm: 700 }, { lat: -17, lon: -179.5, radiusKm: 700 }, { lat: 88, lon: 10, radiusKm: 900 },
        { lat: -89, lon: 0, radiusKm: 500 }, { lat: 90, lon: 0, radiusKm: 1000 }, { lat: 0, lon: 180, radiusKm: 1500 }, { lat: 10, lon: 0, radiusKm: 19_000 }]) {
        expect(gridCells(boxAround(circle.lat, circle.lon, circle.radiusKm)), JSON.stringify(circle)).to.equal(undefined);
        const inside = points.filter(([lat, lon]) => haversineKm(circle.lat, circle.lon, lat, lon) <= circle.radiusKm).length;
        expect(inside, JSON.stringify(circle)).to.be.greaterThan(0);
        expect(await index.countMatches({ circle }), JSON.stringify(circle)).to.equal(inside);
        expect(await index.queryMatches({ circle }), JSON.stringify(circle)).to.have.length(inside);
      }
      for (const box of [{ minLat: -90, maxLat: 90, minLon: -180, maxLon: 180 }, { minLat: -30, maxLat: -5, minLon: 170, maxLon: 180 },
        { minLat: 80, maxLat: 90, minLon: -180, maxLon: 0 }, { minLat: -100, maxLat: 100, minLon: -200, maxLon: 200 },
        // Out of order: nothing is between their bounds.
        { minLat: 10, maxLat: 5, minLon: 0, maxLon: 1 }, { minLat: 0, maxLat: 50, minLon: 10, maxLon: -10 }]) {
        const inside = points.filter(([lat, lon]) => lat >= box.minLat && lat <= box.maxLat && lon >= box.minLon && lon <= box.maxLon).length;
        expect(await index.countMatches({ box }), JSON.stringify(box)).to.equal(inside);
      }
    });

    it('cuts a circle into bands of latitude wholly inside it that hold most of it (and none across a pole or the antimeridian)', () => {
      const next = random(5);
      for (const [lat, lon, radiusKm] of [[46, 1, 50], [45.83, 1.26, 50], [-33.9, 151.2, 5], [60, 25, 300], [0, 0, 900], [70, -20, 120]] as const) {
        const bands = insideBands(lat, lon, radiusKm);
        expect(bands.length, `${lat},${lon} ${radiusKm} km`).to.be.greaterThan(0);
        for (const [i, band] of bands.entries()) {
          // One after the other up the latitudes (one CASE finds a row's band).
          if (i > 0) expect(band.minLat).to.equal(bands[i - 1]?.maxLat);
          for (let k = 0; k < 400; k++) {
            // Corners and edges too, where the farthest points are.
            const a = k < 4 ? (k % 2 === 0 ? band.minLat : band.maxLat) : band.minLat + next() * (band.maxLat - band.minLat);
            const o = k < 4 ? (k < 2 ? band.minLon : band.maxLon) : band.minLon + next() * (band.maxLon - band.minLon);
            expect(haversineKm(lat, lon, a, o)).to.be.at.most(radiusKm);
          }
        }
        // Most of the circle is in a band.
        const box = boxAround(lat, lon, radiusKm);
        let inCircle = 0;
        let inBand = 0;
        for (let k = 0; k < 4000; k++) {
          const a = box.minLat + next() * (box.maxLat - box.minLat);
          const o = box.minLon + next() * (box.maxLon - box.minLon);
          if (haversineKm(lat, lon, a, o) > radiusKm) continue;
          inCircle++;
          if (bands.some((b) => a >= b.minLat && a <= b.maxLat && o >= b.minLon && o <= b.maxLon)) inBand++;
        }
        expect(inBand / inCircle, `${lat},${lon} ${radiusKm} km`).to.be.greaterThan(0.8);
      }
      expect(insideBands(89.5, 0, 100)).to.deep.equal([]);
      expect(insideBands(10, 179.9, 50)).to.deep.equal([]);
      expect(insideBands(10, 10, 0)).to.deep.equal([]);
    });

    it('finds the same rows in a circle with the grid as a scan of every row would', async () => {
      const next = random(11);
      await change(async (tx) => {
        for (let i = 0; i < 600; i++) await insert(tx, { peer: i % 4, enterprise: i % 40, lat: 44 + next() * 4, lon: -1 + next() * 4, inStock: next() > 0.2 });
      });
      for (const circle of [{ lat: 46, lon: 1, radiusKm: 30 }, { lat: 45.5, lon: 0.4, radiusKm: 80 }, { lat: 47, lon: 2, radiusKm: 2 }, { lat: 46, lon: 1, radiusKm: 400 }]) {
        const all = await index.queryMatches({});
        const rows = await index.entriesByIds(all.map((m) => m.id));
        const km = (lat: number, lon: number): number => {
          const r = Math.PI / 180;
          const a = Math.sin(((lat - circle.lat) * r) / 2) ** 2 + Math.cos(circle.lat * r) * Math.cos(lat * r) * Math.sin(((lon - circle.lon) * r) / 2) ** 2;
          return 2 * 6371 * Math.asin(Math.min(1, Math.sqrt(a)));
        };
        // SQL's and JavaScript's trigonometry may differ in the last bits: a point a micrometre from the edge may go either way.
        const inside = rows.filter((r) => r.inStock && r.latitude !== null && r.longitude !== null && km(r.latitude, r.longitude) <= circle.radiusKm - 1e-6);
        const near = rows.filter((r) => r.inStock && r.latitude !== null && r.longitude !== null && km(r.latitude, r.longitude) <= circle.radiusKm + 1e-6);
        const found = await index.entriesByIds((await index.queryMatches({ circle, inStock: true })).map((m) => m.id));
        expect(found.map((r) => r.itemIri), JSON.stringify(circle)).to.include.members(inside.map((r) => r.itemIri));
        expect(near.map((r) => r.itemIri), JSON.stringify(circle)).to.include.members(found.map((r) => r.itemIri));
        expect(await index.countMatches({ circle, inStock: true })).to.equal(found.length);
        // A page is the start of the whole list in the same order, cut in the database.
        const relevance = { key: 'relevance', descending: false } as const;
        const whole = await index.pageRows({ circle, inStock: true }, relevance, 0, 10_000);
        expect(whole.map((r) => r.itemIri).sort()).to.deep.equal(found.map((r) => r.itemIri).sort());
        expect((await index.pageRows({ circle, inStock: true }, relevance, 10, 25)).map((r) => r.itemIri)).to.deep.equal(whole.slice(10, 35).map((r) => r.itemIri));
        // Every match (an export) in the order of the pages.
        expect(found.map((r) => r.itemIri)).to.deep.equal(whole.map((r) => r.itemIri));
      }
    });
  });

  describe('a circle\'s page in name order', () => {
    it('is walked in name order when the first entries hold it, sorted when they do not, the same page either way', async function () {
      this.timeout(60_000);
      // 21,000 named rows far away; in the circle, 150 rows named early (a dense start) and 150 named late.
      await change(async (tx) => {
        for (let i = 0; i < 21_000; i++) await insert(tx, { peer: i % 4, enterprise: i % 50, lat: 10 + (i % 10) / 100, lon: 10 });
        for (let i = 0; i < 300; i++) await insert(tx, { peer: i % 4, enterprise: 100 + (i % 7), lat: 46 + (i % 9) / 100, lon: 1 + (i % 11) / 100, inStock: i % 5 !== 0 });
        await tx.run("UPDATE federated_entries SET name_key = 'm ' || printf('%06d', rowid) WHERE latitude < 11");
        await tx.run("UPDATE federated_entries SET name_key = CASE WHEN rowid % 2 = 0 THEN 'a ' ELSE 'z ' END || printf('%06d', rowid) WHERE latitude > 45");
        // A few without a name: after every named one.
        await tx.run('UPDATE federated_entries SET name_key = NULL WHERE latitude > 45 AND rowid % 17 = 0');
      });
      const circle = { lat: 46.05, lon: 1.05, radiusKm: 40 };
      const expected = async (descending: boolean): Promise<string[]> => (await db.reader.all<{ iri: string }>(
        `SELECT item_iri AS iri FROM federated_entries WHERE winner = 1 AND withdrawn = 0 AND in_stock = 1 AND latitude > 45
         ORDER BY name_key IS NULL, name_key ${descending ? 'DESC' : 'ASC'}, item_iri ${descending ? 'DESC' : 'ASC'}`)).map((r) => r.iri);
      const walks: string[] = [];
      const reader = db.reader;
      const all = reader.all.bind(reader);
      (reader as { all: typeof reader.all }).all = (sql, params) => {
        if (sql.includes('INDEXED BY federated_listed_by_name WHERE') && sql.includes('OFFSET') && !sql.includes('LIMIT 1 OFFSET')) walks.push(sql);
        return all(sql, params);
      };
      for (const descending of [false, true]) {
        const whole = await expected(descending);
        expect(whole.length).to.equal(240);
        const order = { key: descending ? 'name' : 'relevance', descending } as const;
        for (const [offset, limit] of [[0, 100], [20, 50], [100, 100], [200, 100], [230, 5]] as const) {
          walks.length = 0;
          // An index of its own, which remembers no walk that failed (see below).
          const page = (await new SqliteFederatedIndex(db).pageRows({ circle, inStock: true }, order, offset, limit)).map((r) => r.itemIri);
          expect(page, `${JSON.stringify(order)} ${offset}+${limit}`).to.deep.equal(whole.slice(offset, offset + limit));
          expect(walks.length, 'walked first').to.equal(1);
        }
      }
      // Ascending, the 120 early names fit in the first entries walked; past them the walk meets its budget.
      walks.length = 0;
      const found: string[] = [];
      (reader as { all: typeof reader.all }).all = async <T>(sql: string, params?: readonly SqlValue[]): Promise<T[]> => {
        const rows = await all<T>(sql, params);
        if (sql.includes('INDEXED BY federated_listed_by_name WHERE') && !sql.includes('LIMIT 1 OFFSET')) found.push(String(rows.length));
        return rows;
      };
      await index.pageRows({ circle, inStock: true }, { key: 'relevance', descending: false }, 0, 100);
      await index.pageRows({ circle, inStock: true }, { key: 'relevance', descending: false }, 150, 50);
      expect(found, 'a full page walked, then a page the budget cuts short').to.deep.equal(['100', '0']);
      // That page (and any further one) is then sorted without a walk, the same page; one nearer the start is still walked.
      found.length = 0;
      const ascending = await expected(false);
      const relevance = { key: 'relevance', descending: false } as const;
      expect((await index.pageRows({ circle, inStock: true }, relevance, 150, 50)).map((r) => r.itemIri)).to.deep.equal(ascending.slice(150, 200));
      expect((await index.pageRows({ circle, inStock: true }, relevance, 160, 60)).map((r) => r.itemIri)).to.deep.equal(ascending.slice(160, 220));
      expect(found, 'no walk where one failed').to.deep.equal([]);
      expect((await index.pageRows({ circle, inStock: true }, relevance, 0, 100)).map((r) => r.itemIri)).to.deep.equal(ascending.slice(0, 100));
      expect(found, 'walked nearer the start').to.deep.equal(['100']);
      // Another filter is walked as before.
      found.length = 0;
      await index.pageRows({ circle: { ...circle, radiusKm: 41 }, inStock: true }, relevance, 150, 50);
      expect(found).to.deep.equal(['0']);
    });
  });

  describe('reads that must agree', () => {
    it('are read again while the index changed under them, three times at most', async () => {
      let calls = 0;
      expect(await index.consistent(async () => {
        calls++;
        // A sync commits between the count and its page, the first time only.
        if (calls === 1) await change((tx) => insert(tx, { peer: 0, enterprise: 1 }));
        return calls;
      })).to.equal(2);
      calls = 0;
      expect(await index.consistent(async () => {
        calls++;
        await change((tx) => insert(tx, { peer: 1, enterprise: 2 }));
        return calls;
      }), 'an index that never stops changing: the last reads').to.equal(3);
    });
  });

  describe('the enterprises', () => {
    it('are listed once each from their index, an unlisted one by the first of its rows\' names (none when a row names none)', async () => {
      await change(async (tx) => {
        for (const e of [1, 2, 3]) for (let k = 0; k < 3; k++) await insert(tx, { peer: k, enterprise: e, winner: false });
        await insert(tx, { peer: 0, enterprise: 4 });
        await tx.run(`UPDATE federated_entries SET enterprise_name = CASE rowid % 3 WHEN 0 THEN 'B' WHEN 1 THEN 'A' ELSE 'C' END
          WHERE enterprise_iri = 'https://e.example/1'`);
        await tx.run("UPDATE federated_entries SET enterprise_name = CASE WHEN rowid % 3 = 0 THEN NULL ELSE 'B' END WHERE enterprise_iri = 'https://e.example/2'");
        await tx.run("UPDATE federated_entries SET enterprise_name = 'Z' WHERE enterprise_iri = 'https://e.example/3'");
      });
      expect((await index.enterprises()).map((e) => [e.iri, e.name])).to.deep.equal([
        ['https://e.example/1', 'A'], ['https://e.example/2', null], ['https://e.example/3', 'Z'], ['https://e.example/4', 'Ferme 4'],
      ]);
    });
  });

  describe('a text\'s type labels', () => {
    it('find the first listed rows of several types in rowid order, each type walked apart, as one list would', async function () {
      this.timeout(30_000);
      await change(async (tx) => {
        for (let i = 0; i < 3000; i++) {
          await insert(tx, { peer: i % 4, enterprise: i % 30, type: TYPES[i % 3] as string, withdrawn: i % 11 === 0, winner: i % 13 !== 0 });
        }
      });
      const types = [TYPES[0], TYPES[2], TYPES[1]] as string[];
      const listed = async (ofTypes: string[]): Promise<number[]> => (await db.reader.all<{ id: number }>(
        `SELECT rowid AS id FROM federated_entries WHERE winner = 1 AND withdrawn = 0 AND product_type IN (${ofTypes.map(() => '?').join(',')})
         ORDER BY rowid LIMIT ${MAX_TEXT_MATCHES}`, ofTypes)).map((r) => r.id);
      // A text no word of which is held: its matches are the rows of its types alone.
      for (const textTypes of [types, [types[1] as string], types.slice(0, 2)]) {
        const found = (await index.queryMatches({ text: 'nowhere', textTypes })).map((m) => m.id);
        expect(found, JSON.stringify(textTypes)).to.deep.equal(await listed(textTypes));
      }
    });

    it('are read as one list when walks would outgrow SQLite\'s parameters (a wide circle\'s cells, many types)', async function () {
      this.timeout(30_000);
      const many = Array.from({ length: 60 }, (_, i) => `${DFC_PT_NS}kind-${i}`);
      await change(async (tx) => {
        for (let i = 0; i < 600; i++) await insert(tx, { peer: i % 4, enterprise: i % 30, type: many[i % 7] as string });
      });
      // 588 cells of the grid: 60 walks of them would be some 36,000 parameters, past SQLite's 32,766.
      const circle = { lat: 45.3, lon: 1.2, radiusKm: 215 };
      expect(gridCells(boxAround(circle.lat, circle.lon, circle.radiusKm))?.length).to.be.greaterThan(500);
      const found = (await index.queryMatches({ text: 'nowhere', textTypes: many, circle })).map((m) => m.id);
      const expected = (await db.reader.all<{ id: number }>(
        `SELECT rowid AS id FROM federated_entries WHERE winner = 1 AND withdrawn = 0 ORDER BY rowid LIMIT ${MAX_TEXT_MATCHES}`)).map((r) => r.id);
      expect(found).to.have.length(600);
      expect(found).to.deep.equal(expected);
    });
  });

  describe('the supply kept per source', () => {
    it('equals the groups of every row after each kind of change, whatever wrote it', async () => {
      const next = random(3);
      await change(async (tx) => {
        for (let i = 0; i < 300; i++) {
          const peer = (['a', 'b', 0, 1, 2, 3] as const)[i % 6] as number | 'a' | 'b';
          await insert(tx, { peer, enterprise: Math.floor(next() * 12), inStock: next() > 0.3, type: next() > 0.9 ? null : undefined,
            // A few products listed twice (two items of one product): counted once.
            ...(i % 10 === 0 ? { product: 'https://p.example/p/shared' } : {}) });
        }
      });
      expect(await keptGroups()).to.deep.equal(await plainGroups());
      const steps: ((tx: SqlConnection) => Promise<unknown>)[] = [
        (tx) => tx.run('UPDATE federated_entries SET in_stock = 0, stock = 0 WHERE rowid % 7 = 0'),
        (tx) => tx.run('UPDATE federated_entries SET withdrawn = 1 WHERE rowid % 11 = 0'),
        (tx) => tx.run('UPDATE federated_entries SET winner = 0 WHERE rowid % 13 = 0'),
        (tx) => tx.run('DELETE FROM federated_entries WHERE peer_id = ?', [peers[2] as number]),
        (tx) => tx.run("DELETE FROM federated_entries WHERE source = 'local:b'"),
        (tx) => tx.run('UPDATE federated_entries SET product_type = ? WHERE rowid % 5 = 1', [TYPES[0] as string]),
        (tx) => tx.run('UPDATE federated_entries SET postcode = ?, latitude = 44.1 WHERE rowid % 3 = 2', ['19100']),
        (tx) => insert(tx, { peer: 3, enterprise: 99 }),
      ];
      for (const [i, step] of steps.entries()) {
        await change(step);
        expect(await keptGroups(), `after step ${i}`).to.deep.equal(await plainGroups());
      }
      // The filters the kept groups answer: types, enterprise, source (ours, a peer's).
      expect(await keptGroups({ types: [TYPES[1], TYPES[2]] })).to.deep.equal(await plainGroups('product_type IN (?, ?)', [TYPES[1] as string, TYPES[2] as string]));
      expect(await keptGroups({ enterprise: 'https://e.example/4' })).to.deep.equal(await plainGroups('enterprise_iri = ?', ['https://e.example/4']));
      expect(await keptGroups({ source: 'local' })).to.deep.equal(await plainGroups('peer_id IS NULL'));
      expect(await keptGroups({ source: String(peers[1]) })).to.deep.equal(await plainGroups('peer_id = ?', [peers[1] as number]));
      expect(await keptGroups({ types: [] })).to.deep.equal([]);
      // And of the rows in stock, or of the others (migration 43): the kept counts of each, not the rows grouped again.
      expect(await keptGroups({ inStock: true })).to.deep.equal(await plainGroups('in_stock = 1'));
      expect(await keptGroups({ inStock: false })).to.deep.equal(await plainGroups('in_stock = 0'));
      expect(await keptGroups({ inStock: true, types: [TYPES[1]] })).to.deep.equal(await plainGroups('in_stock = 1 AND product_type = ?', [TYPES[1] as string]));
      expect(await keptGroups({ inStock: false, source: String(peers[1]) })).to.deep.equal(await plainGroups('in_stock = 0 AND peer_id = ?', [peers[1] as number]));
      // Read from the kept groups: rows written behind the triggers' back (none is) would not be seen.
      await db.transaction((tx) => tx.run('DROP TRIGGER federated_supply_updated'));
      await change((tx) => tx.run('UPDATE federated_entries SET in_stock = 1 - in_stock'));
      expect(await keptGroups({ inStock: true })).to.not.deep.equal(await plainGroups('in_stock = 1'));
    });

    it('sums the summary in SQL exactly as the service sums the groups itself (totals, rolled-up types, sources, areas)', async () => {
      const next = random(5);
      await change(async (tx) => {
        for (let i = 0; i < 400; i++) {
          const peer = (['a', 'b', 0, 1, 2, 3] as const)[i % 6] as number | 'a' | 'b';
          const type = next() > 0.95 ? null : next() > 0.9 ? 'https://elsewhere.example/types/unknown' : `${DFC_PT_NS}${SUMMARY_TYPES[i % SUMMARY_TYPES.length]}`;
          await insert(tx, { peer, enterprise: Math.floor(next() * 25), inStock: next() > 0.3, type });
        }
        // Postcodes without an area: missing, empty, blanks (a no-break and a thin space too): all one "(unknown)".
        for (const [i, postcode] of [null, '', ' ', '\u00a0\u202f', '87 000', ' 19\u202f100'].entries()) {
          await insert(tx, { peer: i % 2 === 0 ? 'a' : 1, enterprise: 100 + i });
          await tx.run('UPDATE federated_entries SET postcode = ? WHERE rowid = last_insert_rowid()', [postcode]);
        }
      });
      const catalogue = { listEnterprises: async () => [], publishedRecords: async () => [] } as unknown as LocalCatalogue;
      const names = async (): Promise<Map<number, string>> => new Map(peers.map((id, i) => [id, `peer ${i}`]));
      const service = new FederationService(index, catalogue, () => Taxonomy.builtin(), names);
      // The same index, summing its groups in JavaScript (the path of the filters the kept groups do not answer).
      const plainIndex = Object.assign(Object.create(index) as SqliteFederatedIndex, { supplySummary: async () => undefined });
      const plain = new FederationService(plainIndex, catalogue, () => Taxonomy.builtin(), names);
      // A stock filter's summary is summed from the kept groups' counts in stock (or out of it) since migration 43: the same
      // answer as the service gave summing the groups of those rows, grouped from the rows themselves.
      const rowGroups = async (query: { inStock?: boolean; types?: readonly string[]; source?: string }): Promise<SupplyGroup[]> => {
        const where = ['winner = 1', 'withdrawn = 0', 'in_stock = ?'];
        const params: (string | number)[] = [query.inStock === true ? 1 : 0];
        if (query.types !== undefined) {
          where.push(`product_type IN (${query.types.map(() => '?').join(',')})`);
          params.push(...query.types);
        }
        if (query.source !== undefined) {
          where.push('peer_id = ?');
          params.push(Number(query.source));
        }
        return (await db.reader.all<SupplyGroup & { postcode: string | null }>(
          `SELECT product_type AS productType, enterprise_iri AS enterpriseIri, peer_id AS peerId, postcode, COUNT(DISTINCT product_key) AS products,
             COUNT(offer_iri) AS offers, SUM(in_stock) AS inStock, max(latitude) AS lat, max(longitude) AS lon FROM federated_entries
           WHERE ${where.join(' AND ')} GROUP BY product_type, enterprise_iri, peer_id, postcode`, params))
          .map(({ postcode, ...group }) => ({ ...group, area: areaOf(postcode) }));
      };
      const rowIndex = Object.assign(Object.create(index) as SqliteFederatedIndex, { supplySummary: async () => undefined, supplyGroups: rowGroups });
      const fromRows = new FederationService(rowIndex, catalogue, () => Taxonomy.builtin(), names);
      for (const query of [{ inStock: 'true' }, { inStock: 'false' }, { inStock: 'true', type: 'vegetable' }, { inStock: 'false', peer: String(peers[2]) }]) {
        const sql = await service.stats(query);
        expect(sql.totals.offers, JSON.stringify(query)).to.be.greaterThan(0);
        expect(sql, JSON.stringify(query)).to.deep.equal(await fromRows.stats(query));
      }
      for (const query of [{}, { type: 'vegetable' }, { type: 'fruit' }, { peer: 'local' }, { peer: String(peers[2]) }]) {
        const sql = await service.stats(query);
        expect(sql.byProductType.length, JSON.stringify(query)).to.be.greaterThan(0);
        expect(sql, JSON.stringify(query)).to.deep.equal(await plain.stats(query));
      }
      const whole = await service.stats();
      // A producer of carrots and of apples counts once under its broader types, not twice.
      expect(whole.totals.offers).to.equal(406);
      expect(whole.byPostcodeArea.find((a) => a.area === '(unknown)')).to.include({ offers: 4, producers: 4 });
      expect(whole.byPostcodeArea.find((a) => a.area === '19')?.offers).to.be.greaterThan(0);
      // The area kept by SQL is the one JavaScript gives a row it groups itself (a circle's, a stock filter's summary).
      const kept = await db.reader.all<{ postcode: string | null; area: string | null }>('SELECT DISTINCT postcode, area FROM federated_supply_groups');
      expect(kept.length).to.be.greaterThan(6);
      for (const { postcode, area } of kept) expect(area, JSON.stringify(postcode)).to.equal(areaOf(postcode));
      expect(whole.byProductType.find((t) => t.type === 'untyped' || t.type === '(untyped)')?.offers).to.be.greaterThan(0);
    });

    it('keeps the whole catalogue\'s summary through every kind of change, moved by the groups replaced, equal to the groups summed again', async () => {
      const next = random(11);
      const typeOf = (i: number): string | null => (next() > 0.95 ? null : `${DFC_PT_NS}${SUMMARY_TYPES[i % SUMMARY_TYPES.length]}`);
      await change(async (tx) => {
        for (let i = 0; i < 300; i++) {
          const peer = (['a', 'b', 0, 1, 2, 3] as const)[i % 6] as number | 'a' | 'b';
          await insert(tx, { peer, enterprise: Math.floor(next() * 20), inStock: next() > 0.3, type: typeOf(i) });
        }
      });
      const catalogue = { listEnterprises: async () => [], publishedRecords: async () => [] } as unknown as LocalCatalogue;
      const names = async (): Promise<Map<number, string>> => new Map(peers.map((id, i) => [id, `peer ${i}`]));
      // One taxonomy, as a node holds it (the summary is kept per roll-up).
      const taxonomy = Taxonomy.builtin();
      const service = new FederationService(index, catalogue, () => taxonomy, names);
      const plainIndex = Object.assign(Object.create(index) as SqliteFederatedIndex, { supplySummary: async () => undefined });
      const plain = new FederationService(plainIndex, catalogue, () => taxonomy, names);
      const kept = (): unknown => (index as unknown as { tallies: unknown }).tallies;
      expect(await service.stats()).to.deep.equal(await plain.stats());
      const first = kept();
      expect(first, 'the tallies are kept').to.not.equal(undefined);
      const steps: ((tx: SqlConnection) => Promise<unknown>)[] = [
        (tx) => tx.run('UPDATE federated_entries SET in_stock = 0, stock = 0 WHERE rowid % 7 = 0'),
        (tx) => tx.run('UPDATE federated_entries SET withdrawn = 1 WHERE rowid % 11 = 0'),
        (tx) => tx.run('UPDATE federated_entries SET winner = 0 WHERE rowid % 13 = 0'),
        // A producer moving from one source to another, and one that leaves a source entirely.
        (tx) => tx.run('UPDATE federated_entries SET enterprise_iri = ? WHERE peer_id = ?', ['https://e.example/moved', peers[0] as number]),
        (tx) => tx.run('DELETE FROM federated_entries WHERE peer_id = ?', [peers[2] as number]),
        (tx) => tx.run("DELETE FROM federated_entries WHERE source = 'local:b'"),
        (tx) => tx.run('UPDATE federated_entries SET product_type = NULL WHERE rowid % 5 = 1'),
        (tx) => tx.run('UPDATE federated_entries SET postcode = ? WHERE rowid % 3 = 2', ['19100']),
        async (tx) => {
          for (let i = 0; i < 30; i++) await insert(tx, { peer: 3, enterprise: 40 + (i % 4), type: typeOf(i) });
        },
        // Every row gone: the summary is empty, not the last one kept.
        (tx) => tx.run('DELETE FROM federated_entries'),
        (tx) => insert(tx, { peer: 1, enterprise: 7 }),
      ];
      for (const [i, step] of steps.entries()) {
        await change(step);
        expect(await service.stats(), `after step ${i}`).to.deep.equal(await plain.stats());
        expect(kept(), `after step ${i}: moved, not summed again`).to.equal(first);
      }
      expect((await service.stats()).totals.offers).to.equal(1);

      // Another process (a command beside the server) computes the groups again: the kept summary is read again.
      const other = await SqliteDatabase.open(join(folder, 'node.db'));
      try {
        await other.transaction(async (tx) => {
          for (let i = 0; i < 12; i++) await insert(tx, { peer: 0, enterprise: 60 + i, type: typeOf(i) });
          await tx.run("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'index_generation'");
        });
        await new SqliteFederatedIndex(other).supplyGroups({});
        expect(await db.reader.all('SELECT peer_key FROM federated_supply_dirty')).to.deep.equal([]);
      } finally {
        await other.close();
      }
      const after = await service.stats();
      expect(after.totals.offers).to.equal(13);
      expect(after).to.deep.equal(await plain.stats());
      expect(kept()).to.not.equal(first);
    });

    it('computes a source again only when its rows changed: the marks are cleared, and a change marks its own source', async () => {
      await change(async (tx) => {
        for (let i = 0; i < 20; i++) await insert(tx, { peer: i % 3, enterprise: i });
      });
      await index.supplyGroups({});
      expect(await db.reader.all('SELECT peer_key FROM federated_supply_dirty')).to.deep.equal([]);
      await change((tx) => tx.run('UPDATE federated_entries SET in_stock = 0 WHERE peer_id = ?', [peers[1] as number]));
      expect(await db.reader.all('SELECT peer_key FROM federated_supply_dirty')).to.deep.equal([{ peer_key: peers[1] }]);
      // A change of a column no summary reads marks nothing.
      await index.supplyGroups({});
      await change((tx) => tx.run("UPDATE federated_entries SET name = 'renamed', name_key = 'renamed'"));
      expect(await db.reader.all('SELECT peer_key FROM federated_supply_dirty')).to.deep.equal([]);
    });

    it('ends a refresh when the writer finds nothing left, whatever a reader with an older snapshot still sees', async () => {
      await change(async (tx) => {
        for (let i = 0; i < 20; i++) await insert(tx, { peer: i % 3, enterprise: i });
      });
      // A reader on a snapshot older than the refresh's commit: the sources it changed still read as changed.
      const reader = db.reader as { get: SqlConnection['get'] };
      const get = reader.get.bind(reader);
      reader.get = ((sql: string, params?: readonly SqlValue[]) => (sql.includes('FROM federated_supply_dirty')
        ? Promise.resolve({ dirty: 1 }) : get(sql, params))) as SqlConnection['get'];
      let timer: NodeJS.Timeout | undefined;
      try {
        const groups = await Promise.race([keptGroups(), new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error('the refresh never ended: it asked the stale reader again and again')), 5000);
        })]);
        expect(groups).to.deep.equal(await plainGroups());
      } finally {
        clearTimeout(timer);
        reader.get = get;
      }
    });
  });

  describe('texts too broad to rank', () => {
    it(`lists a text that more than ${MAX_RANKED_HITS} offers hold in index order, at most ${MAX_TEXT_MATCHES}; a rarer one by relevance`, async () => {
      await change(async (tx) => {
        for (let i = 0; i < MAX_RANKED_HITS + 50; i++) {
          // Every row says "cooperative"; a few say "rare" once or three times (those first by relevance).
          const rare = i % 500 === 7 ? (i % 1000 === 7 ? ' rare rare rare' : ' rare') : '';
          await insert(tx, { peer: i % 4, enterprise: i % 30, text: `cooperative item ${i}${rare}` });
        }
      });
      const broad = await index.queryMatches({ text: 'cooperative' });
      expect(broad).to.have.length(MAX_TEXT_MATCHES);
      const ids = broad.map((m) => m.id);
      expect(ids).to.deep.equal([...ids].sort((a, b) => a - b));
      // Counted, summed up, sorted and exported whole: every match, not the best ones a page lists first.
      const every = MAX_RANKED_HITS + 50;
      expect(await index.countMatches({ text: 'cooperative' })).to.equal(every);
      expect((await index.supplyGroups({ text: 'cooperative' })).reduce((n, g) => n + g.offers, 0)).to.equal(every);
      const exported = (await index.queryMatches({ text: 'cooperative' }, { all: true })).map((m) => m.id);
      expect(exported).to.have.length(every);
      expect(new Set(exported).size).to.equal(every);
      expect(exported.slice(0, MAX_TEXT_MATCHES)).to.deep.equal(ids);
      // Pages by relevance go on past the best ones, in index order, each match once.
      const paged: string[] = [];
      for (let offset = 0; offset < every + 100; offset += 700) {
        for (const row of await index.pageRows({ text: 'cooperative' }, { key: 'relevance', descending: false }, offset, 700)) paged.push(row.itemIri);
      }
      expect(paged).to.have.length(every);
      expect(new Set(paged).size).to.equal(every);
      // Sorted by name: over every match (the last name is one past the best thousand).
      const lastByName = await index.pageRows({ text: 'cooperative' }, { key: 'name', descending: true }, 0, 1);
      const allNames = (await db.reader.all<{ name_key: string }>('SELECT name_key FROM federated_entries')).map((r) => r.name_key).sort();
      expect(lastByName[0]?.name).to.equal(allNames[allNames.length - 1]);
      // Filtered, still in index order, every row passing the filter.
      const peerRows = await index.entriesByIds((await index.queryMatches({ text: 'cooper', source: String(peers[2]) })).map((m) => m.id));
      expect(peerRows.every((r) => r.peerId === peers[2])).to.equal(true);
      expect(peerRows).to.have.length(MAX_TEXT_MATCHES);
      const rare = await index.entriesByIds((await index.queryMatches({ text: 'rare' })).map((m) => m.id));
      expect(rare).to.have.length(Math.ceil((MAX_RANKED_HITS + 50 - 7) / 500));
      // bm25: the rows saying it three times come first.
      const firstIds = rare.slice(0, 2).map((r) => r.itemIri);
      const allThrice = (await db.reader.all<{ item_iri: string }>("SELECT item_iri FROM federated_entries WHERE search LIKE '%rare rare rare%'")).map((r) => r.item_iri);
      expect(allThrice).to.include.members(firstIds);
    });

    it(`lists a text in index order when one of its words is held by more than ${MAX_RANKED_HITS} offers, however few hold them all`, async () => {
      await change(async (tx) => {
        for (let i = 0; i < MAX_RANKED_HITS + 50; i++) {
          // Every row says "cooperative"; a few say "rare" (some three times), all of those "vert" too, and a few more "vert".
          const rare = i % 500 === 7 ? (i % 1000 === 7 ? ' rare rare rare' : ' rare') : '';
          await insert(tx, { peer: i % 4, enterprise: i % 30, text: `cooperative item ${i}${rare}${i % 250 === 7 ? ' vert' : ''}` });
        }
      });
      const rows = async (text: string) => index.entriesByIds((await index.queryMatches({ text })).map((m) => m.id));
      const thrice = (await db.reader.all<{ item_iri: string }>("SELECT item_iri FROM federated_entries WHERE search LIKE '%rare rare rare%'")).map((r) => r.item_iri);
      const few = Math.ceil((MAX_RANKED_HITS + 50 - 7) / 500);
      // Two words each held by few offers: ranked (the rows saying "rare" three times first).
      const ranked = await rows('vert rare');
      expect(ranked).to.have.length(few);
      expect(thrice).to.include.members(ranked.slice(0, thrice.length).map((r) => r.itemIri));
      // One of them held by every row: the same few matches, in index order (as "cooperative" alone would be listed).
      const listed = await index.queryMatches({ text: 'cooperative rare' });
      expect(listed).to.have.length(few);
      expect(listed.map((m) => m.id)).to.deep.equal(listed.map((m) => m.id).sort((a, b) => a - b));
      expect((await rows('cooperative rare')).map((r) => r.itemIri).sort()).to.deep.equal(ranked.map((r) => r.itemIri).sort());
      expect(await index.countMatches({ text: 'cooperative rare' })).to.equal(few);
      // Its first rows by relevance are not its first in index order: the two orders differ here.
      expect(ranked.map((r) => r.itemIri)).to.not.deep.equal((await rows('cooperative rare')).map((r) => r.itemIri));
    });

    it(`takes a last word more than ${MAX_RANKED_HITS} offers hold as typed whole, not as a prefix; a rarer one as a prefix`, async () => {
      await change(async (tx) => {
        for (let i = 0; i < MAX_RANKED_HITS + 50; i++) {
          // The first rows hold only a completion of the common word (they would come first in index order).
          const word = i < 40 ? 'cooperatives' : 'cooperative';
          await insert(tx, { peer: i % 4, enterprise: i % 30, text: `${word} item ${i}${i % 9 === 0 ? ' chevre' : ''}` });
        }
      });
      const texts = async (text: string): Promise<string[]> =>
        (await index.entriesByIds((await index.queryMatches({ text })).map((m) => m.id))).map((r) => r.search);
      const common = await texts('cooperative');
      expect(common).to.have.length(MAX_TEXT_MATCHES);
      expect(common.every((t) => t.startsWith('cooperative '))).to.equal(true);
      // Counted by the same plan (the word whole: not the 40 rows saying only "cooperatives"), every match.
      expect(await index.countMatches({ text: 'cooperative' })).to.equal(MAX_RANKED_HITS + 50 - 40);
      // A completion people type on their way (`coop`, `chev`): a prefix, every completion found.
      expect((await texts('coop')).slice(0, 40).every((t) => t.startsWith('cooperatives '))).to.equal(true);
      expect((await texts('chev')).length).to.equal(Math.ceil((MAX_RANKED_HITS + 50) / 9));
    });

    it('plans a word and its plural apart, whichever is searched first (they share their prefix form)', async () => {
      await change(async (tx) => {
        for (let i = 0; i < MAX_RANKED_HITS + 50; i++) {
          // First in index order, a completion of `legume` that is not `legumes`.
          await insert(tx, { peer: i % 4, enterprise: i % 30, text: `${i < 40 ? 'legumer' : 'legumes'} item ${i}` });
        }
      });
      const texts = async (text: string): Promise<string[]> =>
        (await index.entriesByIds((await index.queryMatches({ text })).map((m) => m.id))).map((r) => r.search);
      // `legumes` as typed, more than 5,000 offers hold: whole (no `legumer`); `legume` is held by none whole, so a
      // prefix, unranked, in index order (the `legumer` rows first).
      const check = async (): Promise<void> => {
        const plural = await texts('legumes');
        expect(plural).to.have.length(MAX_TEXT_MATCHES);
        expect(plural.every((t) => t.startsWith('legumes '))).to.equal(true);
        const singular = await texts('legume');
        expect(singular).to.have.length(MAX_TEXT_MATCHES);
        expect(singular.slice(0, 40).every((t) => t.startsWith('legumer '))).to.equal(true);
      };
      await check();
      // The other order, on a fresh index (no plan kept).
      index = new SqliteFederatedIndex(db);
      const singular = await texts('legume');
      expect(singular.slice(0, 40).every((t) => t.startsWith('legumer '))).to.equal(true);
      const plural = await texts('legumes');
      expect(plural.every((t) => t.startsWith('legumes '))).to.equal(true);
      await check();
    });
  });
});
