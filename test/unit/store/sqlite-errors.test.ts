import { expect } from 'chai';
import type { NodeId } from '../../../ontology/iri.js';
import type { EnterpriseRecord } from '../../../ontology/records.js';
import { AlreadyExistsError } from '../../../server/store/store.js';
import { SqliteStore, storeErrorOf } from '../../../server/store/sqlite/sqlite-store.js';

const BASE = 'https://node.example';

function enterprise(eid: string): EnterpriseRecord {
  return {
    kind: 'Enterprise', id: `${BASE}/api/dfc/enterprises/${eid}` as NodeId, name: eid,
    supplies: [], manages: [], maintains: [], customerCategories: [], affiliates: [],
  };
}

describe('The SQLite store maps engine errors to the port\'s own', () => {
  let store: SqliteStore;

  beforeEach(async () => {
    store = await SqliteStore.open({ path: ':memory:', baseUrl: BASE });
  });
  afterEach(async () => {
    await store.close();
  });

  // That a taken id or IRI is an AlreadyExistsError is the port's promise, checked by the NodeStore contract;
  // here, only what SQLite adds: the engine's error is the cause, and its code does not leak.
  it('a taken enterprise id is an AlreadyExistsError caused by SQLITE_CONSTRAINT, without its code', async () => {
    const record = enterprise('ferme');
    await store.createEnterprise('ferme', record.id, [record]);
    const error = await store.createEnterprise('ferme', record.id, [record]).then(() => undefined, (e: unknown) => e);
    expect(error).to.be.instanceOf(AlreadyExistsError);
    expect((error as { code?: unknown }).code).to.equal(undefined);
    expect((error as Error).cause).to.have.property('code', 'SQLITE_CONSTRAINT');
  });

  it('storeErrorOf maps SQLITE_CONSTRAINT, keeping the engine\'s message', () => {
    const constraint = Object.assign(new Error('SQLITE_CONSTRAINT: UNIQUE constraint failed: enterprises.iri'), { code: 'SQLITE_CONSTRAINT' });
    const mapped = storeErrorOf(constraint);
    expect(mapped).to.be.instanceOf(AlreadyExistsError);
    expect(mapped).to.include({ message: constraint.message, cause: constraint });
  });

  it('storeErrorOf maps a taken primary key too, and no other broken constraint (a check is no resource that exists)', () => {
    const primary = Object.assign(new Error('SQLITE_CONSTRAINT: PRIMARY KEY constraint failed: resources.iri'), { code: 'SQLITE_CONSTRAINT' });
    expect(storeErrorOf(primary)).to.be.instanceOf(AlreadyExistsError);
    for (const message of ['SQLITE_CONSTRAINT: CHECK constraint failed: abs(initial + restocked - available - reserved - sold) < 1e-6',
      'SQLITE_CONSTRAINT: FOREIGN KEY constraint failed', 'SQLITE_CONSTRAINT: NOT NULL constraint failed: stock.initial']) {
      const broken = Object.assign(new Error(message), { code: 'SQLITE_CONSTRAINT' });
      expect(storeErrorOf(broken), message).to.equal(broken);
    }
  });

  it('storeErrorOf passes any other error through unchanged', () => {
    const other = new Error('disk I/O error');
    expect(storeErrorOf(other)).to.equal(other);
    expect(storeErrorOf(undefined)).to.equal(undefined);
    const busy = Object.assign(new Error('SQLITE_BUSY: database is locked'), { code: 'SQLITE_BUSY' });
    expect(storeErrorOf(busy)).to.equal(busy);
  });
});
