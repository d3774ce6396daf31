/**
 * Point reads by key of one turn of the event loop, made as one statement: each asker gets its own row (or none),
 * a read of a later turn sees what was written since, and a failed statement fails only its own askers.
 */
import { expect } from 'chai';
import { KeyedReads } from '../../../server/store/sqlite/keyed-reads.js';

interface Row {
  readonly key: string;
  readonly value: number;
}

describe('store: keyed reads', () => {
  /** The keys of each statement, in order. */
  let statements: string[][];
  let table: Map<string, number>;
  let failing: Set<string>;
  let reads: KeyedReads<Row>;

  beforeEach(() => {
    statements = [];
    table = new Map([['a', 1], ['b', 2], ['c', 3]]);
    failing = new Set();
    reads = new KeyedReads<Row>(async (keys, marks) => {
      statements.push([...keys]);
      expect(marks).to.equal(keys.map(() => '?').join(','));
      await new Promise((resolve) => setImmediate(resolve));
      if (keys.some((k) => failing.has(k))) throw new Error(`cannot read ${keys.join(' ')}`);
      return keys.flatMap((key) => (table.has(key) ? [{ key, value: table.get(key) as number }] : []));
    }, (row) => row.key);
  });

  it('reads the keys asked in one turn in one statement, each asker getting its own row or none', async () => {
    const [a, b, again, none] = await Promise.all([reads.get('a'), reads.get('b'), reads.get('a'), reads.get('zz')]);
    expect(statements).to.deep.equal([['a', 'b', 'zz']]);
    expect([a?.value, b?.value, again?.value, none]).to.deep.equal([1, 2, 1, undefined]);
  });

  it('reads again in a later turn, and sees what was written since', async () => {
    expect((await reads.get('c'))?.value).to.equal(3);
    table.set('c', 30);
    table.delete('a');
    expect((await reads.get('c'))?.value).to.equal(30);
    expect(await reads.get('a')).to.equal(undefined);
    expect(statements).to.deep.equal([['c'], ['c'], ['a']]);
  });

  it('gives every row of a key that is not unique, in the statement\'s order', async () => {
    const many = new KeyedReads<Row>(async (keys) => keys.flatMap((key) => [{ key, value: 1 }, { key: 'other', value: 9 }, { key, value: 2 }]), (row) => row.key);
    const [rows, first, none] = await Promise.all([many.all('x'), many.get('x'), many.all('y')]);
    expect(rows.map((r) => r.value)).to.deep.equal([1, 2]);
    expect(first?.value).to.equal(1);
    expect(none.map((r) => r.value)).to.deep.equal([1, 2]);
    expect(await new KeyedReads<Row>(async () => [], (row) => row.key).all('z')).to.deep.equal([]);
  });

  it('reads at most 99 keys a statement, and a failed statement fails only its own askers', async () => {
    const keys = Array.from({ length: 150 }, (_v, i) => `k${i}`);
    failing.add('k120');
    const outcomes = await Promise.allSettled(keys.map((k) => reads.get(k)));
    expect(statements.map((s) => s.length)).to.deep.equal([99, 51]);
    expect(outcomes.slice(0, 99).every((o) => o.status === 'fulfilled' && o.value === undefined)).to.equal(true);
    expect(outcomes.slice(99).every((o) => o.status === 'rejected' && (o.reason as Error).message.startsWith('cannot read'))).to.equal(true);
    // The next turn's reads are not affected.
    expect((await reads.get('b'))?.value).to.equal(2);
  });
});
