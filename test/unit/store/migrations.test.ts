/**
 * Upgrades: migrations run at start, each in one transaction (a failing one leaves the database at the version
 * before it), and a database written by a newer Maillon is refused, before any write, with a clear message.
 */
import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sqlite3 from 'sqlite3';
import { SqliteDatabase } from '../../../server/store/sqlite/database.js';
import { migrate, MIGRATIONS, SCHEMA_VERSION, SchemaTooNewError } from '../../../server/store/sqlite/migrations.js';
import { DIRECTORY_SQL, SqliteFederatedIndex } from '../../../server/store/sqlite/federated-index.js';
import { SqliteStore } from '../../../server/store/sqlite/sqlite-store.js';
import { readRows } from '../../helpers/sqlite.js';

/** Runs statements on a file through a connection of the test's own (not the store's). */
function execOn(file: string, sql: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const db = new sqlite3.Database(file, (openError: Error | null) => {
      if (openError !== null) {
        reject(openError);
        return;
      }
      db.exec(sql, (error: Error | null) => db.close(() => (error !== null ? reject(error) : resolve())));
    });
  });
}

function digest(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

describe('migrations', () => {
  let folder: string;
  let file: string;

  beforeEach(() => {
    folder = mkdtempSync(join(tmpdir(), 'maillon-migrations-'));
    file = join(folder, 'node.db');
  });
  afterEach(() => rmSync(folder, { recursive: true, force: true }));

  it('knows its schema version: the last migration', () => {
    expect(SCHEMA_VERSION).to.equal(MIGRATIONS[MIGRATIONS.length - 1]?.version);
  });

  it('finds a run\'s staged owl:sameAs targets through an index of those rows only (migration 21), not by reading the run', async () => {
    const store = await SqliteStore.open({ path: file, baseUrl: 'http://node.test' });
    await store.close();
    const plan = await readRows<{ detail: string }>(file,
      'EXPLAIN QUERY PLAN SELECT s.iri, t.value FROM sync_staging s, json_each(s.same_as) t WHERE s.run_id = ? AND s.same_as IS NOT NULL', [1]);
    expect(plan.map((p) => p.detail).join('; ')).to.match(/SEARCH s USING INDEX sync_staging_same_as \(run_id=\?\)/u);
  });

  it('retires the ids of listings removed before migration 24 (their withdrawals in the feed), and of every listing removed after', async () => {
    const db = await SqliteDatabase.open(file);
    try {
      await migrate(db, MIGRATIONS.filter((m) => m.version < 24));
      const api = 'http://node.test/api/dfc/enterprises/shop';
      await db.transaction(async (tx) => {
        await tx.run("INSERT INTO enterprises (eid, iri, name, created_at, updated_at) VALUES ('shop', ?, 'Shop', 'then', 'then')", [api]);
        for (const [iri, action] of [[`${api}/catalog_items/listing-old`, 'delete'], [`${api}/offers/listing-old`, 'delete'], [`${api}/catalog_items/tomate`, 'delete'],
          [`${api}/catalog_items/listing-kept`, 'create']]) {
          await tx.run("INSERT INTO feed_events (eid, iri, kind, action, at) VALUES ('shop', ?, 'CatalogItem', ?, 'then')", [iri as string, action as string]);
        }
      });
      expect(await migrate(db)).to.deep.equal(MIGRATIONS.filter((m) => m.version >= 24).map((m) => m.version));
      const retired = async () => (await db.reader.all<{ iri: string }>('SELECT iri FROM retired_listing_iris ORDER BY iri')).map((r) => r.iri);
      expect(await retired()).to.deep.equal([`${api}/catalog_items/listing-old`, `${api}/offers/listing-old`]);
      await db.transaction(async (tx) => {
        await tx.run(`INSERT INTO listings (eid, item_iri, offer_iri, product_iri, origin_item, origin_product, origin_orders, created_at)
          VALUES ('shop', ?, ?, ?, 'http://a.test/i', 'http://a.test/p', 'http://a.test/orders', 'now')`, [`${api}/catalog_items/listing-x`, `${api}/offers/listing-x`, `${api}/supplied_products/listing-x`]);
        await tx.run('DELETE FROM listings');
      });
      expect(await retired()).to.include.members([`${api}/catalog_items/listing-x`, `${api}/offers/listing-x`, `${api}/supplied_products/listing-x`]);
    } finally {
      await db.close();
    }
  });

  it('numbers, from migration 37, a new peer past the highest id in use when it ran, and past every id removed after', async () => {
    const db = await SqliteDatabase.open(file);
    try {
      await migrate(db, MIGRATIONS.filter((m) => m.version < 37));
      await db.transaction(async (tx) => {
        for (const id of [1, 5]) {
          await tx.run("INSERT INTO peers (id, name, url, origin, created_at) VALUES (?, ?, ?, 'https://a.example', 'then')", [id, `p${id}`, `https://a.example/${id}`]);
        }
      });
      expect(await migrate(db)).to.deep.equal(MIGRATIONS.filter((m) => m.version >= 37).map((m) => m.version));
      expect(await db.reader.get("SELECT value FROM meta WHERE key = 'peer_id'")).to.deep.equal({ value: '5' });
      await db.transaction((tx) => tx.run('DELETE FROM peers WHERE id = 1'));
      expect(await db.reader.get("SELECT value FROM meta WHERE key = 'peer_id'")).to.deep.equal({ value: '5' });
    } finally {
      await db.close();
    }
  });

  it('finds, from migration 39, a peer\'s enterprises and the sources and ranks of the rows naming them from indexes alone, keeping the rows', async () => {
    const db = await SqliteDatabase.open(file);
    try {
      await migrate(db, MIGRATIONS.filter((m) => m.version < 39));
      const farm = 'https://a.example/enterprises/1';
      await db.transaction(async (tx) => {
        await tx.run("INSERT INTO peers (id, name, url, origin, created_at) VALUES (1, 'a', 'https://a.example/', 'https://a.example', 'then')");
        await tx.run(`INSERT INTO peer_resources (peer_id, iri, kind, record, hash, authoritative, source_url, first_seen_at, updated_at)
          VALUES (1, ?, 'Enterprise', '{}', 'h', 1, 'https://a.example/', 'then', 'then')`, [farm]);
        await tx.run(`INSERT INTO federated_entries (source, item_iri, product_iri, product_key, enterprise_iri, peer_id, rank, in_stock, enterprise_name,
          enterprise_rank) VALUES ('peer:1', 'https://a.example/items/1', 'https://a.example/products/1', 'https://a.example/products/1', ?, 1, 1, 1, 'Farm', 1)`, [farm]);
      });
      expect(await migrate(db)).to.deep.equal(MIGRATIONS.filter((m) => m.version >= 39).map((m) => m.version));
      const plan = async (sql: string, params: (string | number)[]): Promise<string> =>
        (await db.reader.all<{ detail: string }>(`EXPLAIN QUERY PLAN ${sql}`, params)).map((r) => r.detail).join('; ');
      // What peerDependents reads after each snapshot: neither the peer's records nor its rows of the index.
      expect(await plan("SELECT iri FROM peer_resources INDEXED BY peer_resources_enterprises WHERE peer_id = ? AND kind = 'Enterprise' AND authoritative = 1", [1]))
        .to.include('peer_resources_enterprises');
      expect(await plan(`SELECT count(*) FROM federated_entries INDEXED BY federated_by_enterprise
        WHERE peer_id <> ? AND enterprise_iri = ? AND enterprise_rank >= 1`, [1, farm])).to.include('USING COVERING INDEX federated_by_enterprise');
      expect(await db.reader.all('SELECT enterprise_iri, enterprise_name, enterprise_rank, peer_id FROM federated_entries INDEXED BY federated_by_enterprise'))
        .to.deep.equal([{ enterprise_iri: farm, enterprise_name: 'Farm', enterprise_rank: 1, peer_id: 1 }]);
    } finally {
      await db.close();
    }
  });

  it('drops, at migration 43, the two indexes no query needs any more, and keeps each source\'s supply in stock and out of it', async () => {
    const db = await SqliteDatabase.open(file);
    try {
      await migrate(db, MIGRATIONS.filter((m) => m.version < 43));
      const farm = 'https://a.example/enterprises/1';
      await db.transaction(async (tx) => {
        await tx.run("INSERT INTO peers (id, name, url, origin, created_at) VALUES (1, 'a', 'https://a.example/', 'https://a.example', 'then')");
        for (const [n, inStock, offer] of [[1, 1, 1], [2, 0, 1], [3, 1, 1], [4, 0, 0]] as const) {
          await tx.run(`INSERT INTO federated_entries (source, item_iri, product_iri, product_key, offer_iri, enterprise_iri, peer_id, rank, winner,
            in_stock, postcode, latitude, longitude) VALUES ('peer:1', ?, ?, ?, ?, ?, 1, 1, 1, ?, '87000', 45.8, 1.2)`,
          [`https://a.example/items/${n}`, `https://a.example/products/${n}`, `https://a.example/products/${n}`, offer === 1 ? `https://a.example/offers/${n}` : null,
            farm, inStock]);
        }
      });
      // The groups as the version before kept them (computed at its first summary).
      const groups = await db.transaction(async (tx) => {
        await tx.run(`INSERT INTO federated_supply_groups (peer_key, product_type, enterprise_iri, postcode, area, products, offers, in_stock, lat, lon)
          VALUES (1, NULL, ?, '87000', '87', 4, 3, 2, 45.8, 1.2)`, [farm]);
        await tx.run('DELETE FROM federated_supply_dirty');
        return tx.all('SELECT * FROM federated_supply_groups');
      });
      expect(groups).to.have.length(1);
      expect(await migrate(db, MIGRATIONS.filter((m) => m.version <= 43))).to.deep.equal([43]);
      const indexes = (await db.reader.all<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'federated_entries'")).map((r) => r.name);
      expect(indexes).to.not.include('federated_supply');
      expect(indexes).to.not.include('federated_by_place');
      expect(indexes).to.not.include('federated_listed_enterprises');
      expect(indexes).to.include('federated_listed_by_cell');
      const columns = async (name: string): Promise<string[]> => (await db.reader.all<{ name: string }>(`SELECT name FROM pragma_index_info('${name}')`)).map((c) => c.name);
      expect(await columns('federated_by_enterprise')).to.deep.equal(['enterprise_iri', 'enterprise_rank', 'peer_id', 'enterprise_name', 'city', 'postcode',
        'latitude', 'longitude', 'winner', 'withdrawn']);
      // Every source is computed again before the next summary: the kept counts in stock and out of it are the rows'.
      expect((await db.reader.all<{ peer_key: number }>('SELECT peer_key FROM federated_supply_dirty ORDER BY peer_key')).map((r) => r.peer_key)).to.deep.equal([-1, 1]);
      const index = new SqliteFederatedIndex(db);
      const counts = async (inStock?: boolean): Promise<unknown> => (await index.supplyGroups(inStock === undefined ? {} : { inStock }))
        .map((g) => [g.products, g.offers, g.inStock]);
      expect(await counts(true)).to.deep.equal([[2, 2, 2]]);
      expect(await counts(false)).to.deep.equal([[2, 1, 0]]);
      expect(await counts()).to.deep.equal([[4, 3, 2]]);
      // A type's rows in rowid order (a text's type label) are read from its index alone: by the type's IRI, not the
      // virtual type_key, whose value SQLite computes from the row.
      const plan = (await db.transaction((tx) => tx.all<{ detail: string }>(`EXPLAIN QUERY PLAN SELECT rowid FROM federated_entries
        WHERE winner = 1 AND withdrawn = 0 AND product_type = ? ORDER BY rowid LIMIT 10`, ['x']))).map((r) => r.detail).join('; ');
      expect(plan).to.include('COVERING INDEX federated_listed_by_type');
    } finally {
      await db.close();
    }
  });

  it('keeps every ledger through migration 28, restocks it exactly, and checks its invariant to its counters\' precision', async () => {
    const db = await SqliteDatabase.open(file);
    try {
      await migrate(db, MIGRATIONS.filter((m) => m.version < 28));
      const api = 'http://node.test/api/dfc/enterprises/ferme';
      const item = (n: number, stock: number) => JSON.stringify({ kind: 'CatalogItem', id: `${api}/catalog_items/${n}`, stock, offers: [], listedIn: [] });
      const write = async (n: number, stock: number, insert = false) => db.transaction(async (tx) => {
        if (insert) await tx.run("INSERT INTO resources (iri, eid, kind, record, created_at, updated_at) VALUES (?, 'ferme', 'CatalogItem', ?, 'then', 'then')", [`${api}/catalog_items/${n}`, item(n, stock)]);
        else await tx.run('UPDATE resources SET record = ? WHERE iri = ?', [item(n, stock), `${api}/catalog_items/${n}`]);
      });
      await db.transaction(async (tx) => {
        await tx.run("INSERT INTO enterprises (eid, iri, name, created_at, updated_at) VALUES ('ferme', ?, 'Ferme', 'then', 'then')", [api]);
      });
      await write(1, 12, true);
      await db.transaction(async (tx) => {
        await tx.run('UPDATE stock SET available = 9.5, reserved = 2, sold = 0.5 WHERE item_iri = ?', [`${api}/catalog_items/1`]);
      });
      expect(await migrate(db)).to.deep.equal(MIGRATIONS.filter((m) => m.version >= 28).map((m) => m.version));
      const ledger = async (n: number) => db.reader.get<Record<string, number>>('SELECT initial, restocked, available, reserved, sold FROM stock WHERE item_iri = ?', [`${api}/catalog_items/${n}`]);
      expect(await ledger(1)).to.deep.equal({ initial: 12, restocked: 0, available: 9.5, reserved: 2, sold: 0.5 });
      // Restocked at 10^9 and sold over and over (as a 500 did in its fifth round), exact in millionths.
      await write(2, 1e9, true);
      for (let round = 0; round < 8; round++) {
        await db.transaction(async (tx) => {
          await tx.run('UPDATE stock SET available = available - 999999999.999, sold = sold + 999999999.999 WHERE item_iri = ?', [`${api}/catalog_items/2`]);
        });
        await write(2, 1e9);
      }
      const big = await ledger(2);
      expect(big?.['available']).to.equal(1e9);
      expect(big?.['restocked']).to.equal(7999999999.992);
      // A unit lost is still refused, at 12 units as at 10^9.
      for (const n of [1, 2]) {
        let refused: unknown;
        await db.transaction(async (tx) => tx.run('UPDATE stock SET available = available - 1 WHERE item_iri = ?', [`${api}/catalog_items/${n}`])).catch((error: unknown) => { refused = error; });
        expect(String(refused), String(n)).to.match(/CHECK constraint failed/u);
      }
    } finally {
      await db.close();
    }
  });

  it('takes out of stock, at migration 29, the rows without an offer, and marks their sources for a new summary', async () => {
    const db = await SqliteDatabase.open(file);
    try {
      await migrate(db, MIGRATIONS.filter((m) => m.version < 29));
      await db.transaction(async (tx) => {
        for (const [n, offer] of [[1, 'http://p.test/o/1'], [2, null]] as const) {
          await tx.run(`INSERT INTO federated_entries (source, item_iri, product_iri, product_key, offer_iri, rank, winner, in_stock, withdrawn)
            VALUES ('local', ?, ?, ?, ?, 0, 1, 1, 0)`, [`http://p.test/i/${n}`, `http://p.test/p/${n}`, `http://p.test/p/${n}`, offer]);
        }
        await tx.run('DELETE FROM federated_supply_dirty');
      });
      expect(await migrate(db)).to.deep.equal(MIGRATIONS.filter((m) => m.version >= 29).map((m) => m.version));
      const rows = await db.reader.all<{ item_iri: string; in_stock: number }>('SELECT item_iri, in_stock FROM federated_entries ORDER BY item_iri');
      expect(rows).to.deep.equal([{ item_iri: 'http://p.test/i/1', in_stock: 1 }, { item_iri: 'http://p.test/i/2', in_stock: 0 }]);
      expect(await db.reader.all('SELECT peer_key FROM federated_supply_dirty')).to.deep.equal([{ peer_key: -1 }]);
    } finally {
      await db.close();
    }
  });

  it('counts, at migration 30, what an on-demand item holds as reserved on demand, and nothing for an item that counts its stock', async () => {
    const db = await SqliteDatabase.open(file);
    try {
      await migrate(db, MIGRATIONS.filter((m) => m.version < 30));
      await db.transaction(async (tx) => {
        await tx.run("INSERT INTO enterprises (eid, iri, name, version, created_at, updated_at) VALUES ('e', 'http://n.test/e', 'e', 1, '', '')");
        for (const [n, onDemand, reserved] of [[1, 1, 7], [2, 0, 3]] as const) {
          await tx.run('INSERT INTO stock (item_iri, eid, on_demand, initial, restocked, available, reserved, sold) VALUES (?, \'e\', ?, ?, ?, 0, ?, 0)',
            [`http://n.test/i/${n}`, onDemand, onDemand === 1 ? 0 : reserved, onDemand === 1 ? reserved : 0, reserved]);
        }
      });
      expect(await migrate(db)).to.deep.equal(MIGRATIONS.filter((m) => m.version >= 30).map((m) => m.version));
      expect(await db.reader.all('SELECT item_iri, held_on_demand FROM stock ORDER BY item_iri')).to.deep.equal([
        { item_iri: 'http://n.test/i/1', held_on_demand: 7 }, { item_iri: 'http://n.test/i/2', held_on_demand: 0 },
      ]);
    } finally {
      await db.close();
    }
  });

  it('gives, at migration 31, each feed version its enterprise\'s privacy, and each new version its enterprise\'s when written', async () => {
    const db = await SqliteDatabase.open(file);
    try {
      await migrate(db, MIGRATIONS.filter((m) => m.version < 31));
      const item = (eid: string) => JSON.stringify({ kind: 'CatalogItem', id: `http://n.test/${eid}/i`, stock: 1, offers: [], listedIn: [] });
      await db.transaction(async (tx) => {
        for (const [eid, hidden] of [['open', 0], ['closed', 1]] as const) {
          await tx.run('INSERT INTO enterprises (eid, iri, name, private, version, created_at, updated_at) VALUES (?, ?, ?, ?, 1, \'\', \'\')',
            [eid, `http://n.test/${eid}`, eid, hidden]);
          await tx.run("INSERT INTO resources (iri, eid, kind, record, created_at, updated_at) VALUES (?, ?, 'CatalogItem', ?, 'then', 'then')",
            [`http://n.test/${eid}/i`, eid, item(eid)]);
        }
      });
      expect(await migrate(db)).to.deep.equal(MIGRATIONS.filter((m) => m.version >= 31).map((m) => m.version));
      const privacy = async () => db.reader.all<{ eid: string; action: string; private: number }>('SELECT eid, action, private FROM feed_events ORDER BY seq');
      expect(await privacy()).to.deep.equal([{ eid: 'open', action: 'create', private: 0 }, { eid: 'closed', action: 'create', private: 1 }]);
      // Written from now on: the enterprise's privacy at the time, whatever it becomes.
      await db.transaction(async (tx) => {
        await tx.run("DELETE FROM resources WHERE eid = 'open'");
        await tx.run("UPDATE enterprises SET private = 1 WHERE eid = 'open'");
        await tx.run("INSERT INTO resources (iri, eid, kind, record, created_at, updated_at) VALUES ('http://n.test/open/j', 'open', 'CatalogItem', ?, 'now', 'now')", [item('open')]);
        await tx.run("UPDATE resources SET record = json_set(record, '$.stock', 2) WHERE eid = 'closed'");
      });
      expect((await privacy()).slice(2)).to.deep.equal([
        { eid: 'open', action: 'delete', private: 0 }, { eid: 'open', action: 'create', private: 1 }, { eid: 'closed', action: 'update', private: 1 },
      ]);
    } finally {
      await db.close();
    }
  });

  it('rebuilds, at migration 32, the full-text index of rows from before migration 12, which FTS5 called corrupt on their first change', async () => {
    const db = await SqliteDatabase.open(file);
    try {
      await migrate(db, MIGRATIONS.filter((m) => m.version < 12));
      await db.transaction(async (tx) => {
        for (const n of [1, 2]) {
          await tx.run(`INSERT INTO federated_entries (source, item_iri, product_iri, product_key, rank, winner, in_stock, name, search)
            VALUES ('local', ?, ?, ?, 0, 1, 1, 'Poireaux', 'poireaux')`, [`http://p.test/i/${n}`, `http://p.test/p/${n}`, `http://p.test/p/${n}`]);
        }
      });
      // Up to 31, as an upgraded database was until now: the rows are not in the index.
      await migrate(db, MIGRATIONS.filter((m) => m.version < 32));
      let failed: unknown;
      await db.transaction((tx) => tx.run("UPDATE federated_entries SET search = 'poireaux' WHERE item_iri = 'http://p.test/i/1'")).catch((error: unknown) => (failed = error));
      expect(String(failed), 'the index as migration 12 left it').to.match(/SQLITE_CORRUPT/u);
      expect(await migrate(db)).to.deep.equal(MIGRATIONS.filter((m) => m.version >= 32).map((m) => m.version));
      await db.transaction(async (tx) => {
        await tx.run("UPDATE federated_entries SET search = 'poireaux de pays' WHERE item_iri = 'http://p.test/i/2'");
        await tx.run("DELETE FROM federated_entries WHERE item_iri = 'http://p.test/i/1'");
      });
      const found = await db.reader.all<{ item_iri: string }>(`SELECT f.item_iri FROM federated_search s JOIN federated_entries f ON f.rowid = s.rowid
        WHERE federated_search MATCH 'pays'`);
      expect(found).to.deep.equal([{ item_iri: 'http://p.test/i/2' }]);
    } finally {
      await db.close();
    }
  });

  it('reads each listed enterprise\'s best word from the covering index of migration 25 alone, without a sort', async () => {
    const store = await SqliteStore.open({ path: file, baseUrl: 'http://node.test' });
    await store.close();
    const plan = (await readRows<{ detail: string }>(file, `EXPLAIN QUERY PLAN ${DIRECTORY_SQL}`)).map((p) => p.detail).join('; ');
    expect(plan).to.match(/USING COVERING INDEX federated_by_enterprise/u);
    expect(plan).to.not.match(/TEMP B-TREE/u);
  });

  it('refuses a database written by a newer Maillon, with a clear message, and writes nothing to it', async () => {
    const store = await SqliteStore.open({ path: file, baseUrl: 'http://node.test' });
    await store.close();
    const newer = SCHEMA_VERSION + 1;
    await execOn(file, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (${newer}, 'from the future', 'later');
      CREATE TABLE future_things (id INTEGER PRIMARY KEY)`);
    expect(existsSync(`${file}-wal`)).to.equal(false);
    const before = digest(file);
    let refused: unknown;
    try {
      const opened = await SqliteStore.open({ path: file, baseUrl: 'http://other.test', rebase: true });
      await opened.close();
    } catch (error: unknown) {
      refused = error;
    }
    expect(refused).to.be.instanceOf(SchemaTooNewError);
    expect((refused as Error).message).to.equal(`${file}: this database was written by a newer Maillon (schema ${newer}, this version knows `
      + `up to ${SCHEMA_VERSION}); upgrade Maillon or restore a backup`);
    // Not one byte changed, and no write-ahead log was started.
    expect(digest(file)).to.equal(before);
    expect(existsSync(`${file}-wal`) ? readFileSync(`${file}-wal`).length : 0).to.equal(0);
    const meta = await readRows<{ value: string }>(file, "SELECT value FROM meta WHERE key = 'base_url'");
    expect(meta).to.deep.equal([{ value: 'http://node.test' }]);
  });

  it('migrate() refuses a newer database too, whoever opened it', async () => {
    const db = await SqliteDatabase.open(file);
    try {
      await migrate(db);
      await db.transaction((tx) => tx.run("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, 'x', 'y')", [SCHEMA_VERSION + 5]));
      let refused: unknown;
      await migrate(db).catch((error: unknown) => {
        refused = error;
      });
      expect(refused).to.be.instanceOf(SchemaTooNewError);
      expect((refused as SchemaTooNewError).found).to.equal(SCHEMA_VERSION + 5);
      expect((refused as SchemaTooNewError).known).to.equal(SCHEMA_VERSION);
    } finally {
      await db.close();
    }
  });

  it('runs each migration in one transaction: one that fails leaves the database at the version before it', async () => {
    const db = await SqliteDatabase.open(file);
    try {
      expect(await migrate(db)).to.deep.equal(MIGRATIONS.map((m) => m.version));
      const next = SCHEMA_VERSION + 1;
      const failing = {
        version: next, name: 'fails half way',
        // The first two statements work; the third fails: none of them may stay.
        sql: `CREATE TABLE half_done (id INTEGER PRIMARY KEY);
          UPDATE meta SET value = 'changed' WHERE key = 'stream_id';
          INSERT INTO no_such_table VALUES (1);`,
      };
      const streamBefore = await db.reader.get<{ value: string }>("SELECT value FROM meta WHERE key = 'stream_id'");
      let failed: unknown;
      await migrate(db, [...MIGRATIONS, failing]).catch((error: unknown) => {
        failed = error;
      });
      expect(String(failed)).to.match(/no such table: no_such_table/u);
      expect(await db.reader.get("SELECT name FROM sqlite_master WHERE name = 'half_done'")).to.equal(undefined);
      expect(await db.reader.get<{ value: string }>("SELECT value FROM meta WHERE key = 'stream_id'")).to.deep.equal(streamBefore);
      expect(await db.reader.get<{ version: number }>('SELECT max(version) AS version FROM schema_migrations')).to.deep.equal({ version: SCHEMA_VERSION });
      // The database still works, and the fixed migration applies on the next start.
      const fixed = { ...failing, sql: 'CREATE TABLE half_done (id INTEGER PRIMARY KEY);' };
      expect(await migrate(db, [...MIGRATIONS, fixed])).to.deep.equal([next]);
      expect(await db.reader.get("SELECT name FROM sqlite_master WHERE name = 'half_done'")).to.deep.equal({ name: 'half_done' });
    } finally {
      await db.close();
    }
  });

  it('a store opens a database of an older version and brings it up to date at start', async () => {
    const db = await SqliteDatabase.open(file);
    await migrate(db, MIGRATIONS.slice(0, 5));
    await db.close();
    const store = await SqliteStore.open({ path: file, baseUrl: 'http://node.test' });
    await store.close();
    const applied = await readRows<{ version: number }>(file, 'SELECT version FROM schema_migrations ORDER BY version');
    expect(applied.map((r) => r.version)).to.deep.equal(MIGRATIONS.map((m) => m.version));
  });
});
