/**
 * A snapshot's page from its bytes to the records it lists: parsed, decoded, checked for document errors, its blank
 * nodes skolemised, its derived links dropped, and the catalogues it leads to found. One function does it
 * ({@link readPage}), in the event loop for the small paths, or in a worker thread for a node's syncs
 * (`page-workers.ts`), which then gets back what it needs and nothing of the page's text or tree.
 *
 * @packageDocumentation
 */
import type { DfcRecord } from '../../ontology/records.js';
import type { Decoder } from '../codec/decode.js';
import { failure } from '../errors/failure.js';
import { decoderInput, pageMediaType, parsePage, type FetchedPage } from './peer-fetch.js';
import { skolemise } from './skolem.js';
import { decodePage, kept, sameOrigin, type PageAt, type PageReader, type PageReading } from './sync-context.js';

export type { PageAt, PageReader, PageReading } from './sync-context.js';

/**
 * Reads a page in the event loop.
 *
 * @param decoder - the node's decoder
 */
export function inProcessPages(decoder: Decoder): PageReader {
  return { read: async (page, at) => readPage(decoder, page, at) };
}

/**
 * Reads a page: parses it if it came unparsed (`PageRequest.unparsed`), decodes it (a page that is no document, or
 * whose decoding throws, fails: `decodePage`), refuses it on a document error (`not-dfc`), and gives its records as
 * kept. The page's text and tree are dropped once decoded: its records allocate much, and the tree alive then was
 * copied by every scavenge meanwhile.
 *
 * @param decoder - the decoder
 * @param page - the page, answered 200
 * @param at - where
 */
export async function readPage(decoder: Decoder, page: FetchedPage, at: PageAt): Promise<PageReading> {
  if (page.unparsed !== undefined) {
    const refused = parsePage(page, page.unparsed.status);
    if (refused !== undefined) return { ok: false, failure: refused, unparsable: true };
  }
  // A page that is no document ({"error": "maintenance"}, an empty body) fails here (`decodePage`): taken for an
  // empty catalogue, it would withdraw everything the peer has.
  const decoding = await decodePage(decoder, decoderInput(page), { mediaType: pageMediaType(page), base: page.url }, at.url);
  delete page.body;
  delete page.json;
  if (!decoding.ok) return decoding;
  const { decoded } = decoding;
  const documentErrors = decoded.problems.filter((p) => p.id === null && p.severity === 'error');
  if (documentErrors.length > 0) {
    return { ok: false, failure: failure('not-dfc', documentErrors.map((p) => p.message).join('; ').slice(0, 500), at.url) };
  }
  return {
    ok: true,
    // Blank nodes of the page (an item, an offer, an address written inline) become resources of their own.
    records: kept(skolemise(decoded.records, at.origin)),
    rejected: decoded.rejected,
    follow: linksToFollow(decoded.records, at.url),
    ...(page.next !== undefined ? { next: page.next } : {}),
  };
}

/** An Open Food Network enterprise `@id` in DFC 2.0: `…/api/dfc/organizations/7` (its API's own layout only). */
const OFN_ORGANIZATION = /^(.*\/api\/dfc)\/organizations\/([^/?#]+)\/*$/u;

/**
 * The catalogue of an enterprise, as Open Food Network lays them out: `<enterprise>/catalog_items`. In DFC 2.0 its
 * enterprises are Organizations under `…/organizations/7`, but their catalogues stay under
 * `…/enterprises/7/catalog_items` (it serves no `…/organizations/7/catalog_items`).
 */
function catalogueOf(enterprise: string): string {
  const organization = OFN_ORGANIZATION.exec(enterprise);
  if (organization !== null) return `${organization[1] as string}/enterprises/${organization[2] as string}/catalog_items`;
  return `${enterprise.replace(/\/+$/u, '')}/catalog_items`;
}

/** From an enterprise document (as decoded: its blank nodes not skolemised), the catalogues of its enterprises. */
function linksToFollow(records: readonly DfcRecord[], url: string): string[] {
  if (records.some((r) => r.kind === 'CatalogItem')) return [];
  return records
    .filter((r) => r.kind === 'Enterprise' && !r.id.startsWith('_:') && sameOrigin(r.id, url))
    .map((r) => catalogueOf(r.id));
}
