/**
 * Compressed responses: which content coding an `Accept-Encoding` header asks for (RFC 9110 §12.5.3), the
 * entity-tag of an encoded variant, the compressed forms a cached render keeps, and the one place a body is
 * sent (`sendBody` in render.ts, with the conditional checks) or, for the responses that do not go through it,
 * compressed on the way out ({@link compression}).
 *
 * Only `node:zlib`, always asynchronously: compression runs on libuv's thread pool, never on the event loop.
 * Bodies rendered once per version (the render cache) are compressed once per coding, harder; other bodies are
 * compressed on the fly with fast settings.
 *
 * @packageDocumentation
 */
import { promisify } from 'node:util';
import { brotliCompress, constants, gzip, type BrotliOptions, type ZlibOptions } from 'node:zlib';
import type { NextFunction, Request, Response } from 'express';

const brotliAsync = promisify<Buffer, BrotliOptions, Buffer>(brotliCompress);
const gzipAsync = promisify<Buffer, ZlibOptions, Buffer>(gzip);

/** A content coding the node compresses with. */
export type Coding = 'br' | 'gzip';

/** What a response is sent with: a coding, or the body as it is. */
export type ChosenCoding = Coding | 'identity';

/** The codings offered, in order of preference when a client weighs them equally (br is smaller). */
export const CODINGS: readonly Coding[] = ['br', 'gzip'];

/** Bodies smaller than this are sent as they are: the coding's framing and the CPU would cost more than they save. */
export const MIN_COMPRESS_BYTES = 1024;

/** How hard to compress: `fast` on the fly (per request), `cached` once per version of a cached body. */
export type Effort = 'fast' | 'cached';

/**
 * The settings, measured on a generated 5,000-offer catalogue (6 MB of JSON-LD) on the 2-core bench machine:
 * brotli quality 4 about 30–40 ms (20.6× smaller), 6 about 40 ms (24.3×), 7 80 ms (25×), 9 150–180 ms (26×),
 * 11 seconds; gzip level 1 about 10 ms (13×), 6 about 20 ms (17×). A cached body is compressed again at each
 * version of the catalogue (every stock write makes one), so quality 9's last 7 % is not worth four times the
 * CPU: 6 for cached bodies, 4 (and gzip 1) per request.
 */
const SETTINGS: Readonly<Record<Effort, { readonly brotliQuality: number; readonly gzipLevel: number }>> = {
  fast: { brotliQuality: 4, gzipLevel: 1 },
  cached: { brotliQuality: 6, gzipLevel: 6 },
};

/**
 * Compresses a body, off the event loop.
 *
 * @param body - the bytes
 * @param coding - `br` or `gzip`
 * @param effort - `fast` (per request) or `cached` (once per version)
 */
export function compress(body: Buffer, coding: Coding, effort: Effort): Promise<Buffer> {
  const settings = SETTINGS[effort];
  if (coding === 'br') {
    return brotliAsync(body, {
      params: {
        [constants.BROTLI_PARAM_QUALITY]: settings.brotliQuality,
        [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
        [constants.BROTLI_PARAM_SIZE_HINT]: body.length,
      },
    });
  }
  return gzipAsync(body, { level: settings.gzipLevel });
}

/** A qvalue (RFC 9110 §12.4.2): `0` to `1` with at most three decimals, `1` only with zeros after the point. */
const QVALUE = /^(?:0(?:\.\d{0,3})?|1(?:\.0{0,3})?)$/u;

/**
 * The weight of one member of an `Accept-Encoding` list from its parameters: 1 without `q`, the `q` given, or
 * `undefined` when a `q` is not a valid qvalue. Other parameters (none is defined) are ignored.
 */
function weightOf(params: readonly string[]): number | undefined {
  let q = 1;
  for (const param of params) {
    const match = /^q\s*=\s*(.*)$/iu.exec(param);
    if (match === null) continue;
    const value = match[1] ?? '';
    if (!QVALUE.test(value)) return undefined;
    q = Number(value);
  }
  return q;
}

/**
 * The coding to answer with, from an `Accept-Encoding` header (RFC 9110 §12.5.3): the acceptable coding of
 * highest weight, `br` before `gzip` at equal weight; `identity` when no header was sent (nothing is
 * compressed for a client that did not ask), when the client accepts none of ours, or when it prefers
 * `identity`. `*` weighs every coding not named. `identity;q=0` (or `*;q=0` without `identity`) with no
 * coding of ours acceptable would leave no acceptable answer: RFC 9110 then allows answering as it is
 * (rather than a 406 that helps nobody), and so does this.
 *
 * A member whose weight is not a qvalue (`gzip;q=abc`, `gzip;q=.5`, `gzip;q=0.0001`, `gzip;q=1.5`) is ignored, as
 * if it were not in the list: reading it as `q=1` would let a typo grant a coding, and as `q=0` would let it
 * forbid one (`identity;q=x` would exclude the uncompressed answer). What such a client gets is what the rest of
 * its header asks for (`*`, if named, weighs the coding; otherwise it is not acceptable).
 *
 * @param header - the request's `Accept-Encoding`
 */
export function chooseCoding(header: string | undefined): ChosenCoding {
  if (header === undefined) return 'identity';
  const weights = new Map<string, number>();
  for (const part of header.split(',')) {
    const [name = '', ...params] = part.split(';').map((p) => p.trim());
    if (name === '') continue;
    const q = weightOf(params);
    // A member whose weight is malformed is ignored, as if it were not there.
    if (q === undefined) continue;
    const key = name.toLowerCase() === 'x-gzip' ? 'gzip' : name.toLowerCase();
    // A coding named twice keeps its best weight.
    weights.set(key, Math.max(q, weights.get(key) ?? 0));
  }
  const star = weights.get('*');
  const weightOfCoding = (coding: string): number => weights.get(coding) ?? star ?? 0;
  let best: ChosenCoding = 'identity';
  let bestQ = 0;
  for (const coding of CODINGS) {
    const q = weightOfCoding(coding);
    if (q > bestQ) {
      best = coding;
      bestQ = q;
    }
  }
  // identity is always acceptable unless excluded (§12.5.3), but only a weight given to it (by name or by `*`)
  // can make it preferred: then it wins over a coding weighed less, and a coding wins at equal weight.
  const identity = weights.get('identity') ?? star;
  return bestQ > 0 && (identity === undefined || bestQ >= identity) ? best : 'identity';
}

/** Media types that gain nothing from compression: they are compressed already. */
const COMPRESSED_TYPES = /^(image\/(?!svg)|audio\/|video\/|font\/woff2?|application\/(zip|gzip|x-gzip|zstd|x-bzip2|x-7z-compressed|x-xz|pdf|octet-stream|x-brotli))/iu;
/** Media types worth compressing: text, JSON, XML, RDF serialisations, scripts. */
const TEXTUAL_TYPES = /^(text\/|application\/([\w.+-]*\+)?(json|xml)\b|application\/(n-triples|n-quads|javascript|ecmascript|trig|sparql-results\+json)|image\/svg\+xml)/iu;

/**
 * Whether a response of this media type is negotiable by coding (then it varies on `Accept-Encoding`): a
 * textual type, not one compressed already.
 *
 * @param contentType - the `Content-Type` header
 */
export function compressible(contentType: string | undefined): boolean {
  if (contentType === undefined) return false;
  return !COMPRESSED_TYPES.test(contentType.trim()) && TEXTUAL_TYPES.test(contentType.trim());
}

/**
 * The entity-tag of the encoded variant of a representation: the tag with `-br` or `-gzip` inside its quotes,
 * as RFC 9110 §8.8.3 wants a strong tag to change with the bytes and the coding changes them. The identity
 * variant keeps the tag as it is.
 *
 * @param etag - the representation's tag (`"…"` or `W/"…"`)
 * @param coding - the coding sent
 */
export function variantEtag(etag: string, coding: ChosenCoding): string {
  if (coding === 'identity' || !etag.endsWith('"')) return etag;
  return `${etag.slice(0, -1)}-${coding}"`;
}

/**
 * The tags of every coded variant of a representation, the identity one first: a write's `If-Match` may name
 * any of them (they are the same state of the resource).
 *
 * @param etag - the representation's tag
 */
export function variantEtags(etag: string): string[] {
  return [etag, ...CODINGS.map((coding) => variantEtag(etag, coding))];
}

/**
 * The compressed forms of one body, made once per coding and kept (a cached render holds one of these): the
 * first request in a coding pays for it, the others wait for the same promise, later ones read the bytes.
 */
export class EncodedForms {
  private readonly done = new Map<Coding, Buffer>();
  private readonly pending = new Map<Coding, Promise<Buffer>>();
  /** Told when a form is added, so that a cache bounded in bytes counts it (see `RenderCache`). */
  public onAdded: (() => void) | undefined;

  /** The bytes the forms made so far take. */
  public get size(): number {
    let total = 0;
    for (const form of this.done.values()) total += form.length;
    return total;
  }

  /** The form in a coding, if made already. */
  public peek(coding: Coding): Buffer | undefined {
    return this.done.get(coding);
  }

  /**
   * The form in a coding, made (with the `cached` effort) if it is not yet.
   *
   * @param coding - `br` or `gzip`
   * @param identity - the body as it is
   */
  public get(coding: Coding, identity: Buffer): Promise<Buffer> {
    const made = this.done.get(coding);
    if (made !== undefined) return Promise.resolve(made);
    let pending = this.pending.get(coding);
    if (pending === undefined) {
      pending = compress(identity, coding, 'cached').then((form) => {
        this.done.set(coding, form);
        this.pending.delete(coding);
        this.onAdded?.();
        return form;
      }, (error: unknown) => {
        this.pending.delete(coding);
        throw error;
      });
      this.pending.set(coding, pending);
    }
    return pending;
  }
}

/** Adds a token to the `Vary` header, once. */
export function addVary(res: Response, token: string): void {
  const current = res.getHeader('vary');
  const text = Array.isArray(current) ? current.join(', ') : current === undefined ? '' : String(current);
  const tokens = text.split(',').map((t) => t.trim()).filter(Boolean);
  if (tokens.includes('*') || tokens.some((t) => t.toLowerCase() === token.toLowerCase())) return;
  res.setHeader('vary', [...tokens, token].join(', '));
}

/** Whether a status never has a body (RFC 9110 §6.4.1). */
function bodiless(status: number): boolean {
  return status === 204 || status === 304 || (status >= 100 && status < 200);
}

/**
 * The coding a body is sent with for this request: the client's choice, unless the body is too small or not
 * of a compressible type.
 *
 * @param req - the request
 * @param bytes - the body's length as it is
 * @param contentType - the body's `Content-Type`
 */
export function codingFor(req: Request, bytes: number, contentType: string): ChosenCoding {
  if (!compressionOn(req) || bytes < MIN_COMPRESS_BYTES || !compressible(contentType)) return 'identity';
  return chooseCoding(req.get('accept-encoding'));
}

/** The application setting that turns compression off (`MAILLON_COMPRESS=off`: a proxy in front compresses). */
export const COMPRESSION_SETTING = 'maillon compression';

/**
 * Whether the application compresses responses (on unless {@link COMPRESSION_SETTING} is false).
 *
 * @param req - the request (its `app`)
 */
export function compressionOn(req: Request): boolean {
  // A request built by hand in a unit test has no app: the default holds.
  return (req.app as { get?: (name: string) => unknown } | undefined)?.get?.(COMPRESSION_SETTING) !== false;
}

/** `res.locals` key of a response its route encoded already. */
const HANDLED = 'maillonEncoded';

/** Marks a response as encoded by its route (or deliberately not): {@link compression} leaves it alone. */
export function markEncoded(res: Response): void {
  res.locals[HANDLED] = true;
}

/**
 * Middleware compressing, on the fly, the responses that do not go through `sendBody` (render.ts) (JSON APIs,
 * problem documents, discovery, the dashboard): when the whole body is given to `res.end` at once (as
 * `res.send` does), it is of a compressible type, at least {@link MIN_COMPRESS_BYTES}, not already encoded,
 * and the client asks for a coding. Compression is asynchronous; the response ends when it is done. Streamed
 * responses (`res.write` before `res.end`) are left as they are, and so is every status without a body.
 * A HEAD answered by `res.send` gets the headers its GET would (coding, variant ETag), without a length.
 */
export function compression() {
  return (req: Request, res: Response, next: NextFunction): void => {
    let streamed = false;
    const write = res.write.bind(res) as (...args: unknown[]) => boolean;
    const end = res.end.bind(res) as (...args: unknown[]) => Response;
    res.write = ((...args: unknown[]) => {
      streamed = true;
      return write(...args);
    }) as Response['write'];
    res.end = ((...args: unknown[]) => {
      const [chunk, encodingOrCallback] = args;
      if (streamed || res.headersSent || res.locals[HANDLED] === true) return end(...args);
      const contentType = res.getHeader('content-type');
      const type = typeof contentType === 'string' ? contentType : undefined;
      if (!compressionOn(req) || !compressible(type) || res.getHeader('content-encoding') !== undefined) return end(...args);
      addVary(res, 'Accept-Encoding');
      // A client that asks for no coding gets the body as it is, whatever its size: no copy of it is made to find out.
      if (bodiless(res.statusCode) || req.headers['accept-encoding'] === undefined) return end(...args);
      const declared = Number(res.getHeader('content-length') ?? Number.NaN);
      const callback = args.find((a): a is () => void => typeof a === 'function');
      if (req.method === 'HEAD') {
        // `res.send` dropped the body of a HEAD but told its length: enough to choose as the GET would.
        const coding = Number.isInteger(declared) ? codingFor(req, declared, type ?? '') : 'identity';
        if (coding !== 'identity') {
          setCoded(res, coding);
          res.removeHeader('content-length');
        }
        return end(...args);
      }
      if (chunk === undefined || chunk === null || typeof chunk === 'function') return end(...args);
      // A Buffer is used as it is (no copy of a body of megabytes); a string is encoded as `res.end` would.
      const bytes = typeof chunk === 'string'
        ? Buffer.from(chunk, typeof encodingOrCallback === 'string' ? encodingOrCallback as BufferEncoding : 'utf8')
        : Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
      const coding = codingFor(req, bytes.length, type ?? '');
      if (coding === 'identity') return end(...args);
      compress(bytes, coding, 'fast').then((encoded) => {
        setCoded(res, coding);
        res.setHeader('Content-Length', encoded.length);
        end(encoded, callback);
      }, () => {
        // zlib failing on a body in memory is not the client's doing; the body goes out as it is.
        end(bytes, callback);
      });
      return res;
    }) as Response['end'];
    next();
  };
}

/** Headers of a response sent in a coding: `Content-Encoding`, and the variant's ETag if it has one. */
function setCoded(res: Response, coding: ChosenCoding): void {
  res.setHeader('Content-Encoding', coding);
  const etag = res.getHeader('etag');
  if (typeof etag === 'string') res.setHeader('ETag', variantEtag(etag, coding));
}
