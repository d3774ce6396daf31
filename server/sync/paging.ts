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
  const roots = (Array.isArray(document) ? document : [document]).filter(isObject);
  const nodes: JsonObject[] = [];
  for (const root of roots) {
    nodes.push(root);
    const graph = root['@graph'];
    // A loop, not `push(...graph)`: a single-page catalogue of a hundred thousand nodes would overflow the stack.
    if (Array.isArray(graph)) for (const node of graph) if (isObject(node)) nodes.push(node);
  }
  const views = nodes.flatMap((node) => [node['hydra:view'], node[`${HYDRA}view`]].flatMap((v) => (Array.isArray(v) ? v : [v])).filter(isObject));
  for (const node of [...nodes, ...views]) {
    const value = linkValue(node['hydra:next']) ?? linkValue(node[`${HYDRA}next`]);
    const next = value === undefined ? undefined : resolveLink(value, base);
    if (next !== undefined) return next;
  }
  for (const root of roots) {
    const value = root['next'];
    const next = typeof value === 'string' ? resolveLink(value, base) : undefined;
    if (next !== undefined) return next;
  }
  return undefined;
}
