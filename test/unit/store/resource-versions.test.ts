/**
 * What SQLite's migration 8 adds to the versions the port promises (those are checked by the NodeStore
 * contract): a `version` column, which may be NULL for rows written before it or re-based since, read back
 * as the hash of the record.
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NodeId } from '../../../ontology/iri.js';
import type { EnterpriseRecord, SuppliedProductRecord } from '../../../ontology/records.js';
import { MIGRATIONS } from '../../../server/store/sqlite/migrations.js';
import { SqliteStore } from '../../../server/store/sqlite/sqlite-store.js';
import { recordVersion } from '../../../server/store/store.js';
import { readRows } from '../../helpers/sqlite.js';

const enterprise = (base: string): EnterpriseRecord => ({
  kind: 'Enterprise', id: `${base}/api/dfc/enterprises/ferme` as NodeId, name: 'Ferme', supplies: [], manages: [], maintains: [],
  customerCategories: [], affiliates: [],
});
const product = (base: string): SuppliedProductRecord => ({
  kind: 'SuppliedProduct', id: `${base}/api/dfc/enterprises/ferme/supplied_products/tomate` as NodeId, name: 'Tomate', images: [],
  variantOf: [], variants: [], catalogItems: [], suppliedBy: `${base}/api/dfc/enterprises/ferme` as NodeId,
});

describe('Versions of resources in SQLite (migration 8)', () => {
  let folder: string;
  let file: string;

  beforeEach(() => {
    folder = mkdtempSync(join(tmpdir(), 'maillon-versions-'));
    file = join(folder, 'node.db');
  });
  afterEach(() => {
    rmSync(folder, { recursive: true, force: true });
  });

  it('is migration 8', () => {
    expect(MIGRATIONS.find((m) => m.version === 8)?.sql).to.include('ADD COLUMN version');
  });

  it('stores each resource\'s version; a row left without one (re-based) reads back with the hash of its record', async () => {
    const first = await SqliteStore.open({ path: file, baseUrl: 'http://old.test' });
    await first.createEnterprise('ferme', enterprise('http://old.test').id, [enterprise('http://old.test')]);
    await first.apply('ferme', { upsert: [product('http://old.test')] });
    await first.close();
    expect(await readRows(file, 'SELECT version FROM resources WHERE iri = ?', [product('http://old.test').id]))
      .to.deep.equal([{ version: recordVersion(product('http://old.test')) }]);

    const moved = await SqliteStore.open({ path: file, baseUrl: 'http://new.test', rebase: true });
    try {
      expect(await readRows(file, 'SELECT version FROM resources')).to.deep.equal([{ version: null }, { version: null }]);
      const rebased = product('http://new.test');
      const stored = await moved.getResource(rebased.id);
      expect(stored?.record).to.deep.equal(rebased);
      expect(stored?.version).to.equal(recordVersion(rebased));
      expect((await moved.getResources([rebased.id]))[0]?.version).to.equal(recordVersion(rebased));
      expect((await moved.listResources('ferme', ['SuppliedProduct']))[0]?.version).to.equal(recordVersion(rebased));
    } finally {
      await moved.close();
    }
  });
});
