/**
 * Which `@id`s are this node's own: nothing a peer sends under this node's base URL may be kept (the node is the
 * authority on its own IRIs). Compared as URLs compare them, not as strings: `HTTP://Node.Example:80/…` is this
 * node's `http://node.example/…`, and a peer writing it so must not slip a resource of ours past the refusal.
 *
 * @packageDocumentation
 */

/** An IRI's scheme and authority lowercased, and a default port (80 for http, 443 for https) dropped. */
function normalised(iri: string): string {
  const match = /^([a-z][a-z0-9+.-]*:\/\/)([^/?#]*)/iu.exec(iri);
  if (match === null) return iri;
  const scheme = (match[1] as string).toLowerCase();
  let authority = (match[2] as string).toLowerCase();
  if ((scheme === 'http://' && authority.endsWith(':80')) || (scheme === 'https://' && authority.endsWith(':443'))) {
    authority = authority.slice(0, authority.lastIndexOf(':'));
  }
  return `${scheme}${authority}${iri.slice(match[0].length)}`;
}

/**
 * Whether an IRI is under this node's base URL (the base itself, or below it after a `/`, `?` or `#`), whatever the
 * case of its scheme and host, or a default port written out.
 *
 * @param iri - a resource's `@id`
 * @param ownBase - this node's public base URL, without a trailing slash
 */
export function isOwnIri(iri: string, ownBase: string): boolean {
  if (iri === ownBase || iri.startsWith(`${ownBase}/`)) return true;
  const base = normalised(ownBase);
  const given = normalised(iri);
  return given === base || (given.startsWith(base) && '/?#'.includes(given.charAt(base.length)));
}
