/**
 * Pages of a catalogue assembled from fragments rendered once per version of each resource, so that a change
 * to one product re-renders one node, not every page of the catalogue.
 *
 * A JSON-LD page is `{"@context":…,"@graph":[container?, node, node, …, view?]}`. The compacted node of a record
 * depends only on that record and on the context it is compacted against, which for a collection page is fixed
 * by the profile (DFC 1.16 alone; DFC 2.0 with the container context, as its pages always have an
 * `ldp:Container`): `encodeJsonLd` keeps no state from one record to the next. So each node's JSON text is kept,
 * keyed by profile, `@id` and version, and a page is the concatenation of its nodes' texts with commas, between
 * a head and a tail written as `render` writes them. The bytes are exactly those of {@link render} on the same
 * records (checked by the tests, for both profiles, with and without a paging view).
 *
 * A page's version is a hash of the versions of the records on it, in order, with the request URL and the
 * paging view (the other things its bytes depend on); its ETag is {@link versionEtag} of it, which also covers
 * the representation and the renderer ({@link RENDERING}). A page whose records did not change keeps its ETag
 * across changes to the rest of the catalogue. Turtle, N-Triples and N-Quads are not fragmented: such a page is
 * rendered whole, once per page version (the render cache keeps it).
 *
 * @packageDocumentation
 */
import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { DfcRecord } from '../../ontology/records.js';
import { encodeJsonLd, type DfcProfile } from '../codec/encode.js';
import { containerMembers } from '../codec/values.js';
import { EncodedForms } from './compress.js';
import type { Representation } from './negotiate.js';
import { jsonLdView, pagedContext, render, versionEtag, type PageView, type Rendered } from './render.js';

/** The compacted JSON-LD node of one record, as text, with its compacted `@id`. */
export interface Fragment {
  /** `JSON.stringify` of the node. */
  readonly text: string;
  /** The node's `@id` as written (an `ldp:Container` lists it). */
  readonly id: string;
}

/** Options of {@link FragmentCache}. */
export interface FragmentCacheOptions {
  /** The most memory the kept fragments may take, in bytes (default {@link DEFAULT_FRAGMENT_CACHE_BYTES}). */
  readonly maxBytes?: number;
}

/** The default budget of {@link FragmentCache}: a 10,000-offer catalogue takes about 40 MB of it in one profile. */
export const DEFAULT_FRAGMENT_CACHE_BYTES = 96 * 1024 * 1024;

/** The memory a fragment takes: its strings at two bytes a code unit (the worst case), and a little for the rest. */
function fragmentSize(fragment: Fragment, key: string): number {
  return 2 * (fragment.text.length + fragment.id.length + key.length) + 96;
}

/** Rendered nodes by profile, `@id` and version, bounded in bytes: the least recently used go first. */
export class FragmentCache {
  private readonly entries: LRUCache<string, Fragment>;

  public constructor(options: FragmentCacheOptions = {}) {
    this.entries = new LRUCache<string, Fragment>({ maxSize: options.maxBytes ?? DEFAULT_FRAGMENT_CACHE_BYTES, sizeCalculation: fragmentSize });
  }

  /** The fragment of a record at a version, in a profile; rendered and kept when it is not yet. */
  public fragment(record: DfcRecord, version: string | undefined, profile: DfcProfile): Fragment {
    return this.fragments([record], () => version, profile)[0] as Fragment;
  }

  /**
   * The fragments of records, in order: those kept, and the others rendered together (one `encodeJsonLd` call,
   * which writes each node independently of the others) and kept when they have a version.
   *
   * @param records - the records
   * @param versionOf - their versions (a record without one is rendered, not kept)
   * @param profile - the profile of the page
   */
  public fragments(records: readonly DfcRecord[], versionOf: VersionOf, profile: DfcProfile): Fragment[] {
    const found: (Fragment | undefined)[] = [];
    const keys: (string | undefined)[] = [];
    const missing: number[] = [];
    for (const record of records) {
      const version = versionOf(record);
      const key = version === undefined ? undefined : `${profile}|${version}|${record.id}`;
      const fragment = key === undefined ? undefined : this.entries.get(key);
      if (fragment === undefined) missing.push(found.length);
      found.push(fragment);
      keys.push(key);
    }
    if (missing.length > 0) {
      const made = fragmentsOf(missing.map((i) => records[i] as DfcRecord), profile);
      missing.forEach((index, n) => {
        const fragment = made[n] as Fragment;
        found[index] = fragment;
        const key = keys[index];
        if (key !== undefined) this.entries.set(key, fragment);
      });
    }
    return found as Fragment[];
  }

  /** The bytes the kept fragments take now. */
  public get size(): number {
    return this.entries.calculatedSize;
  }

  /** How many fragments are kept. */
  public get count(): number {
    return this.entries.size;
  }
}

/** A placeholder container `@id`: a node does not depend on it, only on the context the container brings. */
const ANY_CONTAINER = 'urn:maillon:container';

/**
 * The node of one record as a collection page of the profile writes it: through `encodeJsonLd` itself, so that
 * it is the same text by construction (DFC 2.0 nodes compacted with the container context, as in a page).
 */
export function fragmentOf(record: DfcRecord, profile: DfcProfile): Fragment {
  return fragmentsOf([record], profile)[0] as Fragment;
}

/** {@link fragmentOf} of several records, in one `encodeJsonLd` call. */
export function fragmentsOf(records: readonly DfcRecord[], profile: DfcProfile): Fragment[] {
  const graph = encodeJsonLd(records, { profile, containerId: ANY_CONTAINER })['@graph'] as Record<string, unknown>[];
  // DFC 2.0 collections start with their `ldp:Container`: the records' nodes are the ones after it.
  const nodes = profile === 'dfc-v2' ? graph.slice(1) : graph;
  return nodes.map((node) => ({ text: JSON.stringify(node), id: String(node['@id']) }));
}

/**
 * The version of a page: a hash of the versions of its records in order, or undefined when one has none. With
 * the page's URL and view ({@link pageVersion}) it is what the page's bytes depend on besides the renderer.
 *
 * @param records - the records of the page, in order
 * @param versionOf - the version of each record
 */
export function recordsVersion(records: readonly DfcRecord[], versionOf: VersionOf): string | undefined {
  const parts: string[] = [];
  for (const record of records) {
    const version = versionOf(record);
    if (version === undefined) return undefined;
    // The version is a hash of the record, its `@id` included; the length keeps the list unambiguous.
    parts.push(`${version.length}:${version}`);
  }
  // One update of the joined text: thousands of small updates cost more than the hashing.
  return createHash('sha256').update(parts.join('')).digest('base64url').slice(0, 32);
}

/**
 * The version of a page: its records' ({@link recordsVersion}), its container `@id` and its paging view.
 *
 * @param records - {@link recordsVersion} of the page's records
 * @param containerId - the collection's `@id` (the request URL without its query)
 * @param view - the page's paging links
 */
export function pageVersion(records: string, containerId: string, view: PageView | undefined): string {
  return createHash('sha256').update(JSON.stringify([records, containerId, view ?? null])).digest('base64url').slice(0, 32);
}

/** The version of a record (see `StoredResource.version`), or undefined when it is not known. */
export type VersionOf = (record: DfcRecord) => string | undefined;

/** Options of {@link renderPage}. */
export interface PageOptions {
  /** The collection's `@id`: the request URL without its query. */
  readonly containerId: string;
  /** The paging links, when the collection has more than one page. */
  readonly view?: PageView;
  /** The page's version ({@link pageVersion}): its ETag is made from it. */
  readonly version: string;
}

/**
 * Renders one page of a collection: in JSON-LD from the fragments kept (made for the records missing), in the
 * other formats whole. The bytes are those of `render(records, representation, options)`.
 *
 * @param records - the page's records, in order
 * @param versionOf - their versions (a record without one is rendered, not kept)
 * @param representation - the negotiated format and profile
 * @param options - container `@id`, paging view, the page's version
 * @param fragments - the fragments kept
 */
export function renderPage(
  records: readonly DfcRecord[], versionOf: VersionOf, representation: Representation, options: PageOptions, fragments: FragmentCache,
): Rendered {
  if (representation.format !== 'jsonld') {
    return render(records, representation, { containerId: options.containerId, version: options.version, ...(options.view !== undefined ? { view: options.view } : {}) });
  }
  const profile = representation.profile;
  const parts: string[] = [];
  const memberIds: string[] = [];
  const v2 = profile === 'dfc-v2';
  // The container's members as a full render chooses them (the same in every format).
  const members = v2 ? new Set(containerMembers(records)) : undefined;
  fragments.fragments(records, versionOf, profile).forEach((fragment, i) => {
    parts.push(fragment.text);
    if (members?.has(records[i] as DfcRecord) === true) memberIds.push(fragment.id);
  });
  // The document's frame as encodeJsonLd makes it for these options (its context, and for DFC 2.0 its container).
  const frame = encodeJsonLd([], { profile, containerId: options.containerId });
  const head: string[] = [];
  if (v2) {
    const container = { ...(frame['@graph'][0] as Record<string, unknown>) };
    if (memberIds.length > 0) container['ldp:contains'] = memberIds;
    head.push(JSON.stringify(container));
  }
  const context = options.view === undefined ? frame['@context'] : pagedContext(frame['@context']);
  const tail = options.view === undefined ? [] : [JSON.stringify(jsonLdView(options.view))];
  const body = `{"@context":${JSON.stringify(context)},"@graph":[${[...head, ...parts, ...tail].join(',')}]}`;
  return {
    body, bytes: Buffer.from(body, 'utf8'), etag: versionEtag(options.version, representation), contentType: representation.contentType, forms: new EncodedForms(),
    ...(options.view !== undefined ? { view: options.view } : {}),
  };
}
