/**
 * Static files of a textual type (scripts, style sheets, source maps), served compressed: `express.static`
 * streams a file, and the on-the-fly middleware (`compression` in compress.ts) leaves streamed answers alone, so
 * the dashboard's scripts (Leaflet alone is 147 KB) went out whole to every browser that asked for a coding.
 *
 * Each file is read once (again when its size or modification time changes, as a developer editing `web/`
 * expects), and its compressed forms are made once per coding on first demand (`EncodedForms`), as a cached
 * catalogue page's are; the answer goes through `sendBody` (render.ts): the coding negotiated, `Vary:
 * Accept-Encoding`, a strong ETag from the file's bytes with its per-coding variants, 304 to `If-None-Match`
 * (or to `If-Modified-Since` alone, as before), the right `Content-Length`, HEAD. Everything else (images, a
 * file added after start, a directory, a file too large to hold, another method) is left to the next handler,
 * `express.static`, as before.
 *
 * @packageDocumentation
 */
import { createHash } from 'node:crypto';
import { readdirSync, statSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, posix } from 'node:path';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { compressible, EncodedForms } from './compress.js';
import { sendBody } from './render.js';

/** Options of {@link compressedStatic}. */
export interface CompressedStaticOptions {
  /** `Cache-Control: public, max-age=…`, in seconds (as `express.static`'s `maxAge`). */
  readonly maxAgeSeconds: number;
  /** Headers every answer carries (`X-Content-Type-Options`, say). */
  readonly headers?: Readonly<Record<string, string>>;
  /** Files larger than this are not held in memory but left to the next handler (default 8 MB). */
  readonly maxFileBytes?: number;
}

/** How deep the folder is listed, and how many files at most: a bound should it be pointed at a large tree. */
const MAX_DEPTH = 4;
const MAX_FILES = 1_000;
const DEFAULT_MAX_FILE_BYTES = 8 * 1024 * 1024;

/** A file as read, with what its answers need. */
interface Held {
  readonly mtimeMs: number;
  readonly size: number;
  readonly bytes: Buffer;
  /** Strong: from the bytes, so equal bytes keep their tag across restarts and copies. */
  readonly etag: string;
  readonly forms: EncodedForms;
  readonly modified: Date;
}

/**
 * The files under a folder, by their path relative to it (`/` separated): what {@link compressedStatic} may
 * serve. Dot files are left out, as `express.static` ignores them; a symbolic link counts as what it points to.
 *
 * @param root - the folder
 */
export function listStaticFiles(root: string): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (dir: string, prefix: string, depth: number): void => {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return;
    }
    for (const name of names.sort()) {
      if (name.startsWith('.') || files.size >= MAX_FILES) continue;
      const path = join(dir, name);
      let isFile: boolean;
      let isDirectory: boolean;
      try {
        const info = statSync(path);
        isFile = info.isFile();
        isDirectory = info.isDirectory();
      } catch {
        continue;
      }
      if (isFile) files.set(`${prefix}${name}`, path);
      else if (isDirectory && depth < MAX_DEPTH) walk(path, `${prefix}${name}/`, depth + 1);
    }
  };
  walk(root, '', 0);
  return files;
}

/** The key of a request's path in the listing: decoded, `.` and `..` resolved, no leading slash; none if invalid. */
function keyOf(path: string): string | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    return undefined;
  }
  if (decoded.includes('\0')) return undefined;
  // Resolved against the root (`/`): a `..` cannot climb above it, and the key is looked up among the listed
  // files only, so nothing outside the folder can be named.
  return posix.normalize(`/${decoded}`).replace(/^\/+/u, '');
}

/**
 * A handler serving the textual files of a folder compressed (see the module's comment), to be mounted before
 * `express.static` on the same folder, which serves the rest as before.
 *
 * @param root - the folder
 * @param options - cache lifetime, common headers, size bound
 */
export function compressedStatic(root: string, options: CompressedStaticOptions): RequestHandler {
  const files = listStaticFiles(root);
  const held = new Map<string, Held>();
  const maxFileBytes = options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;

  /** The file as held, read again if it changed on disk; none if it is gone, no file, or too large. */
  const load = async (path: string): Promise<Held | undefined> => {
    const info = await stat(path).catch(() => undefined);
    if (info === undefined || !info.isFile() || info.size > maxFileBytes) return undefined;
    const known = held.get(path);
    if (known !== undefined && known.mtimeMs === info.mtimeMs && known.size === info.size) return known;
    const bytes = await readFile(path).catch(() => undefined);
    if (bytes === undefined || bytes.length > maxFileBytes) return undefined;
    const etag = `"${createHash('sha256').update(bytes).digest('base64url').slice(0, 27)}"`;
    const entry: Held = { mtimeMs: info.mtimeMs, size: info.size, bytes, etag, forms: new EncodedForms(), modified: info.mtime };
    held.set(path, entry);
    return entry;
  };

  return (req: Request, res: Response, next: NextFunction): void => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      next();
      return;
    }
    const key = keyOf(req.path);
    const path = key === undefined ? undefined : files.get(key);
    if (path === undefined) {
      next();
      return;
    }
    // The type `express.static` gives the file (both look the extension up with mime-types), read off and set
    // again by sendBody only on a 200: a 304 carries no Content-Type, as express.static's does not.
    res.type(extname(path));
    const contentType = String(res.getHeader('content-type'));
    res.removeHeader('content-type');
    if (!compressible(contentType)) {
      next();
      return;
    }
    load(path).then(async (file) => {
      if (file === undefined) {
        next();
        return;
      }
      for (const [name, value] of Object.entries(options.headers ?? {})) res.setHeader(name, value);
      res.setHeader('Cache-Control', `public, max-age=${options.maxAgeSeconds}`);
      res.setHeader('Last-Modified', file.modified.toUTCString());
      await sendBody(req, res, { bytes: file.bytes, contentType, etag: file.etag, forms: file.forms, lastModified: file.modified });
    }).catch(next);
  };
}
