/**
 * The `page` and `page_size` query parameters every paged route takes, read and checked in one place.
 *
 * @packageDocumentation
 */
import type { Request } from 'express';
import { BadRequestHttpError } from '../errors/http-error.js';

/**
 * The highest page number taken. A page's offset (`(page - 1) × page_size`) must stay an exact integer for
 * JavaScript and within SQLite's 64-bit `OFFSET`: `page=1e18` is an integer to `Number.isInteger`, yet its offset
 * is neither (it made a 500). No collection here comes near a billion pages.
 */
export const MAX_PAGE = 1_000_000_000;

/** A page number and size, both checked. */
export interface PageParams {
  readonly page: number;
  readonly size: number;
}

/**
 * The page asked for: `page` (1 when absent) from 1 to {@link MAX_PAGE}, `page_size` (`defaultSize` when absent)
 * from 1 to `maxSize`, each written as a plain decimal integer. 400 otherwise, saying which and why.
 */
export function pageParams(req: Request, defaultSize: number, maxSize: number): PageParams {
  const page = integerParam(req.query['page'], 1);
  const size = integerParam(req.query['page_size'], defaultSize);
  if (page === undefined || page < 1 || page > MAX_PAGE) throw new BadRequestHttpError(`page must be an integer from 1 to ${MAX_PAGE}`);
  if (size === undefined || size < 1 || size > maxSize) throw new BadRequestHttpError(`page_size must be an integer from 1 to ${maxSize}`);
  return { page, size };
}

/**
 * A query parameter as a decimal integer, `fallback` when absent; undefined when it is anything else (a repeated
 * parameter, `1e3`, `0x10`, `1.5`, blanks): `Number()` alone would take several of those.
 */
function integerParam(value: unknown, fallback: number): number | undefined {
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || !/^\d{1,15}$/u.test(value)) return undefined;
  return Number(value);
}

/**
 * The most members a page may hold that a client asks for in `Prefer` (LDP Paging's `max-member-count`, RFC 7240:
 * `Prefer: return=representation; max-member-count="500"`); undefined when it asks for none (or names no count a
 * page can hold: 0, a fraction, text). Several `Prefer` headers, or several preferences in one, are read alike.
 */
export function preferredMembers(req: Request): number | undefined {
  const header = req.headers['prefer'];
  const text = Array.isArray(header) ? header.join(', ') : header;
  if (text === undefined) return undefined;
  const match = /(?:^|[;,\s])max-member-count\s*=\s*"?(\d{1,15})"?(?=\s*(?:[;,]|$))/iu.exec(text);
  const count = match === null ? undefined : Number(match[1]);
  return count === undefined || count < 1 ? undefined : count;
}

/**
 * The page of a catalogue asked for. A client that asks for pages (`page`, `page_size`, or a `Prefer` of at most
 * so many members, which a page of the default size answers when it asks for more) gets them as {@link pageParams}
 * reads them. One that asks for none gets the whole catalogue, in one page of up to `maxSize` products: Open Food
 * Network and other DFC clients read a catalogue URL as the whole catalogue (they follow no paging link), and set
 * the stock of every product it leaves out to zero. A catalogue over `maxSize` is still paged, at `maxSize`.
 */
export function cataloguePageParams(req: Request, defaultSize: number, maxSize: number): PageParams {
  if (req.query['page'] !== undefined || req.query['page_size'] !== undefined) return pageParams(req, defaultSize, maxSize);
  const preferred = preferredMembers(req);
  return { page: 1, size: preferred === undefined ? maxSize : Math.min(preferred, defaultSize) };
}

/**
 * The URL a request was made to, under the node's public base, as an IRI a document may name (a paging view's or a
 * fragment's `@id`): the characters an IRI may not hold, which Node's parser lets through raw in a request line
 * (`<`, `>`, `"`, `{`, `|`, a backslash…), percent-encoded as a URL writes them. Raw, the RDF writers cannot write
 * the IRI and left the view out (a link-traversal client stopped after page 1), and JSON-LD named no valid IRI.
 */
export function requestIri(base: string, req: Request): string {
  return `${base}${req.originalUrl.replace(NOT_IN_IRI, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`)}`;
}

// eslint-disable-next-line no-control-regex -- control characters are among what an IRI may not hold
const NOT_IN_IRI = /[\u0000-\u0020<>"{}|\\^`\u007f]/gu;

