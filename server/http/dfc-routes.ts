/**
 * The DFC publish and write API under `/api/dfc`, in the paths Open Food Network serves.
 *
 * HTTP only: parse the request, check rights, call the catalogue service, negotiate and render. Every error
 * is thrown and answered by the error funnel.
 *
 * @packageDocumentation
 */
import { Router, type Request, type Response } from 'express';
import type { DfcRecord } from '../../ontology/records.js';
import { principalOf, requireAdmin, requireScope } from '../auth/middleware.js';
import { allows, type Scope } from '../auth/tokens.js';
import type { CatalogService, Catalogue, WriteBody } from '../catalog/catalog-service.js';
import type { Collection } from '../urls/node-urls.js';
import { BadRequestHttpError, MethodNotAllowedHttpError, NotFoundHttpError, PreconditionFailedHttpError } from '../errors/http-error.js';
import type { EnterpriseRow } from '../store/store.js';
import { ACCEPTED_BODY_TYPES, bodyMediaType, negotiate, type Representation } from './negotiate.js';
import { answeredNotModified, etagList, render, type PageView, type RenderCache, type Rendered } from './render.js';

/** Options of {@link dfcRoutes}. */
export interface DfcRoutesArgs {
  readonly catalog: CatalogService;
  readonly cache: RenderCache;
  /** Default page size of collections. */
  readonly pageSize: number;
  /** Largest page size a client may ask for. */
  readonly maxPageSize: number;
}

const READ_METHODS = 'GET, HEAD, OPTIONS';

function requestUrl(catalog: CatalogService, req: Request): string {
  return `${catalog.urls.base}${req.originalUrl.split('?')[0] ?? ''}`;
}

/** Builds the router. */
export function dfcRoutes(args: DfcRoutesArgs): Router {
  const { catalog, cache } = args;
  const router = Router();

  /** Checks read access to an enterprise: public unless private. */
  const canRead = (res: Response, row: EnterpriseRow, scope: Scope): void => {
    if (row.private) requireScope(res, scope, row.eid);
  };

  /** Paging parameters of a request. */
  const paging = (req: Request): { page: number; size: number } => {
    const page = req.query['page'] === undefined ? 1 : Number(req.query['page']);
    const size = req.query['page_size'] === undefined ? args.pageSize : Number(req.query['page_size']);
    if (!Number.isInteger(page) || page < 1) throw new BadRequestHttpError('page must be a positive integer');
    if (!Number.isInteger(size) || size < 1 || size > args.maxPageSize) {
      throw new BadRequestHttpError(`page_size must be an integer from 1 to ${args.maxPageSize}`);
    }
    return { page, size };
  };

  const pageView = (req: Request, page: number, size: number, total: number): PageView | undefined => {
    if (total <= size && page === 1) return undefined;
    const url = requestUrl(catalog, req);
    const at = (p: number) => `${url}?page=${p}&page_size=${size}`;
    const last = Math.max(1, Math.ceil(total / size));
    return {
      self: at(page),
      first: at(1),
      ...(page < last ? { next: at(page + 1) } : {}),
      ...(page > 1 ? { previous: at(Math.min(page - 1, last)) } : {}),
    };
  };

  /**
   * Answers a GET with a rendered representation, honouring If-None-Match, from the cache when the
   * enterprise has not changed.
   */
  const send = async (
    req: Request, res: Response, row: EnterpriseRow, key: string,
    produce: (representation: Representation) => Promise<{ records: readonly DfcRecord[]; view?: PageView }>,
    collection = false,
  ): Promise<void> => {
    const representation = negotiate(req.get('accept'));
    // The body names the request URL (container id, paging links): the path is part of the key.
    const cacheKey = `${row.eid}@${row.version}|${req.path}|${key}|${representation.contentType}|${representation.format}`;
    let rendered = cache.get(cacheKey);
    if (rendered === undefined) {
      const { records, view } = await produce(representation);
      rendered = {
        ...render(records, representation, {
          ...(collection ? { containerId: requestUrl(catalog, req) } : { container: false }),
          ...(view !== undefined ? { view } : {}),
        }),
        ...(view !== undefined ? { view } : {}),
      };
      cache.set(cacheKey, rendered);
    }
    respond(req, res, rendered, row, rendered.view);
  };

  const respond = (req: Request, res: Response, rendered: Rendered, row: EnterpriseRow, view?: PageView): void => {
    res.setHeader('ETag', rendered.etag);
    res.setHeader('Last-Modified', new Date(row.updatedAt).toUTCString());
    res.setHeader('Vary', 'Accept, Authorization, X-Api-Token');
    res.setHeader('Cache-Control', row.private ? 'private, no-cache' : 'no-cache');
    const links: string[] = [];
    if (view?.next !== undefined) links.push(`<${view.next}>; rel="next"`);
    if (view?.previous !== undefined) links.push(`<${view.previous}>; rel="prev"`);
    if (view !== undefined) links.push(`<${view.first}>; rel="first"`);
    if (links.length > 0) res.setHeader('Link', links.join(', '));
    if (answeredNotModified(req, res, rendered.etag)) return;
    res.status(200).setHeader('Content-Type', `${rendered.contentType}; charset=utf-8`);
    res.end(rendered.bytes);
  };

  /** The whole catalogue, paged by product. */
  const cataloguePage = (req: Request, catalogue: Catalogue): { records: DfcRecord[]; view?: PageView } => {
    const { page, size } = paging(req);
    const entries = catalogue.entries.slice((page - 1) * size, page * size);
    if (page > 1 && entries.length === 0) throw new NotFoundHttpError(`page ${page} is past the end of the catalogue`);
    const records: DfcRecord[] = [];
    const seenGroups = new Set<string>();
    for (const entry of entries) {
      for (const groupId of entry.product.variantOf) {
        const group = catalogue.groups.get(groupId);
        if (group !== undefined && !seenGroups.has(groupId)) {
          seenGroups.add(groupId);
          records.push(group);
        }
      }
      records.push(entry.product, ...entry.items, ...entry.offers);
    }
    const view = pageView(req, page, size, catalogue.entries.length);
    return { records, ...(view !== undefined ? { view } : {}) };
  };

  /** Checks `If-Match` against every representation of the current state; returns the version it saw. */
  const precondition = async (req: Request, eid: string, current: () => Promise<readonly DfcRecord[]>): Promise<number | undefined> => {
    const ifMatch = etagList(req.get('if-match'));
    if (ifMatch === undefined) return undefined;
    const version = await catalog.version(eid);
    if (ifMatch.includes('*')) return version;
    const records = await current();
    for (const accept of ['application/ld+json', 'application/ld+json; profile="dfc-v2"', 'text/turtle', 'application/n-triples', 'application/n-quads']) {
      const representation = negotiate(accept);
      // As the GET of one resource renders it: no container.
      if (ifMatch.includes(render(records, representation, { container: false }).etag)) return version;
      if (ifMatch.includes(render(records, { ...representation, contentType: 'application/json' }, { container: false }).etag)) return version;
    }
    throw new PreconditionFailedHttpError('the resource changed since that ETag (If-Match does not match)');
  };

  const body = (req: Request): WriteBody => {
    const mediaType = bodyMediaType(req.get('content-type'));
    const text = typeof req.body === 'string' ? req.body : '';
    if (text.trim() === '') throw new BadRequestHttpError('the request body is empty');
    return { text, mediaType };
  };

  const allow = (methods: string, acceptPost = false) => (req: Request, res: Response): void => {
    res.setHeader('Allow', methods);
    if (acceptPost) res.setHeader('Accept-Post', ACCEPTED_BODY_TYPES.join(', '));
    if (req.method === 'OPTIONS') {
      res.status(204).end();
      return;
    }
    throw new MethodNotAllowedHttpError(`${req.method} is not allowed on ${req.originalUrl.split('?')[0] ?? ''}; allowed: ${methods}`, {
      headers: { Allow: methods },
    });
  };

  // ------------------------------------------------------------------ enterprises

  router.get('/enterprises', async (req, res) => {
    const principal = principalOf(res);
    const rows = (await catalog.listEnterprises()).filter((r) => !r.private || allows(principal, 'ReadEnterprise', r.eid));
    const { page, size } = paging(req);
    const pageRows = rows.slice((page - 1) * size, page * size);
    if (page > 1 && pageRows.length === 0) throw new NotFoundHttpError(`page ${page} is past the end of the list`);
    const records: DfcRecord[] = [];
    for (const row of pageRows) records.push(...(await catalog.enterpriseGraph(row.eid)).records);
    const view = pageView(req, page, size, rows.length);
    const representation = negotiate(req.get('accept'));
    const rendered = render(records, representation, { containerId: requestUrl(catalog, req), ...(view !== undefined ? { view } : {}) });
    const newest = rows.reduce((a, r) => (r.updatedAt > a ? r.updatedAt : a), new Date(0).toISOString());
    respond(req, res, rendered, { eid: '', iri: '', name: '', private: rows.some((r) => r.private), version: 0, updatedAt: newest }, view);
  });

  router.post('/enterprises', async (req, res) => {
    requireAdmin(res);
    const decoded = await catalog.decode(body(req), catalog.urls.enterprises());
    const isPrivate = req.query['private'] === 'true';
    const row = await catalog.createEnterprise(decoded.records, { private: isPrivate });
    const { records } = await catalog.enterpriseGraph(row.eid);
    const rendered = render(records, negotiate(req.get('accept')), { container: false });
    res.status(201).setHeader('Location', row.iri).setHeader('ETag', rendered.etag).type(rendered.contentType).send(rendered.body);
  });
  router.all('/enterprises', allow(`${READ_METHODS}, POST`, true));

  router.get('/enterprises/:eid', async (req, res) => {
    const row = await catalog.enterpriseRow(req.params['eid'] as string);
    canRead(res, row, 'ReadEnterprise');
    await send(req, res, row, 'enterprise', async () => ({ records: (await catalog.enterpriseGraph(row.eid)).records }));
  });

  router.put('/enterprises/:eid', async (req, res) => {
    const eid = req.params['eid'] as string;
    requireScope(res, 'WriteEnterprise', eid);
    const given = body(req);
    const expected = await precondition(req, eid, async () => (await catalog.enterpriseGraph(eid)).records);
    const decoded = await catalog.decode(given, catalog.urls.enterprise(eid));
    await catalog.updateEnterprise(eid, decoded.records, expected);
    const { records } = await catalog.enterpriseGraph(eid);
    const rendered = render(records, negotiate(req.get('accept')), { container: false });
    res.status(200).setHeader('ETag', rendered.etag).type(rendered.contentType).send(rendered.body);
  });
  router.all('/enterprises/:eid', allow(`${READ_METHODS}, PUT`));

  // ------------------------------------------------------------------ catalogue collections

  for (const collection of ['catalog_items', 'supplied_products'] as const) {
    router.get(`/enterprises/:eid/${collection}`, async (req, res) => {
      const row = await catalog.enterpriseRow(req.params['eid'] as string);
      canRead(res, row, 'ReadProducts');
      const { page, size } = paging(req);
      await send(req, res, row, `catalogue|${page}|${size}`, async () => cataloguePage(req, await catalog.catalogue(row.eid)), true);
    });
  }

  router.post('/enterprises/:eid/supplied_products', async (req, res) => {
    const eid = req.params['eid'] as string;
    requireScope(res, 'WriteProducts', eid);
    await catalog.enterpriseRow(eid);
    const decoded = await catalog.decode(body(req), catalog.urls.collection(eid, 'supplied_products'));
    const written = await catalog.createProducts(eid, decoded.records);
    const product = written.find((r) => r.kind === 'SuppliedProduct' && r.variants.length === 0) ?? written[0];
    const rendered = render(written, negotiate(req.get('accept')), { container: false });
    res.status(201).setHeader('Location', product?.id ?? '').setHeader('ETag', rendered.etag).type(rendered.contentType).send(rendered.body);
  });
  router.all('/enterprises/:eid/supplied_products', allow(`${READ_METHODS}, POST`, true));
  router.all('/enterprises/:eid/catalog_items', allow(READ_METHODS));

  // ------------------------------------------------------------------ catalogue resources

  const getResource = (collection: Collection) => async (req: Request, res: Response): Promise<void> => {
    const eid = req.params['eid'] as string;
    const id = req.params['id'] as string;
    const row = await catalog.enterpriseRow(eid);
    canRead(res, row, 'ReadProducts');
    await send(req, res, row, `${collection}/${id}`, async () => ({ records: [(await catalog.resource(eid, collection, id)).record] }));
  };

  /**
   * A write to one catalogue resource: WriteProducts on the enterprise, 404 before anything else, If-Match
   * against the current state, then the update; answers the written records.
   */
  const writeResource = (
    collection: Collection,
    update: (eid: string, id: string, given: WriteBody | undefined, expected: number | undefined) => Promise<readonly DfcRecord[] | undefined>,
    options: { readonly needsBody: boolean },
  ) => async (req: Request, res: Response): Promise<void> => {
    const eid = req.params['eid'] as string;
    const id = req.params['id'] as string;
    requireScope(res, 'WriteProducts', eid);
    const given = options.needsBody ? body(req) : undefined;
    // With If-Match, a missing resource must answer 404, not 412: check it first (the update checks it anyway).
    if (req.get('if-match') !== undefined) await catalog.resource(eid, collection, id);
    const expected = await precondition(req, eid, async () => [(await catalog.resource(eid, collection, id)).record]);
    const written = await update(eid, id, given, expected);
    if (written === undefined) {
      res.status(204).end();
      return;
    }
    const rendered = render(written, negotiate(req.get('accept')), { container: false });
    res.status(200).setHeader('ETag', rendered.etag).type(rendered.contentType).send(rendered.body);
  };

  router.get('/enterprises/:eid/supplied_products/:id', getResource('supplied_products'));
  router.put('/enterprises/:eid/supplied_products/:id', writeResource('supplied_products', async (eid, id, given, expected) => {
    const decoded = await catalog.decode(given as WriteBody, catalog.urls.resource(eid, 'supplied_products', id));
    return catalog.replaceProduct(eid, id, decoded.records, expected);
  }, { needsBody: true }));
  router.delete('/enterprises/:eid/supplied_products/:id', writeResource('supplied_products', async (eid, id, _given, expected) => {
    await catalog.deleteProduct(eid, id, expected);
    return undefined;
  }, { needsBody: false }));
  router.all('/enterprises/:eid/supplied_products/:id', allow(`${READ_METHODS}, PUT, DELETE`));

  router.get('/enterprises/:eid/catalog_items/:id', getResource('catalog_items'));
  router.put('/enterprises/:eid/catalog_items/:id', writeResource('catalog_items',
    async (eid, id, given, expected) => [await catalog.updateCatalogItem(eid, id, given as WriteBody, expected)], { needsBody: true }));
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
      const { row, record } = await catalog.profileResource(kind, req.params['id'] as string);
      canRead(res, row, 'ReadEnterprise');
      await send(req, res, row, `${path}/${record.id}`, async () => ({ records: [record] }));
    });
    router.all(`/${path}/:id`, allow(READ_METHODS));
  }

  return router;
}
