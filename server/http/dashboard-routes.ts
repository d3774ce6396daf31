/**
 * The territory dashboard: a page for people (a map of producers, filters, charts, the federated catalogue as a
 * table, the peers' sync status), served from this node's origin with nothing fetched elsewhere at run time. Its
 * sources are static files in `web/` (no build step); Leaflet comes from the installed npm package. Its scripts
 * and style sheets are served compressed from memory (see static-files.ts).
 *
 * `GET /dashboard` always serves it; `GET /` only to a browser (a request that prefers `text/html`): an API
 * client asking `/` for JSON still gets the 404 it always got.
 *
 * @packageDocumentation
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, posix } from 'node:path';
import express, { Router, type NextFunction, type Request, type Response } from 'express';
import { NotFoundHttpError } from '../errors/http-error.js';
import { compressedStatic } from './static-files.js';

/** How long a browser keeps the page's scripts, styles and images without asking again (an hour). */
const STATIC_MAX_AGE_SECONDS = 3600;

/** Options of {@link dashboardRoutes}. */
export interface DashboardArgs {
  /**
   * A tile server's URL template (`https://tile.example/{z}/{x}/{y}.png`), or none: the map then shows plain
   * points on a blank background, and nothing leaves the origin.
   */
  readonly tileUrl?: string;
  /** Where the page's sources are (default: the package's `web/`). */
  readonly webDir?: string;
}

/**
 * The package's `web/` folder: two levels up from this file when run from the sources (`server/http/`), three
 * from the build (`dist/server/http/`).
 */
export function defaultWebDir(): string {
  const candidates = [join(import.meta.dirname, '../../web'), join(import.meta.dirname, '../../../web')];
  return candidates.find((dir) => existsSync(join(dir, 'index.html'))) ?? (candidates[0] as string);
}

/** The Content-Security-Policy of the page: our origin only, but for the tile server's images when there is one. */
export function contentSecurityPolicy(tileUrl: string | undefined): string {
  // A `{s}` subdomain placeholder becomes the CSP's leftmost wildcard (`https://*.tile.example`).
  const tiles = tileUrl === undefined ? '' : ` ${(/^https?:\/\/[^/?#]+/u.exec(tileUrl)?.[0] ?? '').replace('{s}', '*').toLowerCase()}`;
  return [
    "default-src 'self'", "script-src 'self'", "style-src 'self'", `img-src 'self' data:${tiles}`, "connect-src 'self'",
    "object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'", "form-action 'self'",
  ].join('; ');
}

/** Whether a request prefers HTML to JSON (a browser's `Accept`, not `*\/*` alone). */
function prefersHtml(req: Request): boolean {
  const accept = req.get('accept');
  if (accept === undefined || !/text\/html/iu.test(accept)) return false;
  return req.accepts(['text/html', 'application/ld+json', 'application/json']) === 'text/html';
}

/**
 * Refuses a page template (`index.html`) asked for among the assets, however its path is written (`%69ndex.html`,
 * `./index.html`): the folder holding the scripts holds the page too, and served from there it would come without
 * its CSP and `X-Frame-Options` (framable by any site), its tile placeholder unfilled. The page is `/dashboard`.
 */
function refuseTemplates(req: Request, _res: Response, next: NextFunction): void {
  let path: string;
  try {
    path = decodeURIComponent(req.path);
  } catch {
    next();
    return;
  }
  if (/\.html?$/iu.test(posix.normalize(`/${path}`).replace(/\/+$/u, ''))) throw new NotFoundHttpError('the dashboard is served at /dashboard');
  next();
}

/** Builds the router (mounted at the root). */
export function dashboardRoutes(args: DashboardArgs = {}): Router {
  const router = Router();
  const webDir = args.webDir ?? defaultWebDir();
  const leafletDir = join(dirname(createRequire(import.meta.url).resolve('leaflet/package.json')), 'dist');
  // The tile template reaches the page in a meta element: no inline script, so the CSP can forbid them all.
  const escaped = (args.tileUrl ?? '').replace(/&/gu, '&amp;').replace(/"/gu, '&quot;').replace(/</gu, '&lt;');
  const html = readFileSync(join(webDir, 'index.html'), 'utf8').replace('{{TILE_URL}}', escaped);
  const csp = contentSecurityPolicy(args.tileUrl);

  const page = (_req: Request, res: Response): void => {
    res.setHeader('Content-Security-Policy', csp);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader('X-Frame-Options', 'DENY');
    res.setHeader('Cache-Control', 'no-cache');
    res.setHeader('Vary', 'Accept');
    res.type('text/html').send(html);
  };

  router.get('/', (req, res) => {
    if (!prefersHtml(req)) throw new NotFoundHttpError('no API resource at /: see /.well-known/dfc/ and /api/openapi.json (browsers get the dashboard)');
    page(req, res);
  });
  router.get('/dashboard', page);
  // Scripts, style sheets and source maps compressed from memory (express.static streams, and a stream goes out
  // as it is); images and anything else by express.static, with the same cache lifetime and headers.
  const headers = { 'X-Content-Type-Options': 'nosniff' };
  const compressed = { maxAgeSeconds: STATIC_MAX_AGE_SECONDS, headers };
  const statics = { index: false, fallthrough: true, maxAge: STATIC_MAX_AGE_SECONDS * 1000, setHeaders: (res: Response) => res.setHeader('X-Content-Type-Options', 'nosniff') } as const;
  router.use('/dashboard/assets', refuseTemplates, compressedStatic(webDir, compressed), express.static(webDir, statics));
  router.use('/dashboard/vendor/leaflet', compressedStatic(leafletDir, compressed), express.static(leafletDir, statics));
  return router;
}
