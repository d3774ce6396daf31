/**
 * The `after` query parameter of paged routes: an opaque cursor naming where the previous page ended, which every
 * `next` link this node writes carries. A page found by offset (`?page=N`) shifts when a row is inserted or removed
 * before it between two requests (a peer's sync, a new order): a client walking the `next` links would miss a row or
 * read one twice. A page found after a row's sort key does not.
 *
 * A cursor is base64url (RFC 4648 §5, no padding) of a small JSON array: its kind, the page number it leads to (for
 * the `previous` link and nothing else), then the sort key. Any well-formed key is a place in the order, so a cursor
 * needs no signature; one that is not well formed is a 400 saying why, never a 500.
 *
 * @packageDocumentation
 */
import type { Request } from 'express';
import { BadRequestHttpError } from '../errors/http-error.js';
import type { CataloguePlace } from '../federation/federation-service.js';
import { WALK_ID } from '../federation/text-walks.js';
import { MAX_KEY_TEXT } from '../store/federation.js';
import { MAX_PAGE } from './page-params.js';

/** The query parameter that carries a cursor. */
export const CURSOR_PARAM = 'after';

/**
 * The longest cursor taken, derived from what the node writes: a key's two texts of at most {@link MAX_KEY_TEXT}
 * code units each (a longer key is carried cut, see `carried`), six bytes of JSON each at worst (a control character
 * escaped), the kind, page and skip around them, in base64url. So every cursor written is taken back, and a next link
 * fits in a request line (Node takes 16 KiB of request line and headers), whatever a peer names its catalog items.
 */
export const MAX_CURSOR_LENGTH = Math.ceil((2 * 6 * MAX_KEY_TEXT + 64) * 4 / 3);

/** What a cursor holds: its kind, the page it leads to, its key's parts. */
type CursorParts = readonly [kind: string, page: number, ...key: (string | number | null)[]];

/** A cursor's text for its parts. */
export function encodeCursor(parts: CursorParts): string {
  return Buffer.from(JSON.stringify(parts), 'utf8').toString('base64url');
}

/**
 * The parts of a cursor, checked as far as every kind is alike (base64url of a JSON array of a kind and a page
 * number); undefined when the request has none.
 *
 * @throws BadRequestHttpError for anything this node did not write, with the reason
 */
export function decodeCursor(req: Request): CursorParts | undefined {
  const value = req.query[CURSOR_PARAM];
  if (value === undefined) return undefined;
  const bad = (why: string): BadRequestHttpError => new BadRequestHttpError(`${CURSOR_PARAM} is not a cursor of this list (${why}): follow the next link as given, or start again from the first page`);
  if (typeof value !== 'string') throw bad('given more than once');
  if (req.query['page'] !== undefined) throw new BadRequestHttpError(`give page or ${CURSOR_PARAM}, not both: ${CURSOR_PARAM} is where the previous page ended`);
  if (value.length === 0 || value.length > MAX_CURSOR_LENGTH) throw bad(`empty or longer than ${MAX_CURSOR_LENGTH} characters`);
  // Base64url without padding, written back the same: Buffer.from would skip any other character silently.
  if (!/^[A-Za-z0-9_-]+$/u.test(value)) throw bad('not base64url');
  const bytes = Buffer.from(value, 'base64url');
  if (bytes.toString('base64url') !== value) throw bad('not base64url');
  let parts: unknown;
  try {
    parts = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    throw bad('its content is not what this node writes');
  }
  if (!Array.isArray(parts) || typeof parts[0] !== 'string' || !Number.isInteger(parts[1]) || (parts[1] as number) < 2 || (parts[1] as number) > MAX_PAGE
    || !parts.slice(2).every((p) => p === null || typeof p === 'number' || (typeof p === 'string' && p.length <= MAX_KEY_TEXT))) {
    throw bad('its content is not what this node writes');
  }
  return parts as unknown as CursorParts;
}

/**
 * The most rows a cursor may say lie between its cut key and its place: only rows sharing a name's and an item IRI's
 * first characters are counted there (a handful); a cursor is not signed, and a larger one would have a page read that
 * many rows to skip them (one request reading the whole catalogue).
 */
const MAX_SKIP = 10_000;

/** A cursor's kinds: the federated catalogue in name order, with `q` (see {@link CataloguePlace}), an order list. */
const KIND = { byName: 'n', byText: 'q', orders: 'o' } as const;

/** The cursor of a place in the federated catalogue, leading to page `page`: at most {@link MAX_CURSOR_LENGTH} characters. */
export function catalogueCursor(place: CataloguePlace, page: number): string {
  if (!('key' in place)) return encodeCursor([KIND.byText, page, place.walk, place.offset]);
  const { name, item, skip } = place.key;
  return encodeCursor([KIND.byName, page, name, item, ...(skip === undefined ? [] : [skip])]);
}

/**
 * The place in the federated catalogue a request's cursor names, with the page number it leads to; undefined without one.
 *
 * @throws BadRequestHttpError for a cursor this node did not write for the catalogue
 */
export function catalogueCursorOf(req: Request): { place: CataloguePlace; page: number } | undefined {
  const parts = decodeCursor(req);
  if (parts === undefined) return undefined;
  const [kind, page, ...key] = parts;
  const wrong = new BadRequestHttpError(`${CURSOR_PARAM} is not a cursor of this list (not one of the federated catalogue): follow the next link as given, or start again from the first page`);
  if (kind === KIND.byName) {
    const [name, item, skip] = key;
    // An empty item: a cut name's place (before all its items). A skip: the rows between a cut key and the place.
    if (key.length < 2 || key.length > 3 || (name !== null && typeof name !== 'string') || typeof item !== 'string' || (item === '' && name === null)
      || (key.length === 3 && (!Number.isSafeInteger(skip) || (skip as number) < 1 || (skip as number) > MAX_SKIP))) throw wrong;
    return { place: { key: { name, item, ...(key.length === 3 ? { skip: skip as number } : {}) } }, page };
  }
  if (kind === KIND.byText) {
    const [walk, offset] = key;
    if (key.length !== 2 || typeof walk !== 'string' || !WALK_ID.test(walk) || !Number.isSafeInteger(offset) || (offset as number) < 1) throw wrong;
    return { place: { walk, offset: offset as number }, page };
  }
  throw wrong;
}

/** The cursor of the orders after the one numbered `number` (newest first), leading to page `page`. */
export function orderCursor(number: number, page: number): string {
  return encodeCursor([KIND.orders, page, number]);
}

/**
 * The order number a request's cursor names (the list goes on with older orders), with the page it leads to;
 * undefined without one.
 *
 * @throws BadRequestHttpError for a cursor this node did not write for an order list
 */
export function orderCursorOf(req: Request): { before: number; page: number } | undefined {
  const parts = decodeCursor(req);
  if (parts === undefined) return undefined;
  const [kind, page, ...key] = parts;
  const [number] = key;
  if (kind !== KIND.orders || key.length !== 1 || !Number.isSafeInteger(number) || (number as number) < 1) {
    throw new BadRequestHttpError(`${CURSOR_PARAM} is not a cursor of this list (not one of an order list): follow the next link as given, or start again from the first page`);
  }
  return { before: number as number, page };
}
