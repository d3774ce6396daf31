/**
 * The whole catalogue's summary kept in memory: groups put in and taken out leave exactly the sums of the groups
 * present, distinct producers counted once per slice, and a slice whose last group left is gone.
 */
import { expect } from 'chai';
import { type KeptGroup, SupplyTallies, UNTYPED } from '../../../../server/store/sqlite/supply-tallies.js';

const chains: Record<string, string[]> = { tomato: ['tomato', 'vegetable'], leek: ['leek', 'vegetable'], apple: ['apple', 'fruit'] };
const rollUp = (type: string): string[] => chains[type] ?? [type];

const group = (peerKey: number, productType: string | null, enterpriseIri: string | null, area: string | null, offers: number, inStock = offers): KeptGroup =>
  ({ peerKey, productType, enterpriseIri, area, products: offers, offers, inStock });

describe('SupplyTallies', () => {
  const groups = [
    group(1, 'tomato', 'e:1', '87', 3), group(1, 'leek', 'e:1', '87', 2, 1), group(2, 'apple', 'e:2', '19', 4),
    group(-1, null, 'e:3', null, 1, 0), group(2, 'tomato', null, '19', 5),
  ];

  it('sums the groups by type (rolled up, a producer once), by source (ours as null) and by area', () => {
    const tallies = new SupplyTallies(rollUp, '1');
    for (const g of groups) tallies.apply(g, 1);
    const summary = tallies.summary();
    expect(summary.totals).to.deep.equal({ producers: 3, products: 15, offers: 15, inStock: 13 });
    // e:1 offers tomatoes and leeks: one producer of vegetables; the group without a producer counts no producer.
    expect(summary.byType.get('vegetable')).to.deep.equal({ producers: 1, products: 10, offers: 10, inStock: 9 });
    expect(summary.byType.get(UNTYPED)).to.deep.equal({ producers: 1, products: 1, offers: 1, inStock: 0 });
    expect(summary.bySource.get(null)?.offers).to.equal(1);
    expect([...summary.bySource.keys()].sort()).to.deep.equal([1, 2, null].sort());
    expect(summary.byArea.get(null)?.offers).to.equal(1);
  });

  it('takes groups out to exactly the sums of those left, and forgets the slices left empty', () => {
    const tallies = new SupplyTallies(rollUp, '1');
    for (const g of groups) tallies.apply(g, 1);
    for (const g of [groups[0], groups[2]] as KeptGroup[]) tallies.apply(g, -1);
    const fresh = new SupplyTallies(rollUp, '1');
    for (const g of [groups[1], groups[3], groups[4]] as KeptGroup[]) fresh.apply(g, 1);
    expect(tallies.summary()).to.deep.equal(fresh.summary());
    expect(tallies.summary().byType.has('fruit')).to.equal(false);
    expect(tallies.summary().byType.get('vegetable')?.producers).to.equal(1);
    for (const g of [groups[1], groups[3], groups[4]] as KeptGroup[]) tallies.apply(g, -1);
    const empty = tallies.summary();
    expect(empty.totals).to.deep.equal({ producers: 0, products: 0, offers: 0, inStock: 0 });
    expect([empty.byType.size, empty.bySource.size, empty.byArea.size]).to.deep.equal([0, 0, 0]);
  });
});
