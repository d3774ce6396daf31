/**
 * The federated catalogue under `/api/federation`: our own and every peer's offers, merged, with regional
 * filters, as DFC (JSON-LD, Turtle, N-Triples), as N-Quads with one named graph per source, as CSV, and
 * summarised for a local authority.
 *
 * @packageDocumentation
 */
import { Router, type Request, type Response } from 'express';
import { meantParameter } from './query-params.js';
import type { CataloguePlace, CatalogueQuery, FederationService, TableRow } from '../federation/federation-service.js';
import type { RowOrder } from '../store/federation.js';
import { BadRequestHttpError, NotFoundHttpError } from '../errors/http-error.js';
import { serializeNQuadsByGraphBytes } from '../codec/serialize.js';
import { negotiate } from './negotiate.js';
import { pageParams, requestIri } from './page-params.js';
import { CURSOR_PARAM, catalogueCursor, catalogueCursorOf } from './cursor.js';
import { etagOf, sendBody, render, viewRecord, type PageView } from './render.js';

/** Options of {@link federationRoutes}. */
export interface FederationRoutesArgs {
  readonly service: FederationService;
  /** The node's public base URL (for page links and graph names). */
  readonly base: string;
  readonly pageSize: number;
  readonly maxPageSize: number;
}

/** Paging's parameters. */
const PAGED = ['page', 'page_size'];

/** The catalogue's paging parameters: a page by number, or after where the previous one ended. */
const CATALOGUE_PAGED = [...PAGED, CURSOR_PARAM];

/** The filters every federated route takes, by query parameter. */
const FILTERS = [['type', 'type'], ['q', 'q'], ['near', 'near'], ['radius_km', 'radiusKm'], ['in_stock', 'inStock'],
  ['enterprise', 'enterprise'], ['peer', 'peer']] as const;

/**
 * The filters of a request; a 400 for a parameter that looks meant for one of the route's (see {@link meantParameter}).
 *
 * @param more - the route's other parameters (`page`, `sort`…)
 */
function queryOf(req: Request, more: readonly string[] = []): CatalogueQuery {
  const taken = [...FILTERS.map(([param]) => param), ...more];
  for (const name of Object.keys(req.query)) {
    if (taken.includes(name)) continue;
    const meant = meantParameter(name, taken);
    if (meant !== undefined) {
      throw new BadRequestHttpError(`unknown query parameter ${JSON.stringify(name)}: did you mean ${meant}? (${req.path} takes ${taken.join(', ')}, each once)`);
    }
  }
  const get = (name: string): string | undefined => {
    const value = req.query[name];
    if (value === undefined) return undefined;
    if (typeof value !== 'string') throw new BadRequestHttpError(`${name} must be given once`);
    return value;
  };
  const query: Record<string, string> = {};
  for (const [param, key] of FILTERS) {
    const value = get(param);
    if (value !== undefined) query[key] = value;
  }
  return query as CatalogueQuery;
}

/**
 * The separators `sep=` takes, by what people write (`;` and `%3B`, a tab, or their names). A Map, not an object:
 * `sep=constructor` or `sep=__proto__` must find nothing, not what every object has.
 */
const SEPARATORS: ReadonlyMap<string, ',' | ';' | '\t'> = new Map([
  [',', ','], [';', ';'], ['\t', '\t'], ['comma', ','], ['semicolon', ';'], ['tab', '\t'],
]);

/**
 * How the CSV is written: `sep` (`,`, `;` or tab; `;` by default when the request's `Accept-Language` prefers
 * French, else `,`), `decimal` (`comma` or `point`; comma by default in French), and the language of the
 * product type labels.
 */
function csvFormatOf(req: Request): { separator: ',' | ';' | '\t'; decimalComma: boolean; language: 'fr' | 'en' } {
  const language = req.acceptsLanguages('en', 'fr') === 'fr' ? 'fr' : 'en';
  const sep = req.query['sep'];
  const decimal = req.query['decimal'];
  if (sep !== undefined && (typeof sep !== 'string' || !SEPARATORS.has(sep))) {
    throw new BadRequestHttpError('sep must be one of ",", ";" or a tab (also written comma, semicolon or tab)');
  }
  if (decimal !== undefined && decimal !== 'comma' && decimal !== 'point') throw new BadRequestHttpError('decimal must be comma or point');
  return {
    separator: sep === undefined ? (language === 'fr' ? ';' : ',') : (SEPARATORS.get(sep) as ',' | ';' | '\t'),
    decimalComma: decimal === undefined ? language === 'fr' : decimal === 'comma',
    language,
  };
}

/** The largest page of `/rows`: a screenful of people, not an export (the CSV is). */
const MAX_ROWS_PAGE = 500;

/**
 * How deep `/rows` pages: the database must skip every row before a page, and nobody reads the 50,001st row of a
 * table (the CSV is the way to everything). Counted in rows, so that a large page size does not go deeper.
 */
export const MAX_ROWS_DEPTH = 50_000;

/** The most producers `/producers` lists: more is unreadable on a map, and a map can filter. */
const MAX_PRODUCERS = 2000;

/** What `/rows` sorts by. */
const SORT_KEYS = ['name', 'typeLabel', 'price', 'stock', 'enterpriseName', 'city', 'postcode', 'sourceName'] as const satisfies readonly (keyof TableRow)[];

/** Builds the router. */
export function federationRoutes(args: FederationRoutesArgs): Router {
  const router = Router();
  const { service } = args;

  const send = async (req: Request, res: Response, body: string | Buffer, contentType: string, links: string[] = [], vary = 'Accept'): Promise<void> => {
    const etag = etagOf(body, contentType);
    res.setHeader('Vary', vary);
    res.setHeader('Cache-Control', 'no-cache');
    if (links.length > 0) res.setHeader('Link', links.join(', '));
    res.status(200);
    await sendBody(req, res, { bytes: typeof body === 'string' ? Buffer.from(body, 'utf8') : body, contentType: `${contentType}; charset=utf-8`, etag });
  };

  /** The page asked for: its number and size, checked. */
  const pageOf = (req: Request): { number: number; size: number } => {
    const { page, size } = pageParams(req, args.pageSize, args.maxPageSize);
    return { number: page, size };
  };

  /**
   * The paging view of a page of `total` rows (none when one page holds them all). Its `next` is always a cursor
   * (`after=`, where this page ended): a walk along the next links is stable whatever changes meanwhile, which a
   * page number is not. `first`, `last` and `previous` are numbered pages: no walk goes through them.
   *
   * @param cursor - the page came from a cursor (it has a view even when short: the walk is paged)
   */
  const viewOf = (req: Request, number: number, size: number, total: number, shown: number, next: CataloguePlace | number | undefined, cursor: boolean): PageView | undefined => {
    if (!cursor && number > 1 && shown === 0) throw new NotFoundHttpError(`page ${number} is past the end`);
    if (!cursor && next === undefined && total <= size && number === 1) return undefined;
    const params = new URLSearchParams(Object.entries(req.query).filter(([k, v]) => !CATALOGUE_PAGED.includes(k) && typeof v === 'string') as [string, string][]);
    const at = (p: number | CataloguePlace): string => {
      const copy = new URLSearchParams(params);
      if (typeof p === 'number') copy.set('page', String(p));
      copy.set('page_size', String(size));
      if (typeof p !== 'number') copy.set(CURSOR_PARAM, catalogueCursor(p, number + 1));
      return `${args.base}${req.baseUrl}${req.path}?${copy.toString()}`;
    };
    const last = Math.max(1, Math.ceil(total / size));
    return {
      self: requestIri(args.base, req), first: at(1), last: at(last), ...(next !== undefined ? { next: at(next) } : {}),
      ...(number > 1 ? { previous: at(Math.min(number - 1, last)) } : {}),
    };
  };

  router.get('/catalog', async (req, res) => {
    const representation = negotiate(req.get('accept'));
    const { number: asked, size } = pageOf(req);
    const cursor = catalogueCursorOf(req);
    const number = cursor?.page ?? asked;
    // N-Quads carry provenance: every source's word, each in its own graph. Other formats: the winners only. Read
    // while the matches are counted.
    const { total, rows: pageRows, extra: groups, next } = await service.cataloguePage(queryOf(req, CATALOGUE_PAGED), cursor?.place ?? number, size,
      (found) => (representation.format === 'nquads' ? service.recordsBySource(found) : service.records(found)));
    const view = viewOf(req, number, size, total, pageRows.length, next, cursor !== undefined);
    const links = view === undefined ? [] : [
      ...(view.next !== undefined ? [`<${view.next}>; rel="next"`] : []), ...(view.previous !== undefined ? [`<${view.previous}>; rel="prev"`] : []),
      `<${view.first}>; rel="first"`, ...(view.last !== undefined ? [`<${view.last}>; rel="last"`] : []),
    ];
    if (representation.format === 'nquads') {
      const graphOf = (source: string): string => (source.startsWith('peer:')
        ? `${args.base}/api/sync/peers/${source.slice('peer:'.length)}`
        : `${args.base}/api/dfc/enterprises/${encodeURIComponent(source.slice('local:'.length))}`);
      // The paging view is in the default graph: it describes this page, and a client that follows `hydra:next`
      // (from the view whose `@id` is the URL it asked for) must find it in N-Quads as in every other format.
      const sources = groups.map((g) => ({ graph: graphOf(g.source), records: g.records }));
      await send(req, res, serializeNQuadsByGraphBytes(view === undefined ? sources : [...sources, { records: [viewRecord(view)] }], { profile: representation.profile }),
        representation.contentType, links);
      return;
    }
    const rendered = render(groups.flatMap((g) => g.records), representation, {
      containerId: requestIri(args.base, req), ...(view !== undefined ? { view } : {}),
    });
    await send(req, res, rendered.bytes, representation.contentType, links);
  });

  router.get('/catalog.csv', async (req, res) => {
    const format = csvFormatOf(req);
    // Every match of a text, not only the best ones a page lists first: a spreadsheet of a text's offers holds them all.
    const rows = await service.rows(await service.query(queryOf(req, ['sep', 'decimal']), { all: true }));
    res.setHeader('Content-Disposition', 'attachment; filename="federated-catalog.csv"');
    // The defaults follow the reader's language: a French spreadsheet wants `;` and decimal commas.
    await send(req, res, await service.csv(rows, format), 'text/csv', [], 'Accept, Accept-Language');
  });

  // Plain JSON for a page of people: the dashboard's table pages and sorts here, so that a browser never
  // loads the whole catalogue (the DFC pages carry every resource of an offer, and cannot be sorted). The
  // database sorts and cuts the page: a territory's 100,000 offers never come to JavaScript.
  router.get('/rows', async (req, res) => {
    const { page: number, size } = pageParams(req, 25, MAX_ROWS_PAGE);
    if (number * size > MAX_ROWS_DEPTH) {
      throw new BadRequestHttpError(`pages reach the first ${MAX_ROWS_DEPTH} rows only (page ${Math.floor(MAX_ROWS_DEPTH / size)} at most with page_size=${size}): narrow the filters, or export the CSV`);
    }
    const sort = req.query['sort'] ?? 'relevance';
    const key = typeof sort === 'string' ? sort.replace(/^-/u, '') : '';
    if (key !== 'relevance' && !SORT_KEYS.includes(key as typeof SORT_KEYS[number])) {
      throw new BadRequestHttpError(`sort must be relevance or one of ${SORT_KEYS.join(', ')}, with a leading - for descending`);
    }
    const language = req.acceptsLanguages('en', 'fr') === 'fr' ? 'fr' : 'en';
    const order = { key: key as RowOrder['key'], descending: key !== 'relevance' && (sort as string).startsWith('-') };
    const { total, rows } = await service.tablePage(queryOf(req, [...PAGED, 'sort']), order, number, size, language);
    await send(req, res, JSON.stringify({ total, page: number, pageSize: size, rows }), 'application/json', [], 'Accept, Accept-Language');
  });

  // Where the producers are, for a map: one point per enterprise with coordinates, capped.
  // With `max_points=N`, more than N producers come by town instead (every producer counted): a map's choice.
  router.get('/producers', async (req, res) => {
    const max = req.query['max_points'];
    if (max !== undefined) {
      // Plain decimal digits only: Number() would take `0x10`, `1e3` or blanks.
      const n = typeof max === 'string' && /^\d{1,15}$/u.test(max) ? Number(max) : Number.NaN;
      if (typeof max !== 'string' || !Number.isInteger(n) || n < 0 || n > MAX_PRODUCERS) {
        throw new BadRequestHttpError(`max_points must be an integer from 0 to ${MAX_PRODUCERS}`);
      }
      await send(req, res, JSON.stringify(await service.map(queryOf(req, ['max_points']), n)), 'application/json');
      return;
    }
    await send(req, res, JSON.stringify(await service.producers(queryOf(req, ['max_points']), MAX_PRODUCERS)), 'application/json');
  });

  router.get('/stats', async (req, res) => {
    await send(req, res, JSON.stringify(await service.stats(queryOf(req))), 'application/json');
  });

  // The towns a distance filter can start from (`near=Saint-Junien`): those of the catalogue's producers.
  router.get('/places', async (req, res) => {
    await send(req, res, JSON.stringify({ places: await service.places() }), 'application/json');
  });

  // What the territory lacks: product types with no producer within the radius.
  router.get('/gaps', async (req, res) => {
    await send(req, res, JSON.stringify(await service.gaps(queryOf(req))), 'application/json');
  });

  return router;
}
