/**
 * Which `@id`s are this node's own: nothing a peer sends under this node's base URL may be kept (the node is the
 * authority on its own IRIs). Compared as URLs compare them, not as strings: `HTTP://Node.Example:80/…` is this
 * node's `http://node.example/…`, and a peer writing it so must not slip a resource of ours past the refusal.
 *
 * @packageDocumentation
 */

/**
 * Authorities the lowercasing below cannot read: user info (`x@`), a percent-escape (`node%2Eexample`), a trailing
 * dot (`node.example.`), a port with leading zeros (`:080`). URL clients reach the same host through each of them.
 */
const UNUSUAL_AUTHORITY = /[@%]|\.$|\.:|:0/u;

/** An IRI's scheme and authority lowercased, and a default port (80 for http, 443 for https) dropped. */
function normalised(iri: string): string {
  const match = /^([a-z][a-z0-9+.-]*:\/\/)([^/?#]*)/iu.exec(iri);
  if (match === null) return iri;
  const scheme = (match[1] as string).toLowerCase();
  let authority = (match[2] as string).toLowerCase();
  if (UNUSUAL_AUTHORITY.test(authority)) {
    // The host and port as a URL client reaches them (the parser drops user info and a default port, decodes the
    // escapes); a trailing dot names the same host in DNS. Rare, so the parser runs for these only.
    try {
      const url = new URL(iri);
      authority = `${url.hostname.replace(/\.$/u, '')}${url.port === '' ? '' : `:${url.port}`}`;
    } catch {
      // Not a URL a client can reach: compared as written.
    }
  }
  if ((scheme === 'http://' && authority.endsWith(':80')) || (scheme === 'https://' && authority.endsWith(':443'))) {
    authority = authority.slice(0, authority.lastIndexOf(':'));
  }
  return `${scheme}${authority}${iri.slice(match[0].length)}`;
}

/**
 * Whether an IRI is under this node's base URL (the base itself, or below it after a `/`, `?` or `#`), whatever the
 * case of its scheme and host, and with a default port written out (or with leading zeros), user info, escapes in
 * the host or a trailing dot: every spelling that a URL client takes to this node.
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
