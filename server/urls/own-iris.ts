/**
 * Which `@id`s are this node's own: nothing a peer sends under this node's base URL may be kept (the node is the
 * authority on its own IRIs). Compared as URLs compare them, not as strings: `HTTP://Node.Example:80/…` is this
 * node's `http://node.example/…`, and a peer writing it so must not slip a resource of ours past the refusal.
 *
 * @packageDocumentation
 */

/**
 * Authorities (lowercased) that URL clients read as written: a DNS name of ASCII letters, digits and hyphens whose last
 * label starts with a letter, or an IPv4 address in its four plain decimal parts, and a port without leading zeros.
 * Any other is read by the URL parser first, as a client would: user info (`x@`), a percent-escape
 * (`node%2Eexample`), a trailing dot (`node.example.`), a port with leading zeros (`:080`), an IPv4 address written
 * otherwise (`127.1`, `0x7f.0.0.1`, `2130706433`, `0177.0.0.1`: all 127.0.0.1), an IPv6 address (`[::0001]`), and
 * a host beyond ASCII (full-width `１２７.0.0.1`, a name IDNA maps) all reach a host the text does not show.
 */
const PLAIN_AUTHORITY = /^(?:(?:[a-z0-9-]+\.)*[a-z][a-z0-9-]*|(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d))(?::[1-9]\d*)?$/u;

/** An IRI's scheme and authority lowercased, and a default port (80 for http, 443 for https) dropped. */
function normalised(iri: string): string {
  const match = /^([a-z][a-z0-9+.-]*:\/\/)([^/?#]*)/iu.exec(iri);
  if (match === null) return iri;
  const scheme = (match[1] as string).toLowerCase();
  let authority = (match[2] as string).toLowerCase();
  if (!PLAIN_AUTHORITY.test(authority)) {
    // The host and port as a URL client reaches them (the parser drops user info and a default port, decodes the
    // escapes, writes an IPv4 or IPv6 address in its one form, maps a name by IDNA); a trailing dot names the same
    // host in DNS. Rare, so the parser runs for these only.
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
 * the host, a trailing dot, an address written in another form or a host beyond ASCII: every spelling that a URL
 * client takes to this node.
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
