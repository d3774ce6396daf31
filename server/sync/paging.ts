/**
 * The next page of a peer's paged collection, however the peer says it: a `Link: <…>; rel="next"` header
 * (RFC 8288), `hydra:next` in the body (on a node, or on its `hydra:view`), or a plain `next` key.
 *
 * A peer-supplied link is untrusted: only absolute http(s) URLs come out, and a bad link only means no next
 * page.
 *
 * @packageDocumentation
 */
import { NS } from '../../ontology/namespaces.js';

const HYDRA = NS.hydra;

/** An absolute http(s) URL for a peer-supplied reference, or nothing. */
function resolveLink(reference: string, base: URL): string | undefined {
  try {
    const url = new URL(reference, base);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The `rel="next"` target of a `Link` header (RFC 8288). Node joins repeated `Link` headers with `, `.
 * The parser splits on `<` and is linear in the header's length (which Node bounds anyway).
 *
 * @param header - the `Link` header, if any
 * @param base - the URL of the page (relative targets resolve against it)
 */
export function nextFromLinkHeader(header: string | undefined, base: URL): string | undefined {
  if (header === undefined) return undefined;
  for (const link of header.matchAll(/<([^>]*)>([^<]*)/gu)) {
    for (const param of (link[2] ?? '').matchAll(/;\s*([^\s=;,]+)\s*(?:=\s*("(?:[^"\\]|\\.)*"|[^;,\s"]*))?/gu)) {
      if (param[1]?.toLowerCase() !== 'rel') continue;
      let value = param[2] ?? '';
      if (value.startsWith('"')) value = value.slice(1, -1).replace(/\\(.)/gu, '$1');
      if (value.toLowerCase().split(/\s+/u).includes('next')) {
        const next = resolveLink(link[1] ?? '', base);
        if (next !== undefined) return next;
      }
      break; // RFC 8288 §3.3: only the first rel parameter counts.
    }
  }
  return undefined;
}

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A link value as JSON-LD writes it: an IRI string, `{"@id": ...}`, or an array of those. */
function linkValue(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (isObject(value) && typeof value['@id'] === 'string') return value['@id'];
  if (Array.isArray(value)) {
    for (const item of value) {
      const found = linkValue(item);
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

/**
 * The next page named by a JSON document (already parsed: the sync parses a page once): `hydra:next`
 * (compact or full IRI) on a top-level or `@graph` node or on such a node's `hydra:view`, else a top-level
 * `next` string.
 *
 * @param document - the parsed body
 * @param base - the URL of the page (relative targets resolve against it)
 */
export function nextFromJson(document: unknown, base: URL): string | undefined {
  // One pass over the top nodes and those of their `@graph`, allocating nothing per node: a page is millions of nodes
  // at most, and copying them into lists (then a list per node for its views) cost seconds on a hostile one.
  const roots = Array.isArray(document) ? document : [document];
  const found = (node: JsonObject): string | undefined => {
    const here = linkValue(node['hydra:next']) ?? linkValue(node[`${HYDRA}next`]);
    return here === undefined ? undefined : resolveLink(here, base);
  };
  // Links on the nodes themselves first, then on their views, as before: the first found in that order.
  let fromView: string | undefined;
  const visit = (node: unknown): string | undefined => {
    if (!isObject(node)) return undefined;
    const next = found(node);
    if (next !== undefined) return next;
    if (fromView === undefined) {
      for (const view of [node['hydra:view'], node[`${HYDRA}view`]]) {
        for (const v of Array.isArray(view) ? view : [view]) {
          if (fromView === undefined && isObject(v)) fromView = found(v);
        }
      }
    }
    return undefined;
  };
  for (const root of roots) {
    const next = visit(root);
    if (next !== undefined) return next;
    const graph = isObject(root) ? root['@graph'] : undefined;
    if (Array.isArray(graph)) {
      for (const node of graph) {
        const inGraph = visit(node);
        if (inGraph !== undefined) return inGraph;
      }
    }
  }
  if (fromView !== undefined) return fromView;
  for (const root of roots) {
    const value = isObject(root) ? root['next'] : undefined;
    const next = typeof value === 'string' ? resolveLink(value, base) : undefined;
    if (next !== undefined) return next;
  }
  return undefined;
}
