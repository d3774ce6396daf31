/**
 * Pages of the federated catalogue after a row's key (`pageAfter`): rows inserted before the walk's place, and rows
 * it has shown removed, between two pages move nothing (each row there for the whole walk is on one page, once),
 * among named rows and those without a name (after every named one), walked or sorted; and the queries walk the
 * same indexes as the pages by offset they replace.
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Taxonomy } from '../../../../ontology/taxonomy.js';
import { DFC_PT_NS } from '../../../../ontology/vocabulary.js';
import type { Request } from 'express';
import { FederationService, type CataloguePlace, type LocalCatalogue } from '../../../../server/federation/federation-service.js';
import { MAX_CURSOR_LENGTH, catalogueCursor, catalogueCursorOf } from '../../../../server/http/cursor.js';
import type { CatalogueKey, FederatedQuery } from '../../../../server/store/federation.js';
import { SqliteDatabase, type SqlConnection, type SqlValue } from '../../../../server/store/sqlite/database.js';
import { SqliteFederatedIndex } from '../../../../server/store/sqlite/federated-index.js';
import { migrate } from '../../../../server/store/sqlite/migrations.js';

const INSERT = `INSERT INTO federated_entries (source, item_iri, product_iri, product_key, offer_iri, enterprise_iri, peer_id, rank, winner,
  withdrawn, name, search, product_type, stock, in_stock, latitude, longitude, postcode, enterprise_name, name_key)
  VALUES (?, ?, ?, ?, ?, ?, NULL, 0, 1, 0, ?, ?, ?, 5, ?, ?, ?, '87000', 'Ferme', ?)`;

describe('SQLite federated index: pages after a key', () => {
  let folder: string;
  let db: SqliteDatabase;
  let index: SqliteFederatedIndex;

  beforeEach(async () => {
    folder = mkdtempSync(join(tmpdir(), 'maillon-keyset-'));
    db = await SqliteDatabase.open(join(folder, 'node.db'));
    await migrate(db);
    index = new SqliteFederatedIndex(db);
  });
  afterEach(async () => {
    await db.close();
    rmSync(folder, { recursive: true, force: true });
  });

  /** A row named `name` (null: none), item `item`; in stock, a carrot, in Limoges unless said. */
  const insert = (tx: SqlConnection, item: string, name: string | null, options: { inStock?: boolean; lat?: number; source?: string } = {}): Promise<unknown> => {
    const iri = `https://p.example/i/${item}`;
    const product = options.source === undefined ? iri : `${iri}/${options.source}`;
    return tx.run(INSERT, [options.source ?? 'local:a', iri, product, product, `https://p.example/o/${item}`, 'https://e.example/a', name, name ?? item, `${DFC_PT_NS}carrot`,
      options.inStock === false ? 0 : 1, options.lat ?? 45.83, 1.26, name === null ? null : name.toLowerCase()]);
  };
  const change = (work: (tx: SqlConnection) => Promise<unknown>): Promise<void> => db.transaction(async (tx) => {
    await work(tx);
    await tx.run("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'index_generation'");
  });

  for (const [label, query] of [['every row', {}], ['in stock', { inStock: true }], ['in a circle (walked by name)', { circle: { lat: 45.83, lon: 1.26, radiusKm: 20 } }],
    ['of an enterprise', { enterprise: 'https://e.example/a' }]] as [string, FederatedQuery][]) {
    it(`gives each row there for the whole walk once, whatever is inserted before its place or removed behind it (${label})`, async () => {
      await change(async (tx) => {
        for (let i = 0; i < 12; i++) await insert(tx, `n${String(i).padStart(2, '0')}`, `m ${String(i).padStart(2, '0')}`);
        // Without a name: after every named row, by item.
        for (let i = 0; i < 5; i++) await insert(tx, `z${i}`, null);
        // Never matched by the stock filter, nor the circle.
        await insert(tx, 'out', 'm 05b', { inStock: false, lat: 10 });
      });
      const stable = new Set([...Array.from({ length: 12 }, (_, i) => `n${String(i).padStart(2, '0')}`), ...Array.from({ length: 5 }, (_, i) => `z${i}`)]);
      const seen: string[] = [];
      let after: CatalogueKey | undefined;
      let step = 0;
      do {
        const page = await index.pageAfter(query, after, 3);
        seen.push(...page.rows.map((r) => r.itemIri.split('/').pop() as string));
        after = page.next;
        step++;
        // Before the walk's place: named rows sorting first, and rows without a name sorting first among those.
        await change(async (tx) => {
          await insert(tx, `a${step}`, `a ${step}`);
          await insert(tx, `0${step}`, null);
          // Behind it: a row the walk has shown.
          const shown = seen.find((item) => stable.has(item));
          if (shown !== undefined) {
            stable.delete(shown);
            await tx.run('DELETE FROM federated_entries WHERE item_iri = ?', [`https://p.example/i/${shown}`]);
          }
        });
      } while (after !== undefined && step < 30);
      expect(seen.filter((item, i) => seen.indexOf(item) !== i), 'seen twice').to.deep.equal([]);
      expect([...stable].filter((item) => !seen.includes(item)), 'stable rows never seen').to.deep.equal([]);
      expect(seen.filter((item) => item === 'out')).to.have.length(label === 'every row' || label === 'of an enterprise' ? 1 : 0);
      expect(seen.at(-1)?.startsWith('z'), 'the rows without a name come last').to.equal(true);
    });
  }

  it('ends a page after every row of its last key (two sources, one catalog item, two products): the next skips none', async () => {
    await change(async (tx) => {
      for (const item of ['n1', 'n2', 'n4']) await insert(tx, item, `m ${item}`);
      await insert(tx, 'n3', 'm n3', { source: 'local:a' });
      await insert(tx, 'n3', 'm n3', { source: 'local:b' });
    });
    const first = await index.pageAfter({}, undefined, 3);
    expect(first.rows.map((r) => `${r.itemIri.split('/').pop() as string} ${r.source}`)).to.deep.equal(['n1 local:a', 'n2 local:a', 'n3 local:a', 'n3 local:b']);
    const second = await index.pageAfter({}, first.next, 3);
    expect(second.rows.map((r) => r.itemIri.split('/').pop())).to.deep.equal(['n4']);
    expect(second.next).to.equal(undefined);
  });

  it('ends a numbered page after every row of its last key and starts it after the key before it: the next cursor skips none', async () => {
    await change(async (tx) => {
      for (const item of ['n1', 'n2', 'n3', 'n5']) await insert(tx, item, `m ${item}`);
      await insert(tx, 'n4', 'm n4', { source: 'local:a' });
      await insert(tx, 'n4', 'm n4', { source: 'local:b' });
    });
    const catalogue = { listEnterprises: async () => [], publishedRecords: async () => [] } as unknown as LocalCatalogue;
    const service = new FederationService(index, catalogue, () => Taxonomy.builtin(), async () => new Map());
    const shown = (rows: readonly { itemIri: string; source: string }[]): string[] => rows.map((r) => `${r.itemIri.split('/').pop() as string} ${r.source}`);
    // Page 2 of two rows by offset would end inside n4's rows (n3, n4 of one source): it holds both of them.
    const second = await service.cataloguePage({}, 2, 2);
    expect(shown(second.rows)).to.deep.equal(['n3 local:a', 'n4 local:a', 'n4 local:b']);
    const next = await service.cataloguePage({}, second.next as CataloguePlace, 2);
    expect(shown(next.rows)).to.deep.equal(['n5 local:a']);
    // Page 3 by number starts after n4's rows, as the cursor does: no row on two numbered pages.
    expect(shown((await service.cataloguePage({}, 3, 2)).rows)).to.deep.equal(['n5 local:a']);
    expect(shown((await service.cataloguePage({}, 1, 2)).rows)).to.deep.equal(['n1 local:a', 'n2 local:a']);
  });

  it('walks by the cursors it writes past catalog items of very long IRIs and names: each cursor taken back, each row once', async () => {
    const long = 'x'.repeat(20_000);
    await change(async (tx) => {
      for (let i = 0; i < 5; i++) await insert(tx, `${long}${i}`, `m ${i}`);
      await insert(tx, `${long}5a`, `m ${long}`, { source: 'local:a' });
      await insert(tx, `${long}5b`, `m ${long}`, { source: 'local:a' });
      await insert(tx, `${long}6`, null);
      await insert(tx, `${long}7`, null);
      await insert(tx, 'short', 'n');
    });
    const catalogue = { listEnterprises: async () => [], publishedRecords: async () => [] } as unknown as LocalCatalogue;
    const service = new FederationService(index, catalogue, () => Taxonomy.builtin(), async () => new Map());
    const seen: string[] = [];
    let at: number | CataloguePlace = 1;
    for (let pages = 0; pages < 20; pages++) {
      const page = await service.cataloguePage({}, at, 2);
      seen.push(...page.rows.map((row) => row.itemIri.slice(-6)));
      if (page.next === undefined) break;
      // Through the cursor as a next link carries it, and back.
      const after = catalogueCursor(page.next as CataloguePlace, 2);
      expect(after.length).to.be.at.most(MAX_CURSOR_LENGTH);
      at = (catalogueCursorOf({ query: { after }, headers: {} } as unknown as Request) as { place: CataloguePlace }).place;
    }
    expect(seen).to.deep.equal(['xxxxx0', 'xxxxx1', 'xxxxx2', 'xxxxx3', 'xxxxx4', 'xxxx5a', 'xxxx5b', '/short', 'xxxxx6', 'xxxxx7']);
  });

  it('reads a page after a key through the index a page by offset reads, with no sort where it has none', async function () {
    this.timeout(60_000);
    await change(async (tx) => {
      for (let i = 0; i < 3000; i++) await insert(tx, `r${i}`, i % 50 === 0 ? null : `n ${(i * 7919) % 3000}`, { inStock: i % 4 !== 0, lat: 40 + (i % 90) / 10 });
    });
    await db.optimize();
    const plans: { sql: string; params: readonly SqlValue[] }[] = [];
    const reader = db.reader;
    const all = reader.all.bind(reader);
    (reader as { all: typeof reader.all }).all = (sql, params) => {
      if (/ORDER BY[^)]*name_key/u.test(sql) && !sql.includes('LIMIT 1 OFFSET')) plans.push({ sql, params: params ?? [] });
      return all(sql, params);
    };
    const planOf = async (sql: string, params: readonly SqlValue[]): Promise<string> => (await all<{ detail: string }>(`EXPLAIN QUERY PLAN ${sql}`, params))
      .map((p) => p.detail.replace(/ \(.*$/u, '')).join('; ');
    for (const query of [{}, { inStock: true }, { enterprise: 'https://e.example/a' }, { source: 'local' }, { types: [`${DFC_PT_NS}carrot`] },
      { circle: { lat: 45, lon: 1.26, radiusKm: 30 } }] as FederatedQuery[]) {
      plans.length = 0;
      await index.pageRows(query, { key: 'relevance', descending: false }, 30, 10);
      const byOffset = plans[0];
      plans.length = 0;
      const first = await index.pageAfter(query, undefined, 10);
      await index.pageAfter(query, first.next, 10);
      const byKey = plans.at(-1);
      expect(byOffset, JSON.stringify(query)).to.not.equal(undefined);
      expect(byKey, JSON.stringify(query)).to.not.equal(undefined);
      const [offsetPlan, keyPlan] = [await planOf(byOffset!.sql, byOffset!.params), await planOf(byKey!.sql, byKey!.params)];
      // The same index, its range after the key (the part in brackets the plan leaves out here) instead of an offset.
      expect(keyPlan, `${JSON.stringify(query)}: ${keyPlan} against ${offsetPlan}`).to.equal(offsetPlan);
      // A numbered page's range, up to its last key: the same again.
      plans.length = 0;
      const third = await index.pageAfter(query, first.next, 10);
      await index.pageAfter(query, first.next, 10, third.next);
      const through = plans.at(-1);
      expect(through?.sql, JSON.stringify(query)).to.include('<= (?, ?)');
      expect(await planOf(through!.sql, through!.params), JSON.stringify(query)).to.equal(offsetPlan);
    }
  });
});
