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
