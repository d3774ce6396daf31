/**
 * Rendering records as a response body, with a strong ETag; a cache of rendered bodies keyed by the
 * enterprise's version, bounded in bytes; and the conditional-request checks (`If-None-Match`, `If-Match`).
 * A conditional GET of an unchanged catalogue costs one indexed read, no rendering.
 *
 * @packageDocumentation
 */
import { createHash, hash } from 'node:crypto';
import type { Request, Response } from 'express';
import { LRUCache } from 'lru-cache';
import { CONTAINER_CONTEXT } from '../../ontology/contexts.js';
import type { Iri } from '../../ontology/iri.js';
import { NS } from '../../ontology/namespaces.js';
import type { DfcRecord } from '../../ontology/records.js';
import { IF_MATCH_FAILED } from '../catalog/catalog-service.js';
import { encodeJsonLd, type EncodeOptions, type JsonLdDocument } from '../codec/encode.js';
import { serialize, serializeBytes } from '../codec/serialize.js';
import { PreconditionFailedHttpError } from '../errors/http-error.js';
import { codingFor, compress, compressible, compressionOn, addVary, EncodedForms, markEncoded, variantEtag, variantEtags } from './compress.js';
import { negotiate, type Representation } from './negotiate.js';

/** Links of one page of a paged collection. */
export interface PageView {
  /**
   * The `@id` of the view: the URL as it was requested (`…?page_size=5`, not a canonical `…?page=1&page_size=5`),
   * because link-traversal clients follow `hydra:next` only from the view whose `@id` is the URL they fetched.
   */
  readonly self: string;
  readonly first: string;
  readonly next?: string;
  readonly previous?: string;
  readonly last?: string;
}

/** A rendered body. */
export interface Rendered {
  readonly body: string;
  /** The body encoded once, so a cached answer is not re-encoded on every request. */
  readonly bytes: Buffer;
  readonly etag: string;
  readonly contentType: string;
  /** The paging links of the body, when it is one page of a collection. */
  readonly view?: PageView;
  /** The body compressed, per coding, made when first asked: a cached body is compressed once per version. */
  readonly forms: EncodedForms;
}

/** Options of {@link render}. */
export interface RenderOptions {
  /** `@id` of the `ldp:Container` in DFC 2.0 output (the request URL). */
  readonly containerId?: string;
  /** Whether DFC 2.0 output wraps the records in an `ldp:Container` (collections: yes; one resource: no). */
  readonly container?: boolean;
  /** Paging links, for a page of a larger collection. */
  readonly view?: PageView;
  /** The version of the one resource rendered: the ETag is then {@link versionEtag}, not a hash of the body. */
  readonly version?: string;
}

/**
 * A strong ETag of a representation: a hash of its media type and bytes. The media type is part of it
 * because N-Triples and N-Quads (or JSON-LD served as `application/json`) can be the same bytes, and RFC 9110
 * §8.8.1 wants distinct tags for distinct representations.
 */
export function etagOf(body: string | Buffer, contentType: string): string {
  return `"${createHash('sha256').update(contentType).update('\n').update(body).digest('base64url').slice(0, 32)}"`;
}

/**
 * What the output of {@link render} depends on besides the records: bump it when the same records render
 * differently, so that version ETags (below) change with the bytes.
 */
export const RENDERING = 'maillon-render-3';

/**
 * A strong ETag of a representation of a versioned resource, without rendering it: a hash of the version
 * (which changes whenever the records rendered do) and of the representation, so each representation has
 * its own (RFC 9110 §8.8.1).
 *
 * @param version - the resource's version (see `StoredResource.version`, or the enterprise's profile version)
 * @param representation - the negotiated representation
 */
export function versionEtag(version: string, representation: Representation): string {
  const key = [RENDERING, representation.contentType, representation.format, representation.profile, version].join('\n');
  // One-shot `hash`: the same digest as `createHash`, for every write's answer and every rendering.
  return `"${hash('sha256', key, 'base64url').slice(0, 32)}"`;
}

/**
 * The paging view as a record (`hydra:PartialCollectionView` with its links), for the RDF formats, whose
 * writers know the `hydra:` namespace.
 */
export function viewRecord(view: PageView): DfcRecord {
  const link = (iri: string) => [{ '@id': iri }];
  return {
    kind: 'Resource',
    id: view.self as Iri,
    types: [`${NS.hydra}PartialCollectionView`],
    extra: {
      [`${NS.hydra}first`]: link(view.first),
      ...(view.next !== undefined ? { [`${NS.hydra}next`]: link(view.next) } : {}),
      ...(view.previous !== undefined ? { [`${NS.hydra}previous`]: link(view.previous) } : {}),
      ...(view.last !== undefined ? { [`${NS.hydra}last`]: link(view.last) } : {}),
    },
  };
}

/**
 * The paging view as a JSON-LD node, last in the `@graph` of a page. It uses the `hydra:` prefix, which no DFC
 * context declares: a page's context has the container context beside the DFC one ({@link pagedContext}).
 */
export function jsonLdView(view: PageView): Record<string, unknown> {
  const node: Record<string, unknown> = { '@id': view.self, '@type': 'hydra:PartialCollectionView', 'hydra:first': view.first };
  if (view.next !== undefined) node['hydra:next'] = view.next;
  if (view.previous !== undefined) node['hydra:previous'] = view.previous;
  if (view.last !== undefined) node['hydra:last'] = view.last;
  return node;
}

/** The `@context` of a paged JSON-LD body: the document's, with the container context (`hydra:`) beside it if it has not. */
export function pagedContext(context: JsonLdDocument['@context']): JsonLdDocument['@context'] {
  return Array.isArray(context) ? context : [context as string, CONTAINER_CONTEXT];
}

/**
 * Renders records in the representation asked for.
 *
 * @param records - what to write
 * @param representation - the negotiated format and profile
 * @param options - container id and paging view
 */
export function render(records: readonly DfcRecord[], representation: Representation, options: RenderOptions = {}): Rendered {
  const etagFor = (body: string | Buffer): string =>
    options.version !== undefined ? versionEtag(options.version, representation) : etagOf(body, representation.contentType);
  if (representation.format !== 'jsonld') {
    const bytes = serializeBytes(options.view === undefined ? records : [...records, viewRecord(options.view)], representation.format, rdfOptions(representation, options));
    return new RenderedBytes(bytes, etagFor(bytes), representation.contentType, options.view);
  }
  const body = renderBody(records, representation, options);
  return {
    body, bytes: Buffer.from(body, 'utf8'), etag: etagFor(body), contentType: representation.contentType, forms: new EncodedForms(),
    ...(options.view !== undefined ? { view: options.view } : {}),
  };
}

/**
 * A body written as bytes (Turtle, N-Triples, N-Quads: see `write-rdf.ts`), whose text is made only if someone
 * asks for it: the text of a 5,000-offer catalogue in N-Quads is 29 MB of string, twice that in memory, and a
 * GET sends the bytes. (Its text is a getter: spread into another object, it would be read, so it is not spread.)
 */
class RenderedBytes implements Rendered {
  private text: string | undefined;
  public readonly forms = new EncodedForms();

  public constructor(
    public readonly bytes: Buffer, public readonly etag: string, public readonly contentType: string, public readonly view?: PageView,
  ) {}

  public get body(): string {
    return (this.text ??= this.bytes.toString('utf8'));
  }

  /** The UTF-16 code units of the text made so far (none until {@link body} is read). */
  public get textLength(): number {
    return this.text?.length ?? 0;
  }
}

function rdfOptions(representation: Representation, options: Omit<RenderOptions, 'version'>): EncodeOptions {
  return {
    profile: representation.profile,
    ...(options.containerId !== undefined ? { containerId: options.containerId } : {}),
    ...(options.container !== undefined ? { container: options.container } : {}),
  };
}

/**
 * The body {@link render} makes, alone: for an answer that is never cached nor compared (an order, `no-store`),
 * whose ETag (a hash of the body) and encoded bytes would be made for nothing.
 */
export function renderBody(records: readonly DfcRecord[], representation: Representation, options: Omit<RenderOptions, 'version'> = {}): string {
  if (representation.format !== 'jsonld') {
    return serialize(options.view === undefined ? records : [...records, viewRecord(options.view)], representation.format, rdfOptions(representation, options));
  }
  const document = encodeJsonLd(records, {
    profile: representation.profile,
    ...(options.containerId !== undefined ? { containerId: options.containerId } : {}),
    ...(options.container !== undefined ? { container: options.container } : {}),
  });
  if (options.view === undefined) return JSON.stringify(document);
  return JSON.stringify({ '@context': pagedContext(document['@context']), '@graph': [...document['@graph'], jsonLdView(options.view)] });
}

/** Options of {@link RenderCache}. */
export interface RenderCacheOptions {
  /** The most memory the cached bodies may take, in bytes (default 64 MiB). */
  readonly maxBytes?: number;
}

/** The default budget of {@link RenderCache}. */
export const DEFAULT_RENDER_CACHE_BYTES = 64 * 1024 * 1024;

/**
 * The memory a cached body takes: its bytes, its text (two bytes a UTF-16 code unit; an RDF body's only once it
 * was asked for), its compressed forms made so far, and a little for the rest.
 */
export function renderedSize(rendered: Rendered): number {
  const text = rendered instanceof RenderedBytes ? rendered.textLength : rendered.body.length;
  return rendered.bytes.length + 2 * text + rendered.forms.size + 256;
}

/**
 * A cache of rendered bodies, bounded in bytes: the least recently used go first. A body larger than the
 * whole budget is not kept.
 */
export class RenderCache {
  private readonly entries: LRUCache<string, Rendered>;

  public constructor(options: RenderCacheOptions = {}) {
    this.entries = new LRUCache<string, Rendered>({ maxSize: options.maxBytes ?? DEFAULT_RENDER_CACHE_BYTES, sizeCalculation: renderedSize });
  }

  /** The cached body for a key, refreshed as most recent. */
  public get(key: string): Rendered | undefined {
    return this.entries.get(key);
  }

  /** Keeps a body; its compressed forms, made later, are counted in the budget as they are made. */
  public set(key: string, value: Rendered): void {
    this.entries.set(key, value);
    value.forms.onAdded = () => {
      // Set anew (the cache recomputes no size for the same value set again): its size now counts the forms, and
      // others (or this one, if it outgrew the budget) may go. An entry evicted meanwhile is not brought back.
      if (this.entries.peek(key) !== value) return;
      this.entries.delete(key);
      this.entries.set(key, value);
    };
  }

  /** The bytes the cached bodies take now. */
  public get size(): number {
    return this.entries.calculatedSize;
  }
}

/**
 * The representations a GET of one resource can answer with (each JSON-LD one also as `application/json`):
 * the ETags an `If-Match` may name.
 */
const SERVED: readonly Representation[] = ['application/ld+json', 'application/ld+json; profile="dfc-v2"', 'text/turtle', 'application/n-triples',
  'application/n-quads'].flatMap((accept) => {
  const representation = negotiate(accept);
  return representation.format === 'jsonld' ? [representation, { ...representation, contentType: 'application/json' }] : [representation];
});

/**
 * Whether an `If-Match` list names a representation of a resource at `version`, compared strongly (the tags
 * come from {@link etagList} with `strong`, which leaves out the weak ones); `*` is for the caller.
 */
export function ifMatchMatchesVersion(tags: readonly string[], version: string): boolean {
  // A client that read a compressed variant holds its tag (`"…-br"`): the same state of the resource.
  return SERVED.some((representation) => variantEtags(versionEtag(version, representation)).some((tag) => tags.includes(tag)));
}

/**
 * The entity tags of an `If-None-Match` or `If-Match` header, `*` kept as is, ready to be compared with our
 * (strong) tags by equality. `If-None-Match` compares weakly (RFC 9110 §13.1.2): a weak tag stands for its
 * opaque part, the `W/` dropped. `If-Match` compares strongly (§13.1.1): a weak tag never matches, so it is left
 * out (an `If-Match` of weak tags alone is a list that matches nothing, never a header that is absent).
 *
 * @param header - the header's value
 * @param comparison - `weak` for `If-None-Match` (the default), `strong` for `If-Match`
 */
export function etagList(header: string | undefined, comparison: 'weak' | 'strong' = 'weak'): string[] | undefined {
  if (header === undefined) return undefined;
  const tags = header.split(',').map((t) => t.trim()).filter(Boolean);
  return comparison === 'weak' ? tags.map((t) => t.replace(/^W\//u, '')) : tags.filter((t) => !t.startsWith('W/'));
}

/**
 * Whether an `If-None-Match` header matches an ETag: `*` or one of its tags, compared weakly (RFC 9110
 * §13.1.2: a GET answers 304 then).
 */
export function ifNoneMatchMatches(header: string | undefined, etag: string): boolean {
  const tags = etagList(header);
  return tags !== undefined && (tags.includes('*') || tags.includes(etag));
}

/**
 * The one conditional-GET check of every route that sends an ETag: answers 304 with no body (the headers
 * set so far kept) when the request's `If-None-Match` matches, and tells the caller it is done.
 *
 * Not Express's `req.fresh` (the `fresh` package): without `If-None-Match` it answers 304 to
 * `If-Modified-Since` alone, and `Last-Modified` has one-second granularity, so a stock write in the same second
 * as a client's read would be hidden from that client's next conditional GET. Our ETags change with every write.
 */
export function answeredNotModified(req: Request, res: Response, etag: string): boolean {
  // The ETag sent, on a 304 too (RFC 9110 §15.4.5), is the tag compared: the variant's when the body is coded.
  res.setHeader('ETag', etag);
  if (!ifNoneMatchMatches(req.get('if-none-match'), etag)) return false;
  res.status(304).end();
  return true;
}

/**
 * {@link answeredNotModified} before a body is made, from its ETag alone (a version ETag): answers 304, with the
 * headers {@link sendBody} would set, when `If-None-Match` names the variant the request would get of a body
 * large enough to be compressed. That is the only variant it can name without the body being known: a client
 * holding a coded variant was sent this version's body coded, so it is large enough and would be coded again
 * the same way; one holding the identity variant while asking for a coding is not answered here (a small body
 * would be sent as it is, a larger one coded: only the body tells), and the caller renders and calls
 * {@link sendBody}, which decides.
 *
 * @param req - the request
 * @param res - the response (its other headers set)
 * @param etag - the representation's strong ETag, known without rendering
 * @param contentType - the `Content-Type` the body would have
 * @returns whether the request was answered
 */
export function answeredNotModifiedUnrendered(req: Request, res: Response, etag: string, contentType: string): boolean {
  // `If-Match` and `If-Unmodified-Since` come before `If-None-Match` (RFC 9110 §13.2.2): {@link sendBody} weighs them.
  if (req.get('if-none-match') === undefined || req.get('if-match') !== undefined || req.get('if-unmodified-since') !== undefined) return false;
  const coding = codingFor(req, Number.MAX_SAFE_INTEGER, contentType);
  if (!ifNoneMatchMatches(req.get('if-none-match'), variantEtag(etag, coding))) return false;
  markEncoded(res);
  if (compressionOn(req) && compressible(contentType)) addVary(res, 'Accept-Encoding');
  return answeredNotModified(req, res, variantEtag(etag, coding));
}

/** A body to send with {@link sendBody}. */
export interface Body {
  /** The body as it is. */
  readonly bytes: Buffer;
  /** `Content-Type` (with its parameters). */
  readonly contentType: string;
  /** The representation's strong ETag: the identity variant's; a coded variant gets its {@link variantEtag}. */
  readonly etag?: string;
  /** The compressed forms kept with a cached body (made once per coding), else compressed per request. */
  readonly forms?: EncodedForms;
  /**
   * The time of a static file (`Last-Modified`, set by the caller): `If-Modified-Since` is then honoured when the
   * request has no `If-None-Match` (RFC 9110 §13.1.3), as `express.static` does. Not for the API's bodies, whose
   * changes within one second the one-second granularity would hide (see {@link answeredNotModified}).
   */
  readonly lastModified?: Date;
}

/**
 * The preconditions a GET or HEAD weighs before `If-None-Match` (RFC 9110 §13.2.2): `If-Match`, compared strongly
 * with every coded variant of the representation (one state of it, as for a write), `*` for any; without it,
 * `If-Unmodified-Since` against the representation's `Last-Modified` (ignored when it is no HTTP date, or when
 * the body has no date). A client that asks for a representation only as it holds it (`If-Match` from an earlier
 * read) is told the state moved on (§13.1.1), not sent another one.
 *
 * @throws PreconditionFailedHttpError when one fails
 */
function refuseFailedPrecondition(req: Request, res: Response, body: Body): void {
  const ifMatch = etagList(req.get('if-match'), 'strong');
  if (ifMatch !== undefined) {
    if (ifMatch.includes('*')) return;
    if (body.etag !== undefined && variantEtags(body.etag).some((tag) => ifMatch.includes(tag))) return;
    throw new PreconditionFailedHttpError(IF_MATCH_FAILED);
  }
  const since = Date.parse(req.get('if-unmodified-since') ?? '');
  if (Number.isNaN(since)) return;
  const header = res.getHeader('Last-Modified');
  const modified = body.lastModified?.getTime() ?? (typeof header === 'string' ? Date.parse(header) : Number.NaN);
  if (!Number.isNaN(modified) && Math.floor(modified / 1000) * 1000 > since) {
    throw new PreconditionFailedHttpError(`the resource was modified after ${new Date(since).toUTCString()} (If-Unmodified-Since)`);
  }
}

/** Whether `If-Modified-Since` (an HTTP date) is at or after a time, to the second; false if it is no date. */
function unmodifiedSince(header: string | undefined, time: Date): boolean {
  if (header === undefined) return false;
  const since = Date.parse(header);
  return !Number.isNaN(since) && Math.floor(time.getTime() / 1000) * 1000 <= since;
}

/**
 * Sends a body, the one way the routes that set an ETag answer a GET: negotiates the coding (see
 * `codingFor`), adds `Vary: Accept-Encoding`, sets the variant's `ETag`, answers 304 (no body) when
 * `If-None-Match` names the variant the client holds (or, for a static file, `If-Modified-Since` alone is not
 * older than it), and otherwise sends the variant with its
 * `Content-Encoding` and `Content-Length` (should compression fail, the body as it is, with its own tag). A
 * HEAD gets the same headers and no body; its `Content-Length` only when the compressed form is known already
 * (RFC 9110 §9.3.2 lets a HEAD omit what only generating the content would tell). The status is what the route
 * set (200 by default); other headers are the route's.
 *
 * @param req - the request
 * @param res - the response
 * @param body - what to send
 */
/**
 * Sends a rendered body with its media type as negotiated, in UTF-8, as every catalogue answer is sent. Express's
 * `type(…).send(text)` writes the type again (dropping the quotes of `profile="dfc-v2"`), so that one route's header
 * differed from another's for the same representation.
 */
export function sendRendered(res: Response, contentType: string, body: string): void {
  res.setHeader('Content-Type', `${contentType}; charset=utf-8`);
  const method = res.req.method;
  if (method === 'GET' || method === 'HEAD' || (res.statusCode !== 200 && res.statusCode !== 201)) {
    // Express's `send` answers a fresh GET 304, a HEAD without its body, and drops the body of a 204, 205 or 304.
    res.send(Buffer.from(body, 'utf8'));
    return;
  }
  // A write's answer (200 or 201), with what `send` gives it (its length; no freshness: a GET's only), the text handed
  // to Node as it is: written with the headers in one piece (a Buffer went out beside them), with no copy of it made.
  if (res.getHeader('Transfer-Encoding') === undefined) res.setHeader('Content-Length', String(Buffer.byteLength(body, 'utf8')));
  res.end(body, 'utf8');
}

export async function sendBody(req: Request, res: Response, body: Body): Promise<void> {
  markEncoded(res);
  const coding = codingFor(req, body.bytes.length, body.contentType);
  if (compressionOn(req) && compressible(body.contentType)) addVary(res, 'Accept-Encoding');
  refuseFailedPrecondition(req, res, body);
  if (body.etag !== undefined && answeredNotModified(req, res, variantEtag(body.etag, coding))) return;
  if (body.lastModified !== undefined && req.get('if-none-match') === undefined && unmodifiedSince(req.get('if-modified-since'), body.lastModified)) {
    res.status(304).end();
    return;
  }
  res.setHeader('Content-Type', body.contentType);
  if (coding === 'identity') {
    res.setHeader('Content-Length', body.bytes.length);
    if (req.method === 'HEAD') res.end();
    else res.end(body.bytes);
    return;
  }
  if (req.method === 'HEAD') {
    res.setHeader('Content-Encoding', coding);
    const known = body.forms?.peek(coding);
    if (known !== undefined) res.setHeader('Content-Length', known.length);
    res.end();
    return;
  }
  let encoded: Buffer;
  try {
    encoded = body.forms !== undefined ? await body.forms.get(coding, body.bytes) : await compress(body.bytes, coding, 'fast');
  } catch {
    // zlib failing on a body in memory is not the client's doing (as in `compression`): the body goes out as it
    // is, with the identity variant's tag, rather than a 500. Nothing said it was coded: the coding's headers are
    // set only once the coded body exists.
    if (body.etag !== undefined) res.setHeader('ETag', body.etag);
    res.setHeader('Content-Length', body.bytes.length);
    res.end(body.bytes);
    return;
  }
  res.setHeader('Content-Encoding', coding);
  res.setHeader('Content-Length', encoded.length);
  res.end(encoded);
}
