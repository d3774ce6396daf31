/**
 * Every foreign key of the schema can be followed from its parent without reading the child table: SQLite looks
 * the children up on each delete of a parent row (and each rewrite of its key), and without an index on the child
 * columns that look-up reads the whole table. Removing one peer of a million federated rows took seconds of the
 * writer's lock that way.
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore } from '../../../../server/store/sqlite/sqlite-store.js';
import { readRows } from '../../../helpers/sqlite.js';

type ForeignKey = { id: number; seq: number; table: string; from: string };
type IndexListRow = { name: string; partial: number };
type ColumnRow = { name: string; type: string; pk: number };

describe('store: foreign keys', () => {
  let dir: string;
  let file: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'maillon-foreign-keys-'));
    file = join(dir, 'node.db');
    const store = await SqliteStore.open({ path: file, baseUrl: 'http://node.test' });
    await store.close();
  });

  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('each one leads an index of its table (or is the rowid), so a cascade seeks its rows', async () => {
    const tables = (await readRows<{ name: string }>(file, "SELECT name FROM sqlite_master WHERE type = 'table' AND sql NOT LIKE 'CREATE VIRTUAL%'"))
      .map((t) => t.name);
    const unindexed: string[] = [];
    let keys = 0;
    for (const table of tables) {
      const byId = new Map<number, string[]>();
      for (const fk of await readRows<ForeignKey>(file, `SELECT * FROM pragma_foreign_key_list('${table}') ORDER BY id, seq`)) {
        byId.set(fk.id, [...(byId.get(fk.id) ?? []), fk.from]);
      }
      if (byId.size === 0) continue;
      // The columns each index (a partial one serves only its own rows) and an INTEGER PRIMARY KEY, the rowid, leads.
      const leads: string[][] = [];
      for (const index of await readRows<IndexListRow>(file, `SELECT * FROM pragma_index_list('${table}')`)) {
        if (index.partial === 1) continue;
        leads.push((await readRows<{ name: string }>(file, `SELECT name FROM pragma_index_info('${index.name}') ORDER BY seqno`)).map((c) => c.name));
      }
      const columns = await readRows<ColumnRow>(file, `SELECT * FROM pragma_table_info('${table}')`);
      const primary = columns.filter((c) => c.pk > 0);
      if (primary.length === 1 && primary[0]?.type.toUpperCase() === 'INTEGER') leads.push([primary[0].name]);
      for (const from of byId.values()) {
        keys++;
        if (!leads.some((lead) => from.every((column, i) => lead[i] === column))) unindexed.push(`${table} (${from.join(', ')})`);
      }
    }
    expect(keys, 'foreign keys were found').to.be.at.least(10);
    expect(unindexed).to.deep.equal([]);
  });
});
