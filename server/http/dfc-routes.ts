/**
 * The DFC publish and write API under `/api/dfc`, in the paths Open Food Network serves.
 *
 * HTTP only: parse the request, check rights, call the catalogue service, negotiate and render. Every error
 * is thrown and answered by the error funnel.
 *
 * @packageDocumentation
 */
import { meantParameter } from './query-params.js';
import { Router, type Request, type RequestHandler, type Response } from 'express';
import type { NodeId } from '../../ontology/iri.js';
import type { DfcRecord } from '../../ontology/records.js';
import { principalOf, requireAdmin, tokenOf, requireCaller, requireScope, requireVisible } from '../auth/middleware.js';
import { allows, type Scope } from '../auth/tokens.js';
import { unknownEnterprise, unknownProfileResource } from '../catalog/catalog-reads.js';
import { IF_MATCH_FAILED, profileVersionOf, type CatalogService, type Catalogue, type CatalogueEntry, type ReadAhead, type WriteBody, type WriteCondition } from '../catalog/catalog-service.js';
import type { Collection } from '../urls/node-urls.js';
import { BadRequestHttpError, NotFoundHttpError, PreconditionFailedHttpError, UnprocessableEntityHttpError } from '../errors/http-error.js';
import type { DecodeResult } from '../codec/decode.js';
import { acceptedProducts, type Accepted } from '../codec/partial.js';
import type { Problem } from '../errors/problem.js';
import { recordVersion, type EnterpriseRow } from '../store/store.js';
import { allowOnly, textBody } from './methods.js';
import { negotiate, type Representation } from './negotiate.js';
import { cataloguePageParams, pageParams, requestIri, type PageParams } from './page-params.js';
import { FragmentCache, pageVersion, recordsVersion, renderPage } from './page-render.js';
import { answeredNotModifiedUnrendered, etagList, ifMatchMatchesVersion, render, renderBody, sendBody, sendRendered, versionEtag, type PageView, type RenderCache, type Rendered } from './render.js';

/** Options of {@link dfcRoutes}. */
export interface DfcRoutesArgs {
  readonly catalog: CatalogService;
  readonly cache: RenderCache;
  /** Default page size of collections. */
  readonly pageSize: number;
  /** Largest page size a client may ask for. */
  readonly maxPageSize: number;
  /** The rendered nodes of catalogue pages (default: a cache of its own, of the default budget). */
  readonly fragments?: FragmentCache;
  /**
   * What the products collection (`…/supplied_products`) also holds for the caller: a buyer's open orders (see
   * `buyerOpenOrders`). None by default.
   */
  readonly openOrders?: (res: Response, eid: string) => Promise<readonly DfcRecord[]>;
}

const READ_METHODS = 'GET, HEAD, OPTIONS';

/** The records of a catalogue page and their hash, kept with the catalogue snapshot they were taken from. */
interface PageMemo {
  readonly records: readonly DfcRecord[];
  readonly hash: string;
}

/** The most pages (page and size) whose records a snapshot keeps. */
const MAX_PAGE_MEMOS = 256;

function requestUrl(catalog: CatalogService, req: Request): string {
  return `${catalog.urls.base}${req.originalUrl.split('?')[0] ?? ''}`;
}

/** The three forms of an HTTP date (RFC 9110 §5.6.7): IMF-fixdate, and the obsolete RFC 850 and asctime forms. */
const HTTP_DATE = new RegExp([
  '^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), \\d{2} (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \\d{4} \\d{2}:\\d{2}:\\d{2} GMT$',
  '^(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday), \\d{2}-(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)-\\d{2} \\d{2}:\\d{2}:\\d{2} GMT$',
  '^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [ \\d]\\d \\d{2}:\\d{2}:\\d{2} \\d{4}$',
].join('|'), 'u');

/**
 * An HTTP date as milliseconds, NaN for a header that is absent or no HTTP date (which a precondition ignores:
 * `Date.parse` alone took `"1"` or `"2001"` for dates, and made them 412s).
 */
function httpDate(header: string | undefined): number {
  const text = header?.trim();
  if (text === undefined || !HTTP_DATE.test(text)) return Number.NaN;
  const time = Date.parse(text.endsWith('GMT') ? text : `${text} GMT`);
  // A day the month does not have (`31 Feb`) is no date: `Date.parse` would roll it over into March.
  const day = Number(/\b(\d{1,2})[ -](?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\b|(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) +(\d{1,2})\b/u.exec(text)
    ?.slice(1).find((d) => d !== undefined));
  return Number.isNaN(time) || new Date(time).getUTCDate() !== day ? Number.NaN : time;
}

/** Where {@link readAheadOfStockWrites} leaves its read for the route (`res.locals`). */
const READ_AHEAD = 'readAhead';

/** A catalog item's own path, as the DFC routes take it under `/api/dfc`: the enterprise's id and the item's, encoded. */
const CATALOG_ITEM_PATH = /^\/api\/dfc\/enterprises\/([^/]+)\/catalog_items\/([^/]+)$/u;

/**
 * Begins the read of a stock write (`PUT …/catalog_items/{id}` with a credential and no precondition: Open Food
 * Network's) as the request arrives, beside the look-up of its credential rather than after it (see `ReadAhead`):
 * for the app, before `identify`. The route takes it only for the item it writes, once the write is allowed; nothing
 * read is shown otherwise. A path this does not recognise (another spelling Express routes alike) is read as before.
 */
export function readAheadOfStockWrites(catalog: CatalogService): RequestHandler {
  return (req, res, next) => {
    if (req.method === 'PUT' && req.get('if-match') === undefined && req.get('if-none-match') === undefined
      && req.get('if-unmodified-since') === undefined && tokenOf(req) !== undefined) {
      const match = CATALOG_ITEM_PATH.exec(req.path);
      if (match !== null) {
        let ids: [string, string] | undefined;
        try {
          ids = [decodeURIComponent(match[1] as string), decodeURIComponent(match[2] as string)];
        } catch {
          // Not an encoding the route reads: it answers as it would without this.
        }
        if (ids !== undefined) res.locals[READ_AHEAD] = catalog.readAheadCatalogItem(...ids);
      }
    }
    next();
  };
}

/** The DFC router, with its stock write's handler for the application to route first (see `createApp`). */
export type DfcRouter = Router & {
  /** `PUT /enterprises/:eid/catalog_items/:id`: the handler the router itself routes there. */
  readonly catalogItemWrite: RequestHandler;
};

/** Builds the router. */
export function dfcRoutes(args: DfcRoutesArgs): DfcRouter {
  const { catalog, cache } = args;
  const fragments = args.fragments ?? new FragmentCache();
  const router = Router();

  /** Checks read access to an enterprise: public unless private, and then unknown to whoever may not see it. */
  const canRead = (res: Response, row: EnterpriseRow, scope: Scope, hidden = () => unknownEnterprise(row.eid)): void => {
    requireVisible(res, row, scope, hidden);
  };

  /** Paging parameters of a request. */
  const paging = (req: Request): PageParams => pageParams(req, args.pageSize, args.maxPageSize);
  /** Paging parameters of a request of a catalogue: the whole catalogue unless it asks for pages. */
  const cataloguePaging = (req: Request): PageParams => cataloguePageParams(req, args.pageSize, args.maxPageSize);

  const pageView = (req: Request, page: number, size: number, total: number): PageView | undefined => {
    if (total <= size && page === 1) return undefined;
    const url = requestUrl(catalog, req);
    const at = (p: number) => `${url}?page=${p}&page_size=${size}`;
    const last = Math.max(1, Math.ceil(total / size));
    return {
      self: requestIri(catalog.urls.base, req),
      first: at(1),
      last: at(last),
      ...(page < last ? { next: at(page + 1) } : {}),
      ...(page > 1 ? { previous: at(Math.min(page - 1, last)) } : {}),
    };
  };

  /**
   * Answers a GET of one resource (or an enterprise's profile) with a rendered representation, honouring
   * If-None-Match, from the cache when the enterprise has not changed. Catalogue pages go through
   * {@link sendPage}.
   */
  const send = async (
    req: Request, res: Response, row: EnterpriseRow, key: string,
    produce: (representation: Representation) => Promise<{ records: readonly DfcRecord[]; version?: string }>,
  ): Promise<void> => {
    const representation = negotiate(req.get('accept'));
    // The body names the request URL: the path is part of the key.
    const cacheKey = `${row.eid}@${row.version}|${req.path}|${key}|${representation.contentType}|${representation.format}|${representation.profile}`;
    let rendered = cache.get(cacheKey);
    if (rendered === undefined) {
      const { records, version } = await produce(representation);
      rendered = render(records, representation, { container: false, ...(version !== undefined ? { version } : {}) });
      cache.set(cacheKey, rendered);
    }
    await respond(req, res, rendered, row);
  };

  const respond = async (req: Request, res: Response, rendered: Rendered, row: EnterpriseRow, view?: PageView, catalogue = false): Promise<void> => {
    representationHeaders(res, row, view, catalogue);
    await sendBody(req, res, { bytes: rendered.bytes, contentType: `${rendered.contentType}; charset=utf-8`, etag: rendered.etag, forms: rendered.forms });
  };

  /** The headers of a representation besides its body's: validators, caching, variance, paging links; status 200. */
  const representationHeaders = (res: Response, row: EnterpriseRow, view?: PageView, catalogue = false): void => {
    res.setHeader('Last-Modified', new Date(row.updatedAt).toUTCString());
    // A catalogue is paged or whole as the client's `Prefer` asks.
    res.setHeader('Vary', catalogue ? 'Accept, Authorization, X-Api-Token, Prefer' : 'Accept, Authorization, X-Api-Token');
    res.setHeader('Cache-Control', row.private ? 'private, no-cache' : 'no-cache');
    const links: string[] = [];
    if (view?.next !== undefined) links.push(`<${view.next}>; rel="next"`);
    if (view?.previous !== undefined) links.push(`<${view.previous}>; rel="prev"`);
    if (view !== undefined) links.push(`<${view.first}>; rel="first"`);
    if (view?.last !== undefined) links.push(`<${view.last}>; rel="last"`);
    if (links.length > 0) res.setHeader('Link', links.join(', '));
    res.status(200);
  };

  /**
   * The records of one page of the whole catalogue, paged by product: each product after the product groups it is
   * a variant of (once a page), with its catalog items, their offers and its planned transformations.
   */
  const pageRecords = (catalogue: Catalogue, page: number, size: number): DfcRecord[] => {
    const records: DfcRecord[] = [];
    const seenGroups = new Set<string>();
    const end = Math.min(page * size, catalogue.entries.length);
    for (let i = (page - 1) * size; i < end; i++) {
      const entry = catalogue.entries[i] as CatalogueEntry;
      for (const groupId of entry.product.variantOf) {
        const group = catalogue.groups.get(groupId);
        if (group !== undefined && !seenGroups.has(groupId)) {
          seenGroups.add(groupId);
          records.push(group);
        }
      }
      records.push(entry.product);
      for (const list of [entry.items, entry.offers, entry.plans]) for (const record of list) records.push(record);
    }
    return records;
  };

  /**
   * Answers a GET of one page of an enterprise's catalogue: from the catalogue kept in memory (brought up to date
   * from the change feed, see `catalogue-cache.ts`), the page cached under its version (a hash of the versions of
   * the records on it, its URL and its paging view: a change elsewhere in the catalogue leaves it, and its ETag,
   * as they were), and a page not cached assembled from the nodes kept per record version (see `page-render.ts`).
   */
  const sendPage = async (req: Request, res: Response, row: EnterpriseRow): Promise<void> => {
    const representation = negotiate(req.get('accept'));
    const { page, size } = cataloguePaging(req);
    const catalogue = await catalog.currentCatalogue(row);
    if (page > 1 && (page - 1) * size >= catalogue.entries.length) throw new NotFoundHttpError(`page ${page} is past the end of the catalogue`);
    // A page's records, and their hash, are the same for every request of the same snapshot: made once. The memo
    // is emptied when full (a client asking every page size would otherwise fill it).
    const memoKey = `page|${page}|${size}`;
    let memo = catalogue.memo.get(memoKey) as PageMemo | undefined;
    if (memo === undefined) {
      const records = pageRecords(catalogue, page, size);
      // Every record of a snapshot has its store version; one without would still get a version, from its content.
      memo = { records, hash: recordsVersion(records, (r) => catalogue.versionOf(r) ?? recordVersion(r)) as string };
      if (catalogue.memo.size >= MAX_PAGE_MEMOS) catalogue.memo.clear();
      catalogue.memo.set(memoKey, memo);
    }
    const { records } = memo;
    const view = pageView(req, page, size, catalogue.entries.length);
    const containerId = requestUrl(catalog, req);
    const version = pageVersion(memo.hash, containerId, view);
    const cacheKey = `page|${row.eid}|${representation.contentType}|${representation.format}|${representation.profile}|${version}`;
    let rendered = cache.get(cacheKey);
    if (rendered === undefined) {
      // A client holding this version (a peer syncing again after this node restarted, or a page evicted) is
      // answered 304 from the version alone, without rendering the page.
      representationHeaders(res, row, view, true);
      if (answeredNotModifiedUnrendered(req, res, versionEtag(version, representation), `${representation.contentType}; charset=utf-8`)) return;
      rendered = renderPage(records, catalogue.versionOf, representation, { containerId, version, ...(view !== undefined ? { view } : {}) }, fragments);
      cache.set(cacheKey, rendered);
    }
    await respond(req, res, rendered, row, rendered.view, true);
  };

  /**
   * A catalogue page with a caller's own records beside it (a buyer's open orders): rendered for this request
   * alone, never cached nor validated (no ETag), and stored by no cache. A record the page holds already (the
   * Offer an order line names) appears once, the page's, with the order's echo of its `dfc-b:offeredItem` (the
   * product the buyer ordered, by which Open Food Network matches its lines), not a second value beside it. The
   * orders are on the first page only.
   */
  const sendPersonalPage = async (req: Request, res: Response, row: EnterpriseRow, own: readonly DfcRecord[]): Promise<void> => {
    const representation = negotiate(req.get('accept'));
    const { page, size } = cataloguePaging(req);
    const catalogue = await catalog.currentCatalogue(row);
    if (page > 1 && (page - 1) * size >= catalogue.entries.length) throw new NotFoundHttpError(`page ${page} is past the end of the catalogue`);
    const echoed = new Map<string, NodeId>();
    for (const r of own) if (r.kind === 'Offer' && (r.offeredItem ?? r.item) !== undefined) echoed.set(r.id, (r.offeredItem ?? r.item) as NodeId);
    const records = pageRecords(catalogue, page, size).map((r) => {
      const offeredItem = r.kind === 'Offer' ? echoed.get(r.id) : undefined;
      return offeredItem === undefined ? r : { ...r, offeredItem };
    });
    const held = new Set(records.map((r) => r.id as string));
    const view = pageView(req, page, size, catalogue.entries.length);
    representationHeaders(res, row, view, true);
    // The orders change without the enterprise's date: no validator, or Express would answer If-Modified-Since 304.
    res.removeHeader('Last-Modified');
    res.setHeader('Cache-Control', 'private, no-store');
    // The orders (and the offers they name that are on other pages) once, on the first page: a client reading
    // every page must not meet each order again on each. Their echo of an offer holds on every page.
    const extra = page === 1 ? own.filter((r) => !held.has(r.id)) : [];
    const body = renderBody([...records, ...extra], representation, {
      containerId: requestUrl(catalog, req), ...(view !== undefined ? { view } : {}),
    });
    sendRendered(res, representation.contentType, body);
  };

  /**
   * Checks a write's preconditions (RFC 9110 §13.2.2, in its order) against the version the ETags of the current
   * state were made from: one read, no rendering. `If-Match` compares strongly (§13.1.1: a weak tag `W/"…"` never
   * matches); without it, `If-Unmodified-Since` compares the `Last-Modified` a GET gives (the enterprise's date, to
   * the second). `If-None-Match` compares weakly (§13.1.2): `*` (the resource exists: the read found it) or a tag of
   * the current state is a 412, as for every method but GET and HEAD. Answers what the write must still find when it
   * commits (so a change in between is a 412 too), with what was read, which the write starts from; `If-Match: *`
   * alone asks only that the resource exists, which the read checked (404 otherwise): it answers `exists`.
   *
   * @param modified - the date a GET gives as `Last-Modified` (read only for `If-Unmodified-Since`)
   */
  const precondition = async <T>(
    req: Request, current: () => Promise<{ version: string; condition: T; exists?: T }>, modified: () => Promise<string>,
  ): Promise<T | undefined> => {
    const ifMatch = etagList(req.get('if-match'), 'strong');
    const ifNoneMatch = etagList(req.get('if-none-match'));
    // An If-Unmodified-Since that is no HTTP date is ignored (§13.1.4), and so is one beside If-Match.
    const since = ifMatch === undefined ? httpDate(req.get('if-unmodified-since')) : Number.NaN;
    if (ifMatch === undefined && ifNoneMatch === undefined && Number.isNaN(since)) return undefined;
    const { version, condition, exists } = await current();
    if (ifMatch !== undefined && !ifMatch.includes('*') && !ifMatchMatchesVersion(ifMatch, version)) throw new PreconditionFailedHttpError(IF_MATCH_FAILED);
    if (!Number.isNaN(since) && Math.floor(Date.parse(await modified()) / 1000) * 1000 > since) {
      throw new PreconditionFailedHttpError('the resource was modified after the If-Unmodified-Since date; read it again, then write');
    }
    if (ifNoneMatch !== undefined && (ifNoneMatch.includes('*') || ifMatchMatchesVersion(ifNoneMatch, version))) {
      throw new PreconditionFailedHttpError(ifNoneMatch.includes('*')
        ? 'If-None-Match: * asks that the resource not exist, and it does: PUT replaces, POST to the collection creates'
        : 'the resource is in a state If-None-Match names');
    }
    return ifMatch?.includes('*') === true && ifNoneMatch === undefined ? exists : condition;
  };

  /**
   * The representation a write will answer in, negotiated before it changes anything: a write whose answer the
   * client cannot read is a 406 with nothing written (answered after the write, it said "refused" of a write made).
   */
  const answeredAs = (req: Request): Representation => negotiate(req.get('accept'));

  /** Renders the records a write answers with: one resource with its version's ETag, as its GET gives it. */
  const renderWritten = (representation: Representation, records: readonly DfcRecord[], version?: string): Rendered =>
    render(records, representation, { container: false, ...(version !== undefined ? { version } : {}) });

  const body = (req: Request): WriteBody => textBody(req);

  const allow = allowOnly;

  // ------------------------------------------------------------------ enterprises

  router.get('/enterprises', async (req, res) => {
    const principal = principalOf(res);
    const rows = (await catalog.listEnterprises()).filter((r) => !r.private || allows(principal, 'ReadEnterprise', r.eid));
    const { page, size } = paging(req);
    const pageRows = rows.slice((page - 1) * size, page * size);
    if (page > 1 && pageRows.length === 0) throw new NotFoundHttpError(`page ${page} is past the end of the list`);
    const records: DfcRecord[] = [];
    // Appended one by one: an enterprise's graph may hold more records than a call takes arguments.
    for (const row of pageRows) for (const record of (await catalog.enterpriseGraph(row.eid)).records) records.push(record);
    const view = pageView(req, page, size, rows.length);
    const representation = negotiate(req.get('accept'));
    const rendered = render(records, representation, { containerId: requestUrl(catalog, req), ...(view !== undefined ? { view } : {}) });
    const newest = rows.reduce((a, r) => (r.updatedAt > a ? r.updatedAt : a), new Date(0).toISOString());
    await respond(req, res, rendered, { eid: '', iri: '', name: '', private: rows.some((r) => r.private), version: 0, profileVersion: 0, updatedAt: newest }, view);
  });

  router.post('/enterprises', async (req, res) => {
    requireAdmin(res);
    const representation = answeredAs(req);
    const decoded = await catalog.decode(body(req), catalog.urls.enterprises());
    // `?Private=true` or `?private[]=true` ignored would make public what was meant to be private.
    for (const name of Object.keys(req.query)) {
      if (name !== 'private' && meantParameter(name, ['private']) !== undefined) {
        throw new BadRequestHttpError(`unknown query parameter ${JSON.stringify(name)}: did you mean private? (given once, true or false)`);
      }
    }
    const isPrivate = privateFlag(req.query['private']);
    const row = await catalog.createEnterprise(decoded.records, { private: isPrivate });
    const { records, version } = await catalog.enterpriseGraph(row.eid);
    const rendered = renderWritten(representation, records, version);
    res.status(201).setHeader('Location', row.iri).setHeader('ETag', rendered.etag);
    sendRendered(res, rendered.contentType, rendered.body);
  });
  router.all('/enterprises', allow(`${READ_METHODS}, POST`, true));

  router.get('/enterprises/:eid', async (req, res) => {
    const row = await catalog.enterpriseRow(req.params['eid'] as string);
    canRead(res, row, 'ReadEnterprise');
    await send(req, res, row, 'enterprise', async () => {
      const { records, version } = await catalog.enterpriseGraph(row.eid);
      return { records, version };
    });
  });

  router.put('/enterprises/:eid', async (req, res) => {
    const eid = req.params['eid'] as string;
    requireScope(res, 'WriteEnterprise', eid);
    const representation = answeredAs(req);
    const given = body(req);
    // The profile's ETag is made from its version; the write must then find the enterprise as it was read, and
    // starts from that row (the profile is replaced from the body: it needs nothing else read). With `*`, the
    // enterprise must only exist: the write is then unconditional.
    let row: EnterpriseRow | undefined;
    const expected = await precondition(req, async () => {
      row = await catalog.enterpriseRow(eid);
      return { version: profileVersionOf(row), condition: row };
    }, async () => (row ?? await catalog.enterpriseRow(eid)).updatedAt);
    // An unknown enterprise is a 404 before the body is read (the precondition's read checked it when there is one).
    if (expected === undefined) await catalog.enterpriseRow(eid);
    const decoded = await catalog.decode(given, catalog.urls.enterprise(eid));
    await catalog.replaceProfile(eid, decoded.records, expected);
    const { records, version } = await catalog.enterpriseGraph(eid);
    const rendered = renderWritten(representation, records, version);
    res.status(200).setHeader('ETag', rendered.etag);
    sendRendered(res, rendered.contentType, rendered.body);
  });
  // Removal is the node operator's: an enterprise's own token cannot take it off the node.
  router.delete('/enterprises/:eid', async (req, res) => {
    requireAdmin(res);
    await catalog.removeEnterprise(req.params['eid'] as string);
    res.status(204).end();
  });
  router.all('/enterprises/:eid', allow(`${READ_METHODS}, PUT, DELETE`));

  // ------------------------------------------------------------------ catalogue collections

  // `SuppliedProducts` is the FDC spelling: Open Food Network derives an orders collection from a product `@id` by
  // replacing `/SuppliedProducts` with `/Orders`, so the products answer there too (the same resources).
  for (const collection of ['catalog_items', 'supplied_products', 'SuppliedProducts'] as const) {
    router.get(`/enterprises/:eid/${collection}`, async (req, res) => {
      const row = await catalog.enterpriseRow(req.params['eid'] as string);
      canRead(res, row, 'ReadProducts');
      const open = collection === 'supplied_products' && args.openOrders !== undefined ? await args.openOrders(res, row.eid) : [];
      if (open.length > 0) await sendPersonalPage(req, res, row, open);
      else await sendPage(req, res, row);
    });
  }

  router.post('/enterprises/:eid/supplied_products', async (req, res) => {
    const eid = req.params['eid'] as string;
    // Without a credential no body is read, so whether it is products or an order (Open Food Network posts its orders
    // here) is unknown: a 401 saying what each needs, the same whether the enterprise is here, private or unknown.
    requireCaller(res, 'this needs an API token: with the WriteProducts scope to add products here, or WriteOrders to place an order here (Open Food Network posts its orders to this URL)');
    requireScope(res, 'WriteProducts', eid);
    const representation = answeredAs(req);
    await catalog.enterpriseRow(eid);
    // Several products in one body: the valid ones are created and the rejected ones listed in the answer; when
    // no product of the body is valid, the request as a whole is refused (422), as for one product.
    const decoded = await catalog.decode(body(req), catalog.urls.collection(eid, 'supplied_products'), { partial: true });
    const accepted = acceptedProducts(decoded.records, decoded.rejected);
    if (decoded.rejected.length > 0 && !accepted.records.some((r) => r.kind === 'SuppliedProduct')) {
      throw new UnprocessableEntityHttpError(`${decoded.rejected.length} resource(s) are not valid DFC`, { problems: decoded.problems });
    }
    const written = await catalog.createProducts(eid, accepted.records);
    const product = written.find((r) => r.kind === 'SuppliedProduct' && r.variants.length === 0) ?? written[0];
    const rendered = renderWritten(representation, written, written.length === 1 ? recordVersion(written[0] as DfcRecord) : undefined);
    const rejected = rejectionsOf(decoded, accepted);
    res.status(201).setHeader('Location', product?.id ?? '').setHeader('ETag', rendered.etag);
    sendRendered(res, rendered.contentType, rejected.length > 0 ? withRejections(rendered, rejected) : rendered.body);
  });
  router.all('/enterprises/:eid/supplied_products', allow(`${READ_METHODS}, POST`, true));
  router.all('/enterprises/:eid/catalog_items', allow(READ_METHODS));

  // ------------------------------------------------------------------ catalogue resources

  const getResource = (collection: Collection) => async (req: Request, res: Response): Promise<void> => {
    const eid = req.params['eid'] as string;
    const id = req.params['id'] as string;
    const row = await catalog.enterpriseRow(eid);
    canRead(res, row, 'ReadProducts');
    await send(req, res, row, `${collection}/${id}`, async () => {
      const { record, version } = await catalog.resource(eid, collection, id);
      return { records: [record], version };
    });
  };

  /**
   * A write to one catalogue resource: WriteProducts on the enterprise, 404 before anything else, If-Match
   * against the current state, then the update; answers the written records.
   */
  const writeResource = (
    collection: Collection,
    update: (eid: string, id: string, given: WriteBody | undefined, expected: WriteCondition | undefined, res: Response) => Promise<readonly DfcRecord[] | undefined>,
    options: { readonly needsBody: boolean },
  ) => async (req: Request, res: Response): Promise<void> => {
    const eid = req.params['eid'] as string;
    const id = req.params['id'] as string;
    requireScope(res, 'WriteProducts', eid);
    // A write that answers with nothing (a DELETE: 204) has no representation to agree on.
    const representation = options.needsBody ? answeredAs(req) : undefined;
    const given = options.needsBody ? body(req) : undefined;
    // A missing resource answers 404, not 412 (the read of the version is the check). The write starts its
    // read-modify-write from that read (no second one), and its commit still requires the resource as read; with
    // `*`, only that it exists (the write then applies over any concurrent change, as one without If-Match).
    const expected = await precondition(req, async () => {
      const read = await catalog.resource(eid, collection, id);
      return { version: read.version, condition: read, exists: { ...read, anyVersion: true } };
    }, async () => (await catalog.enterpriseRow(eid)).updatedAt);
    const written = await update(eid, id, given, expected, res);
    if (written === undefined) {
      res.status(204).end();
      return;
    }
    // One resource written answers with the ETag its GET gives (the version of what was just stored).
    const rendered = renderWritten(representation ?? answeredAs(req), written, written.length === 1 ? recordVersion(written[0] as DfcRecord) : undefined);
    res.status(200).setHeader('ETag', rendered.etag);
    sendRendered(res, rendered.contentType, rendered.body);
  };

  router.get('/enterprises/:eid/supplied_products/:id', getResource('supplied_products'));
  router.get('/enterprises/:eid/SuppliedProducts/:id', getResource('supplied_products'));
  router.all('/enterprises/:eid/SuppliedProducts/:id', allow(READ_METHODS));
  router.all('/enterprises/:eid/SuppliedProducts', allow(READ_METHODS));
  router.put('/enterprises/:eid/supplied_products/:id', writeResource('supplied_products', async (eid, id, given, expected) => {
    // PUT replaces, it creates nothing: a product (or enterprise) that is not there is a 404 before the body is read,
    // as for items and offers. Without If-Match, the write starts from that read and asks only that the product
    // still exists, as with `If-Match: *`.
    const condition = expected ?? { ...(await catalog.resource(eid, 'supplied_products', id)), anyVersion: true };
    const decoded = await catalog.decode(given as WriteBody, catalog.urls.resource(eid, 'supplied_products', id));
    return catalog.replaceProduct(eid, id, decoded.records, condition, decoded.unstatedStock);
  }, { needsBody: true }));
  router.delete('/enterprises/:eid/supplied_products/:id', writeResource('supplied_products', async (eid, id, _given, expected) => {
    await catalog.deleteProduct(eid, id, expected);
    return undefined;
  }, { needsBody: false }));
  router.all('/enterprises/:eid/supplied_products/:id', allow(`${READ_METHODS}, PUT, DELETE`));

  router.get('/enterprises/:eid/catalog_items/:id', getResource('catalog_items'));
  const catalogItemWrite = writeResource('catalog_items',
    async (eid, id, given, expected, res) => [await catalog.updateCatalogItem(eid, id, given as WriteBody, expected, res.locals[READ_AHEAD] as ReadAhead | undefined)],
    { needsBody: true });
  router.put('/enterprises/:eid/catalog_items/:id', catalogItemWrite);
  router.all('/enterprises/:eid/catalog_items/:id', allow(`${READ_METHODS}, PUT`));

  router.get('/enterprises/:eid/offers/:id', getResource('offers'));
  router.put('/enterprises/:eid/offers/:id', writeResource('offers',
    async (eid, id, given, expected) => [await catalog.updateOffer(eid, id, given as WriteBody, expected)], { needsBody: true }));
  router.all('/enterprises/:eid/offers/:id', allow(`${READ_METHODS}, PUT`));

  for (const collection of ['sale_sessions', 'customer_categories', 'catalogs'] as const) {
    router.get(`/enterprises/:eid/${collection}/:id`, getResource(collection));
    router.all(`/enterprises/:eid/${collection}/:id`, allow(READ_METHODS));
  }

  // ------------------------------------------------------------------ profile resources

  for (const [path, kind] of [['persons', 'Person'], ['addresses', 'Address']] as const) {
    router.get(`/${path}/:id`, async (req, res) => {
      const id = req.params['id'] as string;
      const { row, record, version } = await catalog.profileResource(kind, id);
      canRead(res, row, 'ReadEnterprise', () => unknownProfileResource(kind, id));
      await send(req, res, row, `${path}/${record.id}`, async () => ({ records: [record], version }));
    });
    router.all(`/${path}/:id`, allow(READ_METHODS));
  }

  return Object.assign(router, { catalogItemWrite });
}

/** One resource of a write's body that was not written, with why. */
interface Rejection {
  readonly id: string;
  readonly type: string | null;
  readonly problems: readonly Pick<Problem, 'code' | 'severity' | 'path' | 'message'>[];
}

/**
 * `?private=` of an enterprise's creation: `true`/`false` as flags are written (`1`, `yes`, `on`, in any case), absent
 * for public. Anything else is a 400: `?private=1` created a public enterprise without a word.
 */
function privateFlag(value: unknown): boolean {
  if (value === undefined) return false;
  const text = typeof value === 'string' ? value.trim().toLowerCase() : undefined;
  if (text !== undefined && ['true', '1', 'yes', 'on'].includes(text)) return true;
  if (text !== undefined && ['false', '0', 'no', 'off'].includes(text)) return false;
  throw new BadRequestHttpError(`private must be true or false (also 1/0, yes/no, on/off), given once; not ${JSON.stringify(value)}`);
}

/** The resources a partial write left out: the rejected ones, then those that depended on them. */
function rejectionsOf(decoded: DecodeResult, accepted: Accepted): Rejection[] {
  const slim = (p: Problem): Rejection['problems'][number] => ({ code: p.code, severity: p.severity, path: p.path, message: p.message });
  return [
    ...decoded.rejected.map((r) => ({ id: r.id, type: r.type, problems: r.problems.map(slim) })),
    ...accepted.dependents.map((d) => ({
      id: d.id, type: `dfc-b:${d.kind}`,
      problems: [{ code: 'dangling-link' as const, severity: 'error' as const, path: '', message: `depends on rejected ${d.because}` }],
    })),
  ];
}

/**
 * The body of a write that left resources out, listing them: in JSON-LD as a top-level `rejected` member (a
 * name the DFC context does not define, so JSON-LD processors drop it and DFC clients read the same graph);
 * in Turtle, N-Triples and N-Quads as comment lines before the data.
 */
function withRejections(rendered: Rendered, rejected: readonly Rejection[]): string {
  if (rendered.contentType.includes('json')) {
    const document = JSON.parse(rendered.body) as Record<string, unknown>;
    return JSON.stringify({ ...document, rejected });
  }
  const comments = rejected.flatMap((r) => r.problems.map((p) => `# rejected <${r.id}>: ${p.message.replace(/[\r\n]+/gu, ' ')}\n`));
  return `${comments.join('')}${rendered.body}`;
}
