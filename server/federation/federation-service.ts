/**
 * The federated catalogue: our own enterprises and every peer's, merged, queried by product type (with its
 * narrower types), text, place, stock, enterprise and source, and summarised for a local authority.
 *
 * @packageDocumentation
 */
import { foldedWords } from '../../ontology/fold.js';
import type { DfcRecord } from '../../ontology/records.js';
import type { Taxonomy } from '../../ontology/taxonomy.js';
import { CURRENCY_CODES } from '../../ontology/units.js';
import { DFC_M_NS, DFC_PT_NS } from '../../ontology/vocabulary.js';
import { shortName } from '../codec/compact.js';
import { BadRequestHttpError, ConflictHttpError } from '../errors/http-error.js';
import type { EnterpriseRow } from '../store/store.js';
import {
  haversineKm, type CatalogueKey, type FederatedIndex, type FederatedMatch, type FederatedQuery, type FederatedRow, type IdentityLink, type PlaceRow, type ProducerRow,
  type RowKey, type RowOrder, type SourcedPoint, type SupplyGroup, townCentre,
} from '../store/federation.js';
import { TextWalks } from './text-walks.js';
import { decimalNumber, placeLabel, resolveEnterprise, resolvePlace, resolveProductType, typesNamedBy } from './resolve.js';
import { isOwnIri } from '../urls/own-iris.js';
import { withoutClaimsOnOwn } from './own-claims.js';

/** The most words a text search takes (each one is a term of the full-text query). */
export const MAX_QUERY_WORDS = 16;

/** The radius of `near=` without `radius_km=`, in km. */
export const DEFAULT_RADIUS_KM = 25;

/** Query parameters of the federated catalogue, as the API takes them. */
export interface CatalogueQuery {
  readonly type?: string;
  readonly q?: string;
  readonly near?: string;
  readonly radiusKm?: string;
  readonly inStock?: string;
  readonly enterprise?: string;
  readonly peer?: string;
}

/** Counts of one slice of the regional supply. */
export interface SupplyCounts {
  readonly producers: number;
  readonly products: number;
  readonly offers: number;
}

/** Counts of one slice, with how many of its offers are in stock now. */
export type StockedCounts = SupplyCounts & { readonly inStock: number };

/** The regional supply, for a local authority. */
export interface FederationStats {
  readonly totals: StockedCounts;
  /** Offers in stock now, of all those counted. */
  readonly inStock: number;
  readonly byProductType: readonly (StockedCounts & {
    readonly type: string;
    /** The English label (kept for existing clients; `labels` has both). */
    readonly label: string | null;
    readonly labels: { readonly en: string | null; readonly fr: string | null };
    readonly depth: number;
    /** The broader type (`dfc-pt:vegetable`), for a tree; null at the top. */
    readonly broader: string | null;
  })[];
  readonly bySource: readonly (StockedCounts & { readonly source: string; readonly name: string })[];
  readonly byPostcodeArea: readonly (StockedCounts & { readonly area: string })[];
}

/** What a territory lacks (see {@link FederationService.gaps}). */
export interface Gaps {
  readonly near: { readonly lat: number; readonly lon: number };
  readonly radiusKm: number;
  /** Product types looked at: the taxonomy's, and any other type some offer has. */
  readonly typesLookedAt: number;
  readonly gaps: readonly {
    readonly type: string;
    readonly labels: { readonly en: string | null; readonly fr: string | null };
    readonly depth: number;
    readonly broader: string | null;
    /** How far the nearest producer of it is, in km (one decimal), or null when nobody offers it. */
    readonly nearestKm: number | null;
    /** Producers offering it outside the circle. */
    readonly producersElsewhere: number;
  }[];
}

/** A row of the federated catalogue for people (see {@link FederationService.tableRows}). */
export interface TableRow {
  readonly name: string | null;
  /** The product type's local name (`goat-cheese`…). */
  readonly type: string | null;
  readonly typeLabel: string | null;
  readonly price: number | null;
  /** ISO 4217 (`EUR`). */
  readonly currency: string | null;
  readonly quantity: number | null;
  readonly unit: string | null;
  readonly stock: number | null;
  readonly inStock: boolean;
  readonly enterprise: string | null;
  readonly enterpriseName: string | null;
  readonly city: string | null;
  readonly postcode: string | null;
  /** `local`, or `peer:<id>`. */
  readonly source: string;
  readonly sourceName: string;
}

/** A town's producers on a map (see {@link FederationService.map}). */
export interface ProducerTown {
  readonly city: string | null;
  readonly postcode: string | null;
  /** What `near=` takes for it (null when the town is unknown: its coordinates then). */
  readonly label: string | null;
  /** Where its producers are, as no one peer decides it (`townCentre` of the store). */
  readonly lat: number;
  readonly lon: number;
  readonly producers: number;
  readonly offers: number;
  readonly inStock: number;
}

/** A producer on a map (see {@link FederationService.producers}). */
export interface ProducerPoint {
  readonly iri: string;
  readonly name: string | null;
  readonly lat: number;
  readonly lon: number;
  readonly city: string | null;
  readonly postcode: string | null;
  readonly source: string;
  readonly sourceName: string;
  readonly offers: number;
  readonly inStock: number;
}

// Great-circle distance in km: the index's, where SQL computes it too (exported here for this layer's users).
export { haversineKm };

/**
 * Our own published data, as the federated catalogue reads it. The catalogue service answers it; the
 * composition root passes it in, so that this layer does not depend on a sibling service.
 */
export interface LocalCatalogue {
  listEnterprises(): Promise<readonly Pick<EnterpriseRow, 'eid' | 'private' | 'version'>[]>;
  /** Every published record of an enterprise: its profile and its whole catalogue. */
  publishedRecords(eid: string): Promise<DfcRecord[]>;
}

/**
 * Where a walk through the federated catalogue's pages goes on: after a row's sort key (a query without `q`: stable
 * whatever is inserted or removed meanwhile), or, with `q`, at an offset of the walk's kept order of its matches
 * (see {@link TextWalks}): the order its first page found, whatever changes meanwhile.
 */
export type CataloguePlace = { readonly key: CatalogueKey } | { readonly walk: string; readonly offset: number };

/** Queries and summarises the federated catalogue. */
export class FederationService {
  public constructor(
    private readonly index: FederatedIndex,
    private readonly catalog: LocalCatalogue,
    private readonly taxonomy: () => Taxonomy,
    private readonly names: () => Promise<Map<number, string>>,
    /** This node's public base URL: a local slug names its enterprise first. */
    private readonly ownBase?: string,
    /** The kept walks through text searches' pages. */
    private readonly walks: TextWalks = new TextWalks(),
  ) {}

  /** The operator's name of each peer, by id (a CSV's `source` column shows them). */
  public peerNames(): Promise<Map<number, string>> {
    return this.names();
  }

  /**
   * Records identities this node's operator vouches for: the products each link names become one product
   * of the catalogue (the best source's offer listed). An `owl:sameAs` a writer or a peer declares is only a
   * claim until the other side names it back, or the operator confirms it here.
   */
  public confirmSameAs(links: readonly IdentityLink[]): Promise<void> {
    return this.index.confirmSameAs(links);
  }

  /** Some rows as CSV, with this node's taxonomy's labels and its peers' names. */
  public async csv(rows: readonly FederatedRow[], options: Omit<CsvOptions, 'taxonomy'>): Promise<string> {
    return toCsv(rows, await this.names(), { ...options, taxonomy: this.taxonomy() });
  }

  /** Brings our own enterprises' rows of the index up to date (cheap when nothing changed). */
  public async refresh(): Promise<void> {
    const versions = new Map((await this.catalog.listEnterprises()).filter((e) => !e.private).map((e) => [e.eid, e.version]));
    await this.index.refreshLocal(versions, (eid) => this.catalog.publishedRecords(eid));
  }

  /**
   * A query as the index takes it: the product type with its narrower types, the text and the types its words
   * name, the enterprise's IRI, the circle around a point or a town. Brings our own rows up to date first.
   *
   * @throws BadRequestHttpError for parameters that do not parse, or that name nothing known (with close matches)
   */
  public async resolve(query: CatalogueQuery): Promise<FederatedQuery> {
    await this.refresh();
    const taxonomy = this.taxonomy();
    let types: string[] | undefined;
    if (query.type !== undefined && query.type !== '') {
      const iri = await resolveProductType(taxonomy, query.type, (type) => this.index.hasProductType(type));
      types = [...taxonomy.narrowerClosure(iri)];
    }
    let text: { text: string; textTypes: string[] } | undefined;
    if (query.q !== undefined && query.q.trim() !== '') {
      if (query.q.length > 500) throw new BadRequestHttpError('q is longer than 500 characters');
      const words = foldedWords(query.q);
      if (words.length === 0) throw new BadRequestHttpError('q must hold at least one word (letters or digits): punctuation alone matches nothing');
      if (words.length > MAX_QUERY_WORDS) throw new BadRequestHttpError(`q holds ${words.length} words; at most ${MAX_QUERY_WORDS} are taken`);
      text = { text: query.q, textTypes: typesNamedBy(taxonomy, query.q) };
    }
    const enterprise = query.enterprise === undefined || query.enterprise === ''
      ? undefined : resolveEnterprise(await this.index.enterprises(), query.enterprise,
        (iri) => this.ownBase !== undefined && isOwnIri(iri, this.ownBase));
    let circle: { lat: number; lon: number; radiusKm: number } | undefined;
    if (query.near !== undefined && query.near !== '') {
      const radius = query.radiusKm === undefined || query.radiusKm === '' ? DEFAULT_RADIUS_KM : decimalNumber(query.radiusKm);
      if (radius === undefined || !Number.isFinite(radius) || radius <= 0 || radius > 20000) {
        throw new BadRequestHttpError('radius_km must be a number of kilometres above 0 and at most 20000, written in decimal (e.g. 25 or 12.5)');
      }
      const point = await resolvePlace(() => this.index.places(), query.near);
      circle = { lat: point.lat, lon: point.lon, radiusKm: radius };
    } else if (query.radiusKm !== undefined && query.radiusKm !== '') {
      throw new BadRequestHttpError('radius_km needs near=latitude,longitude (or near=a town)');
    }
    if (query.inStock !== undefined && query.inStock !== 'true' && query.inStock !== 'false') throw new BadRequestHttpError('in_stock must be true or false');
    if (query.peer !== undefined && query.peer !== '' && query.peer !== 'local') {
      if (!/^\d{1,15}$/u.test(query.peer)) throw new BadRequestHttpError('peer must be a peer id or "local"');
      // An unknown peer is a mistake to say, not an empty catalogue (a peer removed, a typo in a link).
      const peers = await this.names();
      if (!peers.has(Number(query.peer))) {
        const known = [...peers.keys()].sort((a, b) => a - b);
        throw new BadRequestHttpError(`peer=${query.peer} is no peer of this node${known.length > 0 ? `; its peers are ${known.slice(0, 20).join(', ')}${known.length > 20 ? '…' : ''}` : ': it has none'} (or "local" for its own enterprises)`,
          { extensions: { suggestions: known.slice(0, 5).map((id) => ({ value: String(id), label: peers.get(id) ?? '' })) } });
      }
    }
    return {
      ...(types !== undefined ? { types } : {}),
      ...(text !== undefined ? text : {}),
      ...(circle !== undefined ? { circle } : {}),
      ...(query.inStock !== undefined ? { inStock: query.inStock === 'true' } : {}),
      ...(enterprise !== undefined ? { enterprise } : {}),
      ...(query.peer !== undefined && query.peer !== '' ? { source: query.peer } : {}),
    };
  }

  /**
   * The rows matching a query, one per product (its best source's). With `q`, best match first (see
   * {@link FederatedIndex.queryMatches}); else by name.
   *
   * @throws BadRequestHttpError for parameters that do not parse
   */
  public async query(query: CatalogueQuery, options: { readonly all?: boolean } = {}): Promise<FederatedMatch[]> {
    return this.index.queryMatches(await this.resolve(query), options);
  }

  /** How many rows a query matches (a text query: every match, not only the best ones a page lists first). */
  public async count(query: CatalogueQuery): Promise<number> {
    return this.index.countMatches(await this.resolve(query));
  }

  /**
   * One page of the catalogue for people (the dashboard's table): sorted in the database, labels in `language`,
   * with the number of rows the query matches.
   */
  public async tablePage(query: CatalogueQuery, order: Omit<RowOrder, 'typeLabels'>, page: number, size: number, language: 'fr' | 'en'):
  Promise<{ total: number; rows: TableRow[] }> {
    const resolved = await this.resolve(query);
    let typeLabels: Map<string, string> | undefined;
    if (order.key === 'typeLabel') {
      const taxonomy = this.taxonomy();
      typeLabels = new Map((await this.index.productTypes()).map((type) => [type, typeLabel(taxonomy, type, language)]));
    }
    const [total, rows] = await this.index.consistent(() => Promise.all([
      this.index.countMatches(resolved),
      this.index.pageRows(resolved, { ...order, ...(typeLabels !== undefined ? { typeLabels } : {}) }, (page - 1) * size, size),
    ]));
    return { total, rows: await this.tableRows(rows, language) };
  }

  /**
   * One page of the federated catalogue as DFC serves it, cut in the database (a national index's matches never
   * come to JavaScript whole), with the number of rows the query matches: with `q`, best match first; else by
   * name as people read it (folded), then by catalog item. With where the next page starts (`next`), when one does.
   *
   * @param query - the filters
   * @param at - the page: a number (`?page=N`, an offset), or where the previous page ended (see {@link CataloguePlace})
   * @param size - rows per page
   * @throws BadRequestHttpError for parameters that do not parse, or a place of one kind of walk given to the other
   * @throws ConflictHttpError for a text's place whose walk is no longer kept (see {@link TextWalks})
   */
  public async cataloguePage<T = undefined>(query: CatalogueQuery, at: number | CataloguePlace, size: number,
    withRows?: (rows: FederatedRow[]) => Promise<T>): Promise<{ total: number; rows: FederatedRow[]; extra: T; next?: CataloguePlace | number }> {
    const resolved = await this.resolve(query);
    const more = async (rows: FederatedRow[]): Promise<T> => (withRows === undefined ? (undefined as T) : withRows(rows));
    if (resolved.text !== undefined) {
      if (typeof at !== 'number' && !('walk' in at)) throw new BadRequestHttpError('after is the place of a walk without q: it cannot go on with q (start again from the first page)');
      // The relevance order is the whole index's (bm25 weighs every word by every offer holding it, and a text too
      // broad to rank is listed in index order, which a sync renumbers), and any write of the index (a sync, an
      // order, a stock change here) may move it: no key of a row holds its place in it. A walk keeps its matches'
      // order as its first page found it (a thousand keys at most), and reads each page by those keys.
      const walkOf = JSON.stringify(resolved);
      let keys: readonly RowKey[];
      let offset: number;
      let walk: string | undefined;
      if (typeof at === 'number') {
        offset = (at - 1) * size;
        keys = await this.index.textMatchKeys(resolved);
        // Kept only when a next page follows (a one-page search needs no walk).
        walk = offset + size < keys.length ? this.walks.start(walkOf, keys) : undefined;
      } else {
        const kept = this.walks.keys(at.walk, walkOf);
        if (kept === 'other') throw new BadRequestHttpError('after is the place of a walk with another q or other filters: it goes on only with the same ones (follow the next link as given)');
        if (kept === undefined) {
          throw new ConflictHttpError('this walk through the matches of q is no longer kept (the node keeps a bounded number of walks, each for some minutes after its last page was read): start again from the first page');
        }
        ({ offset, walk } = at);
        keys = kept;
      }
      // The page's rows as they are now: one gone since, or no longer matching the filters, is not shown (the next
      // page starts where this one's keys end: nothing is skipped or repeated).
      const rows = await this.index.rowsByKeys(resolved, keys.slice(offset, offset + size));
      const follows = offset + size < keys.length;
      // A walk too big to keep (item IRIs of megabytes) goes on by number: better than no next page.
      const next = !follows ? undefined : walk === undefined ? (typeof at === 'number' ? at + 1 : undefined) : { walk, offset: offset + size };
      return { total: keys.length, rows, extra: await more(rows), ...(next !== undefined ? { next } : {}) };
    }
    if (typeof at !== 'number' && !('key' in at)) throw new BadRequestHttpError('after is the place of a walk with q: it goes on only with the same q');
    if (typeof at !== 'number' || at === 1) {
      // Walked by key: the page after where the last one ended, whatever was inserted or removed before it.
      const [total, [page, extra]] = await this.index.consistent(() => Promise.all([
        this.index.countMatches(resolved),
        this.index.pageAfter(resolved, typeof at === 'number' ? undefined : at.key, size)
          .then(async (found): Promise<[typeof found, T]> => [found, await more(found.rows)]),
      ]));
      return { total, rows: page.rows, extra, ...(page.next !== undefined ? { next: { key: await this.index.carried(resolved, page.next) } } : {}) };
    }
    const offset = (at - 1) * size;
    // A numbered page is the rows after the key of the row before its offset, through the key of its last row: a
    // page ends after every row of its last key, as a walk's does, and the next starts after it (rows of one key
    // from several sources are never split between two pages, so a cursor after that key skips none of them).
    const [total, [found, extra]] = await this.index.consistent(() => Promise.all([
      this.index.countMatches(resolved),
      this.numberedPage(resolved, offset, size).then(async (page): Promise<[typeof page, T]> => [page, await more(page.rows)]),
    ]));
    return { total, rows: found.rows, extra, ...(found.next !== undefined ? { next: { key: await this.index.carried(resolved, found.next) } } : {}) };
  }

  /** The numbered page at `offset` of a query without a text, aligned on keys (see {@link cataloguePage}), with where the next starts. */
  private async numberedPage(query: FederatedQuery, offset: number, size: number): Promise<{ rows: FederatedRow[]; next?: CatalogueKey }> {
    // A page past any index (`page=99999999999999999999`) holds nothing; SQLite would refuse such an offset.
    if (!Number.isSafeInteger(offset)) return { rows: [] };
    // The row before the page, its last row, and the one after it (whether another page follows).
    const around = await this.index.pageRows(query, { key: 'relevance', descending: false }, offset - 1, size + 2);
    const before = around[0];
    if (before === undefined) return { rows: [] };
    const lastRow = around[size];
    const through = lastRow === undefined ? undefined : await this.index.keyOf(lastRow);
    const rows: FederatedRow[] = [];
    // More rows than a page between the two keys (a tie of many sources at the end): read on to `through`.
    for (let after: CatalogueKey | undefined = await this.index.keyOf(before); after !== undefined;) {
      const page = await this.index.pageAfter(query, after, size, through);
      rows.push(...page.rows);
      after = page.next;
    }
    return { rows, ...(through !== undefined && around[size + 1] !== undefined ? { next: through } : {}) };
  }

  /** The full rows of some matches (a page, or everything for an export), in their order. */
  public rows(matches: readonly FederatedMatch[]): Promise<FederatedRow[]> {
    return this.index.entriesByIds(matches.map((m) => m.id));
  }

  /**
   * The records of some rows as every source that has them says them, grouped by source: the provenance of
   * the federated catalogue (N-Quads, one named graph per source).
   */
  public async recordsBySource(rows: readonly FederatedRow[]): Promise<{ source: string; records: DfcRecord[] }[]> {
    const all = await this.index.rowsOfKeys([...new Set(rows.map((r) => r.productKey))]);
    const bySource = new Map<string, Set<string>>();
    for (const row of all) {
      const iris = bySource.get(row.source) ?? new Set<string>();
      for (const iri of [row.itemIri, row.productIri, row.offerIri, row.enterpriseIri]) if (iri !== null) iris.add(iri);
      bySource.set(row.source, iris);
    }
    const groups: { source: string; records: DfcRecord[] }[] = [];
    for (const [source, iris] of bySource) {
      const records = await this.index.recordsIn(source, [...iris]);
      const more = new Set<string>();
      for (const record of records) {
        if (record.kind === 'SuppliedProduct') record.variantOf.forEach((g) => more.add(g));
        if (record.kind === 'Enterprise' && record.address !== undefined) more.add(record.address);
      }
      records.push(...(await this.index.recordsIn(source, [...more].filter((iri) => !iris.has(iri)))));
      groups.push({ source, records: this.republished(source, records) });
    }
    return groups;
  }

  /**
   * The records of some rows, grouped by source: each product with its catalog items, offers, product
   * groups, and the enterprise and address it comes from. Every resource keeps its original `@id`.
   */
  public async records(rows: readonly FederatedRow[]): Promise<{ source: string; records: DfcRecord[] }[]> {
    const wanted = new Set<string>();
    for (const row of rows) {
      for (const iri of [row.itemIri, row.productIri, row.offerIri, row.enterpriseIri]) if (iri !== null) wanted.add(iri);
    }
    const found = await this.index.recordsOf([...wanted]);
    // Second hop: product groups and enterprises' addresses.
    const more = new Set<string>();
    for (const { record } of found.values()) {
      if (record.kind === 'SuppliedProduct') record.variantOf.forEach((g) => more.add(g));
      if (record.kind === 'Enterprise' && record.address !== undefined) more.add(record.address);
    }
    const second = await this.index.recordsOf([...more].filter((iri) => !found.has(iri)));
    const bySource = new Map<string, DfcRecord[]>();
    for (const { record, source } of [...found.values(), ...second.values()]) {
      const list = bySource.get(source) ?? [];
      list.push(record);
      bySource.set(source, list);
    }
    return [...bySource].map(([source, records]) => ({ source, records: this.republished(source, records) }));
  }

  /** A source's records as the node republishes them: a peer's without its claims on this node's own resources. */
  private republished(source: string, records: DfcRecord[]): DfcRecord[] {
    const ownBase = this.ownBase;
    return ownBase === undefined || !source.startsWith('peer:') ? records : records.map((r) => withoutClaimsOnOwn(r, ownBase));
  }

  /**
   * Rows for people (the dashboard's table): names, the product type's label in `language`, price, stock,
   * where and who, and the source's name; no IRIs but the enterprise's.
   */
  public async tableRows(rows: readonly FederatedRow[], language: 'fr' | 'en'): Promise<TableRow[]> {
    const taxonomy = this.taxonomy();
    const names = await this.names();
    return rows.map((r) => ({
      name: r.name,
      type: r.productType === null ? null : shortName(r.productType),
      typeLabel: r.productType === null ? null : (taxonomy.get(r.productType)?.labels[language] ?? taxonomy.label(r.productType)),
      price: r.price,
      currency: r.currency === null ? null : currencyCode(r.currency),
      quantity: r.quantity,
      unit: r.quantityUnit === null ? null : shortName(r.quantityUnit).replace(/^dfc-m:/u, ''),
      stock: r.stock,
      inStock: r.inStock,
      enterprise: r.enterpriseIri,
      enterpriseName: r.enterpriseName,
      city: r.city,
      postcode: r.postcode,
      source: r.peerId === null ? 'local' : `peer:${r.peerId}`,
      sourceName: r.peerId === null ? 'this node' : (names.get(r.peerId) ?? `peer:${r.peerId}`),
    }));
  }

  /**
   * The producers (enterprises with coordinates) of the rows a query matches, each once with its count of offers
   * and of offers in stock, by name, at most `limit`: what a map needs, without the catalogue. Enterprises
   * without coordinates are left out (a map cannot place them).
   */
  public async producers(query: CatalogueQuery, limit: number): Promise<{ total: number; producers: ProducerPoint[] }> {
    const found = await this.index.producerRows(await this.resolve(query), limit);
    return { total: found.total, producers: await this.points(found.producers) };
  }

  /**
   * What a map of the rows a query matches shows: each producer while there are at most `maxPoints`, else their
   * towns (town and postcode; place to a tenth of a degree when the town is unknown), every producer counted.
   */
  public async map(query: CatalogueQuery, maxPoints: number): Promise<{ total: number; producers: ProducerPoint[] } | { total: number; towns: ProducerTown[] }> {
    const { total, producers } = await this.index.producerRows(await this.resolve(query), Number.MAX_SAFE_INTEGER);
    const ownBase = this.ownBase;
    return total <= maxPoints ? { total, producers: await this.points(producers) }
      : { total, towns: townsOf(producers, (iri) => ownBase !== undefined && isOwnIri(iri, ownBase)) };
  }

  /** Producers as the API gives them: with their source and its name. */
  private async points(rows: readonly ProducerRow[]): Promise<ProducerPoint[]> {
    const names = await this.names();
    return rows.map((p) => ({
      iri: p.iri, name: p.name, lat: p.lat, lon: p.lon, city: p.city, postcode: p.postcode,
      source: p.peerId === null ? 'local' : `peer:${p.peerId}`,
      sourceName: p.peerId === null ? 'this node' : (names.get(p.peerId) ?? `peer:${p.peerId}`),
      offers: p.offers, inStock: p.inStock,
    }));
  }

  /** The towns of the catalogue, for a distance filter: each where its producers are (see `townCentre`). */
  public async places(): Promise<(Omit<PlaceRow, 'local'> & { label: string })[]> {
    await this.refresh();
    return (await this.index.places()).map(({ local: _, ...p }) => ({ ...p, label: placeLabel(p) }));
  }

  /**
   * The regional supply, rolled up the product type taxonomy: of the whole catalogue, or of what a query matches.
   * The database groups the rows (by type, enterprise, source and area); only the groups are summed here.
   */
  public async stats(query: CatalogueQuery = {}): Promise<FederationStats> {
    const resolved = await this.resolve(query);
    const taxonomy = this.taxonomy();
    const names = await this.names();
    // The whole catalogue (or a type, an enterprise, a source) is summed in the database from the groups it keeps;
    // any other filter sums its groups here.
    const rollUp = this.rollUpOf(taxonomy);
    const summary = await this.index.supplySummary(resolved, rollUp);
    if (summary !== undefined) {
      return this.statsOf({
        totals: summary.totals,
        byType: summary.byType,
        bySource: new Map([...summary.bySource].map(([peer, counts]) => [peer === null ? 'local' : `peer:${peer}`, counts])),
        byArea: new Map([...summary.byArea].map(([area, counts]) => [area === null || area === '' ? '(unknown)' : area, counts])),
      }, rollUp, names);
    }
    const groups = await this.index.supplyGroups(resolved);
    const byType = new Map<string, Tally>();
    const bySource = new Map<string, Tally>();
    const byArea = new Map<string, Tally>();
    const totals = new Tally();
    const chains = new Map<string, string[]>();
    // A national summary sums tens of thousands of groups: each producer's IRI is hashed once (a number after that),
    // and each group finds its tallies through small maps (its type's chain, its source, its area).
    const producerIds = new Map<string, number>();
    const typeTallies = new Map<string | null, Tally[]>();
    const sourceTallies = new Map<number | null, Tally>();
    const areaTallies = new Map<string | null, Tally>();
    for (const group of groups) {
      let producer = -1;
      if (group.enterpriseIri !== null) {
        producer = producerIds.get(group.enterpriseIri) ?? producerIds.size;
        if (producer === producerIds.size) producerIds.set(group.enterpriseIri, producer);
      }
      totals.add(producer, group);
      // Count the group under its type and under every broader type, so a region's "vegetable" total includes tomatoes.
      const type = group.productType;
      let typed = typeTallies.get(type);
      if (typed === undefined) {
        let chain = type === null ? ['(untyped)'] : chains.get(type);
        if (chain === undefined && type !== null) {
          chain = ancestors(taxonomy, type);
          chains.set(type, chain);
        }
        typed = (chain as string[]).map((t) => tally(byType, t));
        typeTallies.set(type, typed);
      }
      for (const t of typed) t.add(producer, group);
      let source = sourceTallies.get(group.peerId);
      if (source === undefined) {
        source = tally(bySource, group.peerId === null ? 'local' : `peer:${group.peerId}`);
        sourceTallies.set(group.peerId, source);
      }
      source.add(producer, group);
      let area = areaTallies.get(group.area);
      if (area === undefined) {
        // French postcodes: the first two digits are the département.
        area = tally(byArea, group.area === null || group.area === '' ? '(unknown)' : group.area);
        areaTallies.set(group.area, area);
      }
      area.add(producer, group);
    }
    const counts = (tallies: Map<string, Tally>): Map<string, StockedCounts> => new Map([...tallies].map(([key, t]) => [key, t.counts()]));
    return this.statsOf({ totals: totals.counts(), byType: counts(byType), bySource: counts(bySource), byArea: counts(byArea) }, rollUp, names);
  }

  /** One roll-up per taxonomy (the index keeps a summary for the roll-up it was summed with). */
  private readonly rollUps = new WeakMap<Taxonomy, (type: string) => string[]>();

  /** A product type and every broader type it counts under, in `taxonomy`, each chain worked out once. */
  private rollUpOf(taxonomy: Taxonomy): (type: string) => string[] {
    let rollUp = this.rollUps.get(taxonomy);
    if (rollUp === undefined) {
      const chains = new Map<string, string[]>();
      rollUp = (type: string): string[] => {
        let chain = chains.get(type);
        if (chain === undefined) {
          chain = ancestors(taxonomy, type);
          chains.set(type, chain);
        }
        return chain;
      };
      this.rollUps.set(taxonomy, rollUp);
    }
    return rollUp;
  }

  /** The summary's answer from its counts: labels, depths and names added, and sorted. */
  private statsOf(counts: { totals: StockedCounts; byType: ReadonlyMap<string, StockedCounts>; bySource: ReadonlyMap<string, StockedCounts>;
    byArea: ReadonlyMap<string, StockedCounts> }, rollUp: (type: string) => string[], names: ReadonlyMap<number, string>): FederationStats {
    const taxonomy = this.taxonomy();
    const { totals, byType, bySource, byArea } = counts;
    return {
      totals: { producers: totals.producers, products: totals.products, offers: totals.offers, inStock: totals.inStock },
      inStock: totals.inStock,
      byProductType: [...byType].map(([type, t]) => ({
        type: type === '(untyped)' ? type : shortName(type),
        label: taxonomy.get(type)?.labels['en'] ?? null,
        labels: { en: taxonomy.get(type)?.labels['en'] ?? null, fr: taxonomy.get(type)?.labels['fr'] ?? null },
        depth: type === '(untyped)' ? 0 : rollUp(type).length - 1,
        broader: type === '(untyped)' ? null : ((b) => (b === undefined ? null : shortName(b)))(taxonomy.get(type)?.broader[0]),
        producers: t.producers, products: t.products, offers: t.offers, inStock: t.inStock,
      })).sort((a, b) => b.offers - a.offers || a.type.localeCompare(b.type)),
      bySource: [...bySource].map(([source, t]) => ({
        source,
        name: source === 'local' ? 'this node' : (names.get(Number(source.slice('peer:'.length))) ?? source),
        producers: t.producers, products: t.products, offers: t.offers, inStock: t.inStock,
      })).sort((a, b) => a.source.localeCompare(b.source)),
      byPostcodeArea: [...byArea].map(([area, t]) => ({ area, producers: t.producers, products: t.products, offers: t.offers, inStock: t.inStock }))
        .sort((a, b) => a.area.localeCompare(b.area)),
    };
  }

  /**
   * The product types with no producer within `radius_km` of `near` among the rows a query matches (its other
   * filters: in stock, source…): what a territory lacks. Each with how far the nearest producer of it is
   * (null when none in the whole catalogue) and how many producers offer it elsewhere. Types roll up the taxonomy
   * (a producer of tomatoes is a producer of vegetables); types of the taxonomy nobody offers are gaps too.
   *
   * @throws BadRequestHttpError without `near`, or for parameters that do not parse
   */
  public async gaps(query: CatalogueQuery): Promise<Gaps> {
    if (query.near === undefined || query.near === '') throw new BadRequestHttpError('gaps need near=latitude,longitude (or near=a town) and radius_km');
    const { near, radiusKm, type, q, ...rest } = query;
    // Empty, they are absent (as everywhere else: a form sends its empty fields).
    if ((type !== undefined && type !== '') || (q !== undefined && q.trim() !== '')) throw new BadRequestHttpError('gaps take in_stock, peer and enterprise filters, not type or q: every type is looked at');
    const resolved = await this.resolve({ ...rest, near, ...(radiusKm !== undefined ? { radiusKm } : {}) });
    const circle = resolved.circle as NonNullable<FederatedQuery['circle']>;
    const { circle: _, ...everywhere } = resolved;
    const presence = await this.index.typePresence(everywhere);
    const taxonomy = this.taxonomy();
    const nearest = new Map<string, number>();
    const producers = new Map<string, Set<string>>();
    for (const p of presence) {
      const km = haversineKm(circle.lat, circle.lon, p.lat, p.lon);
      for (const t of ancestors(taxonomy, p.productType)) {
        nearest.set(t, Math.min(nearest.get(t) ?? Infinity, km));
        const set = producers.get(t) ?? new Set<string>();
        set.add(p.enterpriseIri);
        producers.set(t, set);
      }
    }
    const types = new Set<string>([...taxonomy.all()].filter((c) => c.iri.startsWith(DFC_PT_NS)).map((c) => c.iri as string));
    for (const t of nearest.keys()) types.add(t);
    const gaps = [...types].filter((t) => (nearest.get(t) ?? Infinity) > circle.radiusKm).map((t) => {
      const km = nearest.get(t);
      return {
        type: shortName(t),
        labels: { en: taxonomy.get(t)?.labels['en'] ?? null, fr: taxonomy.get(t)?.labels['fr'] ?? null },
        depth: ancestors(taxonomy, t).length - 1,
        broader: ((b) => (b === undefined ? null : shortName(b)))(taxonomy.get(t)?.broader[0]),
        nearestKm: km === undefined ? null : Math.round(km * 10) / 10,
        producersElsewhere: producers.get(t)?.size ?? 0,
      };
    }).sort((a, b) => a.depth - b.depth || (a.nearestKm ?? Infinity) - (b.nearestKm ?? Infinity) || a.type.localeCompare(b.type));
    return { near: { lat: circle.lat, lon: circle.lon }, radiusKm: circle.radiusKm, typesLookedAt: types.size, gaps };
  }
}

/** Counts of a slice of the supply, summed from groups (producers as a set: one producer has many groups). */
class Tally {
  private readonly producers = new Set<number>();
  private products = 0;
  private offers = 0;
  public inStock = 0;

  /** Adds a group of a producer (a number standing for its IRI; -1 for none). */
  public add(producer: number, group: SupplyGroup): void {
    if (producer >= 0) this.producers.add(producer);
    this.products += group.products;
    this.offers += group.offers;
    this.inStock += group.inStock;
  }

  public counts(): SupplyCounts & { inStock: number } {
    return { producers: this.producers.size, products: this.products, offers: this.offers, inStock: this.inStock };
  }
}

function tally(map: Map<string, Tally>, key: string): Tally {
  let t = map.get(key);
  if (t === undefined) {
    t = new Tally();
    map.set(key, t);
  }
  return t;
}

/**
 * Producers grouped by town, each town where its producers are as no one peer decides it (see `townCentre`: this
 * node's own there, else each source once).
 *
 * @param isOwn - whether an enterprise IRI is this node's
 */
function townsOf(producers: readonly ProducerRow[], isOwn: (iri: string) => boolean): ProducerTown[] {
  const byTown = new Map<string, { town: { -readonly [K in keyof ProducerTown]: ProducerTown[K] }; points: SourcedPoint[] }>();
  for (const p of producers) {
    const key = p.city !== null ? `${foldedWords(p.city).join(' ')}|${p.postcode ?? ''}` : `${p.lat.toFixed(1)},${p.lon.toFixed(1)}`;
    const entry = byTown.get(key) ?? {
      town: {
        city: p.city, postcode: p.postcode, label: p.city === null ? null : placeLabel({ city: p.city, postcode: p.postcode }),
        lat: 0, lon: 0, producers: 0, offers: 0, inStock: 0,
      },
      points: [],
    };
    entry.points.push({ lat: p.lat, lon: p.lon, source: isOwn(p.iri) ? 'local' : `peer:${p.peerId ?? ''}` });
    entry.town.producers++;
    entry.town.offers += p.offers;
    entry.town.inStock += p.inStock;
    byTown.set(key, entry);
  }
  return [...byTown.values()].map(({ town, points }) => ({ ...town, ...townCentre(points) }));
}

/** A product type's label for people in `language`, else its English label or local name. */
function typeLabel(taxonomy: Taxonomy, type: string, language: 'fr' | 'en'): string {
  return taxonomy.get(type)?.labels[language] ?? taxonomy.label(type);
}

/** A concept and its broader concepts up to the top (first parent at each level). */
function ancestors(taxonomy: Taxonomy, type: string): string[] {
  const chain = [type];
  const seen = new Set(chain);
  let current = taxonomy.get(type)?.broader[0];
  while (current !== undefined && !seen.has(current)) {
    chain.push(current);
    seen.add(current);
    current = taxonomy.get(current)?.broader[0];
  }
  return chain;
}

/** How a CSV export is written: for a French spreadsheet, `;` between fields and a decimal comma. */
export interface CsvOptions {
  /** The field separator: `,`, `;` or a tab. */
  readonly separator: ',' | ';' | '\t';
  /** Whether decimals are written with a comma (`2,5`). */
  readonly decimalComma: boolean;
  /** The language of the product type labels (`fr` or `en`). */
  readonly language: 'fr' | 'en';
  /** Where product type labels come from (the loaded taxonomy). */
  readonly taxonomy: Taxonomy;
}

/**
 * One CSV line, RFC 4180 quoting: a field holding the separator, a quote or a line break is quoted, quotes
 * doubled. Peer data is untrusted: a text starting with `=`, `+`, `-`, `@`, a tab or a carriage return would be
 * run as a formula by spreadsheets, so it gets a leading `'` (numbers are written as numbers).
 */
function csvLine(values: readonly (string | number | null)[], options: CsvOptions): string {
  return values.map((v) => {
    if (v === null) return '';
    let text = typeof v === 'number' && options.decimalComma ? String(v).replace('.', ',') : String(v);
    if (typeof v === 'string' && /^[=+\-@\t\r]/u.test(text)) text = `'${text}`;
    return text.includes(options.separator) || /["\n\r]/u.test(text) ? `"${text.replace(/"/gu, '""')}"` : text;
  }).join(options.separator);
}

/** The ISO 4217 code of a `dfc-m:` currency (`EUR`), else its short name. */
function currencyCode(currency: string): string {
  const local = currency.startsWith(DFC_M_NS) ? currency.slice(DFC_M_NS.length) : '';
  return (CURRENCY_CODES as Readonly<Record<string, string>>)[local] ?? shortName(currency);
}

/** The columns of the CSV export: people's columns (names, town, labels, codes) beside the IRIs. */
export const CSV_COLUMNS = ['product', 'product_type', 'product_type_label', 'price', 'currency', 'currency_code', 'quantity', 'unit',
  'stock', 'in_stock', 'latitude', 'longitude', 'postcode', 'town', 'enterprise', 'enterprise_name', 'source', 'product_iri',
  'catalog_item_iri', 'offer_iri'] as const;

/**
 * The federated catalogue as CSV, for spreadsheets: UTF-8 with a byte order mark (so that a spreadsheet reads
 * the accents right), lines ended by CRLF.
 */
export function toCsv(rows: readonly FederatedRow[], peerNames: ReadonlyMap<number, string>, options: CsvOptions): string {
  const typeLabel = (type: string): string => options.taxonomy.get(type)?.labels[options.language] ?? options.taxonomy.label(type);
  const lines = rows.map((r) => csvLine([
    r.name, r.productType === null ? null : shortName(r.productType), r.productType === null ? null : typeLabel(r.productType), r.price,
    r.currency === null ? null : shortName(r.currency), r.currency === null ? null : currencyCode(r.currency), r.quantity,
    r.quantityUnit === null ? null : shortName(r.quantityUnit).replace(/^dfc-m:/u, ''), r.stock, r.inStock ? 'true' : 'false',
    r.latitude, r.longitude, r.postcode, r.city, r.enterpriseIri, r.enterpriseName,
    r.peerId === null ? 'local' : (peerNames.get(r.peerId) ?? `peer:${r.peerId}`), r.productIri, r.itemIri, r.offerIri,
  ], options));
  return `\uFEFF${[csvLine(CSV_COLUMNS, options), ...lines].join('\r\n')}\r\n`;
}
