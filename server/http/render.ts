/**
 * Rendering records as a response body, with a strong ETag, and a small cache of rendered bodies keyed by
 * the enterprise's version: a conditional GET of an unchanged catalogue costs one indexed read, no rendering.
 *
 * @packageDocumentation
 */
import { createHash } from 'node:crypto';
import { CONTAINER_CONTEXT } from '../../ontology/contexts.js';
import type { Iri } from '../../ontology/iri.js';
import { NS } from '../../ontology/namespaces.js';
import type { DfcRecord } from '../../ontology/records.js';
import { encodeJsonLd } from '../codec/encode.js';
import { serialize } from '../codec/serialize.js';
import type { Representation } from './negotiate.js';

/** Links of one page of a paged collection. */
export interface PageView {
  readonly self: string;
  readonly first: string;
  readonly next?: string;
  readonly previous?: string;
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
}

/** Options of {@link render}. */
export interface RenderOptions {
  /** `@id` of the `ldp:Container` in DFC 2.0 output (the request URL). */
  readonly containerId?: string;
  /** Whether DFC 2.0 output wraps the records in an `ldp:Container` (collections: yes; one resource: no). */
  readonly container?: boolean;
  /** Paging links, for a page of a larger collection. */
  readonly view?: PageView;
}

/**
 * A strong ETag of a representation: a hash of its media type and bytes. The media type is part of it
 * because N-Triples and N-Quads (or JSON-LD served as `application/json`) can be the same bytes, and RFC 9110
 * §8.8.1 wants distinct tags for distinct representations.
 */
export function etagOf(body: string, contentType: string): string {
  return `"${createHash('sha256').update(contentType).update('\n').update(body).digest('base64url').slice(0, 32)}"`;
}

function viewRecord(view: PageView): DfcRecord {
  const link = (iri: string) => [{ '@id': iri }];
  return {
    kind: 'Resource',
    id: view.self as Iri,
    types: [`${NS.hydra}PartialCollectionView`],
    extra: {
      [`${NS.hydra}first`]: link(view.first),
      ...(view.next !== undefined ? { [`${NS.hydra}next`]: link(view.next) } : {}),
      ...(view.previous !== undefined ? { [`${NS.hydra}previous`]: link(view.previous) } : {}),
    },
  };
}

/**
 * Renders records in the representation asked for.
 *
 * @param records - what to write
 * @param representation - the negotiated format and profile
 * @param options - container id and paging view
 */
export function render(records: readonly DfcRecord[], representation: Representation, options: RenderOptions = {}): Rendered {
  let body: string;
  if (representation.format === 'jsonld') {
    const document = encodeJsonLd(records, {
      profile: representation.profile,
      ...(options.containerId !== undefined ? { containerId: options.containerId } : {}),
      ...(options.container !== undefined ? { container: options.container } : {}),
    });
    if (options.view === undefined) {
      body = JSON.stringify(document);
    } else {
      // The paging view needs the hydra: prefix, which no DFC context declares: add it beside the DFC context.
      const view: Record<string, unknown> = { '@id': options.view.self, '@type': 'hydra:PartialCollectionView', 'hydra:first': options.view.first };
      if (options.view.next !== undefined) view['hydra:next'] = options.view.next;
      if (options.view.previous !== undefined) view['hydra:previous'] = options.view.previous;
      const context = Array.isArray(document['@context']) ? document['@context'] : [document['@context'], CONTAINER_CONTEXT];
      body = JSON.stringify({ '@context': context, '@graph': [...document['@graph'], view] });
    }
  } else {
    body = serialize(options.view === undefined ? records : [...records, viewRecord(options.view)], representation.format, {
      profile: representation.profile,
      ...(options.containerId !== undefined ? { containerId: options.containerId } : {}),
      ...(options.container !== undefined ? { container: options.container } : {}),
    });
  }
  return { body, bytes: Buffer.from(body, 'utf8'), etag: etagOf(body, representation.contentType), contentType: representation.contentType };
}

/** A bounded cache of rendered bodies; the oldest entry goes first. */
export class RenderCache {
  private readonly entries = new Map<string, Rendered>();

  public constructor(private readonly capacity = 64) {}

  /** The cached body for a key, refreshed as most recent. */
  public get(key: string): Rendered | undefined {
    const hit = this.entries.get(key);
    if (hit !== undefined) {
      this.entries.delete(key);
      this.entries.set(key, hit);
    }
    return hit;
  }

  public set(key: string, value: Rendered): void {
    this.entries.delete(key);
    this.entries.set(key, value);
    while (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
  }
}
