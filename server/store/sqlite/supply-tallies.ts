/**
 * The whole catalogue's supply summary kept in memory, and brought up to date from the groups of the sources that
 * changed (`federated_supply_groups`), instead of summed again over every kept group after each change.
 *
 * A national index keeps some 55,000 groups; summing them in SQL after a sync that changed one peer costs hundreds
 * of milliseconds (distinct producers over text IRIs, five times). A change replaces a few dozen groups: taking the
 * old ones out and putting the new ones in is a few hundred map operations. Distinct producers are counted exactly:
 * each tally counts how many of its groups name each producer, and a producer counts while that is above zero.
 *
 * Pure: no SQL here. {@link SqliteFederatedIndex} feeds it the groups and says when they changed.
 *
 * @packageDocumentation
 */

import type { SupplyCount, SupplySummary } from '../federation.js';

/** The product type of the groups that have none, in summaries (as the SQL summary and the service say it). */
export const UNTYPED = '(untyped)';

/** One kept group of `federated_supply_groups`, as the tallies read it. */
export interface KeptGroup {
  /** The peer id, or -1 for this node's own enterprises. */
  readonly peerKey: number;
  readonly productType: string | null;
  readonly enterpriseIri: string | null;
  readonly area: string | null;
  readonly products: number;
  readonly offers: number;
  readonly inStock: number;
}

/** The sums of one slice (a type, a source, an area, or the whole), kept as groups come and go. */
class Tally {
  /** How many groups are summed here: at zero the slice is gone (SQL would not list it). */
  public groups = 0;
  public products = 0;
  public offers = 0;
  public inStock = 0;
  /** Producer number → how many of this slice's groups name it. */
  private readonly producers = new Map<number, number>();

  public add(producer: number, group: KeptGroup, sign: 1 | -1): void {
    this.groups += sign;
    this.products += sign * group.products;
    this.offers += sign * group.offers;
    this.inStock += sign * group.inStock;
    if (producer < 0) return;
    const held = (this.producers.get(producer) ?? 0) + sign;
    if (held === 0) this.producers.delete(producer);
    else this.producers.set(producer, held);
  }

  public count(): SupplyCount {
    return { producers: this.producers.size, products: this.products, offers: this.offers, inStock: this.inStock };
  }
}

/**
 * The supply summary of the whole catalogue (totals, by rolled-up type, by source, by area), kept for one roll-up of
 * the types and one version of the kept groups.
 */
export class SupplyTallies {
  private readonly totals = new Tally();
  private readonly byType = new Map<string, Tally>();
  private readonly bySource = new Map<number, Tally>();
  private readonly byArea = new Map<string | null, Tally>();
  /** Producer IRI → a small number (compared and hashed once). */
  private readonly producerIds = new Map<string, number>();
  /** Each type's tallies (its own and every broader type's), found once. */
  private readonly typeTallies = new Map<string | null, string[]>();

  /**
   * @param rollUp - a product type and every broader type it counts under (the service's, per taxonomy)
   * @param version - the version of the kept groups summed here (`supply_version` in `meta`)
   */
  public constructor(public readonly rollUp: (type: string) => readonly string[], public version: string) {}

  /**
   * Adds a group to every slice it counts in, or takes it out (`sign` -1) of them.
   *
   * @param group - a kept group, exactly as it is (or was) in `federated_supply_groups`
   * @param sign - 1 to add it, -1 to take it out
   */
  public apply(group: KeptGroup, sign: 1 | -1): void {
    let producer = -1;
    if (group.enterpriseIri !== null) {
      producer = this.producerIds.get(group.enterpriseIri) ?? this.producerIds.size;
      if (producer === this.producerIds.size) this.producerIds.set(group.enterpriseIri, producer);
    }
    this.totals.add(producer, group, sign);
    let chain = this.typeTallies.get(group.productType);
    if (chain === undefined) {
      chain = group.productType === null ? [UNTYPED] : [...this.rollUp(group.productType)];
      this.typeTallies.set(group.productType, chain);
    }
    for (const type of chain) slice(this.byType, type).add(producer, group, sign);
    slice(this.bySource, group.peerKey).add(producer, group, sign);
    slice(this.byArea, group.area).add(producer, group, sign);
    if (sign < 0) {
      for (const type of chain) forgetEmpty(this.byType, type);
      forgetEmpty(this.bySource, group.peerKey);
      forgetEmpty(this.byArea, group.area);
    }
  }

  /** The summary, as {@link SqliteFederatedIndex.supplySummary} answers it. */
  public summary(): SupplySummary {
    const counts = <K>(tallies: Map<K, Tally>): Map<K, SupplyCount> => new Map([...tallies].map(([key, t]) => [key, t.count()]));
    return {
      totals: this.totals.count(),
      byType: counts(this.byType),
      bySource: new Map([...this.bySource].map(([key, t]) => [key === -1 ? null : key, t.count()])),
      byArea: counts(this.byArea),
    };
  }
}

/** A slice's tally, made when it has none. */
function slice<K>(tallies: Map<K, Tally>, key: K): Tally {
  let tally = tallies.get(key);
  if (tally === undefined) {
    tally = new Tally();
    tallies.set(key, tally);
  }
  return tally;
}

/** Forgets a slice whose last group was taken out. */
function forgetEmpty<K>(tallies: Map<K, Tally>, key: K): void {
  if (tallies.get(key)?.groups === 0) tallies.delete(key);
}
