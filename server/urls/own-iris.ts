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

/** A path the URL parser would rewrite: a dot segment (`/x/../y`, also escaped as `%2e`), or a backslash. */
const UNUSUAL_PATH = /\/\.{1,2}(?:[/?#]|$)|%2e|\\/iu;

/** An http(s) IRI written as `scheme://authority…`: its scheme, authority and the rest. */
const HTTP_IRI = /^(https?:\/\/)([^/?#\\]*)/iu;

/** An IPv4-mapped IPv6 host as the URL parser writes it (`[::ffff:7f00:1]`), and the IPv4 address it is. */
function unmapped(hostname: string): string {
  const mapped = /^\[::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})\]$/u.exec(hostname);
  if (mapped === null) return hostname;
  const high = parseInt(mapped[1] as string, 16);
  const low = parseInt(mapped[2] as string, 16);
  return `${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`;
}

/**
 * An IRI as URL clients read it, for comparing: scheme and authority lowercased, a default port (80 for http, 443 for
 * https) dropped. An http(s) IRI whose authority is not plain, whose path holds what the URL parser rewrites, or that
 * is not written `scheme://` at all (`http:/host/…`, which the parser reads as `http://host/…`) is taken as the parser
 * gives it; any other IRI is compared as written but for its scheme and authority's case.
 */
function normalised(iri: string): string {
  const http = HTTP_IRI.exec(iri);
  if (http !== null && PLAIN_AUTHORITY.test((http[2] as string).toLowerCase()) && !UNUSUAL_PATH.test(iri.slice(http[0].length))) {
    return plainly(http[1] as string, http[2] as string, iri.slice(http[0].length));
  }
  if (/^https?:/iu.test(iri)) {
    // The host and port as a URL client reaches them (the parser drops user info and a default port, decodes the
    // escapes, writes an IPv4 or IPv6 address in its one form, maps a name by IDNA, resolves dot segments); a
    // trailing dot names the same host in DNS, and an IPv4-mapped IPv6 address is that IPv4 address. Rare, so the
    // parser runs for these only.
    try {
      const url = new URL(iri);
      const host = unmapped(url.hostname.replace(/\.$/u, ''));
      return `${url.protocol}//${host}${url.port === '' ? '' : `:${url.port}`}${url.pathname}${url.search}${url.hash}`;
    } catch {
      // Not a URL a client can reach: compared as written.
      return iri;
    }
  }
  const other = /^([a-z][a-z0-9+.-]*:\/\/)([^/?#]*)/iu.exec(iri);
  return other === null ? iri : plainly(other[1] as string, other[2] as string, iri.slice(other[0].length));
}

/** An IRI's scheme and authority lowercased, a default port dropped, the rest as written. */
function plainly(schemePart: string, authorityPart: string, rest: string): string {
  const scheme = schemePart.toLowerCase();
  let authority = authorityPart.toLowerCase();
  if ((scheme === 'http://' && authority.endsWith(':80')) || (scheme === 'https://' && authority.endsWith(':443'))) {
    authority = authority.slice(0, authority.lastIndexOf(':'));
  }
  return `${scheme}${authority}${rest}`;
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
  return ownSpelling(iri, ownBase) !== undefined;
}

/**
 * An IRI of this node in the spelling the node writes it (`HTTP://NODE.example:443/x` → `https://node.example/x`),
 * or undefined for an IRI not under its base (see {@link isOwnIri}).
 */
export function ownSpelling(iri: string, ownBase: string): string | undefined {
  if ((iri === ownBase || iri.startsWith(`${ownBase}/`)) && !UNUSUAL_PATH.test(iri)) return iri;
  const base = normalisedBase(ownBase);
  const given = normalised(iri);
  if (given !== base && !(given.startsWith(base) && '/?#'.includes(given.charAt(base.length)))) return undefined;
  return `${ownBase}${given.slice(base.length)}`;
}

/**
 * Whether an IRI written under `origin` (an origin as the URL parser writes one: `http://peer.example:8080`, then a
 * `/`, `?` or `#`) may be this node's (see {@link isOwnIri}): only when the node's base is at that origin. An IRI's
 * authority is all that its origin's text decides: spelt under another origin than the base's, no IRI is under the
 * base, whatever its path. A sync asks once for its peer's origin, not {@link isOwnIri} for each of the hundreds of
 * thousands of IRIs a big peer writes there.
 *
 * @param origin - an origin, as `URL.origin` writes it
 * @param ownBase - this node's public base URL, without a trailing slash
 */
export function mayBeOwnUnder(origin: string, ownBase: string): boolean {
  const base = normalisedBase(ownBase);
  // The origin as an IRI under it is compared: normalised as its IRIs are (a trailing dot dropped, say).
  const normal = normalised(`${origin}/`).replace(/\/$/u, '');
  return base === normal || (base.startsWith(normal) && '/?#'.includes(base.charAt(normal.length)));
}

/** The last base normalised, and its normal form: a node has one base, and a sync asks of every record it reads. */
let lastBase: { readonly base: string; readonly normal: string } | undefined;

/** A base URL as {@link ownSpelling} compares IRIs with it: normalised, without a trailing slash. */
function normalisedBase(ownBase: string): string {
  if (lastBase?.base !== ownBase) {
    // The base has no trailing slash; the URL parser gives an empty path as `/`.
    lastBase = { base: ownBase, normal: normalised(ownBase).replace(/\/$/u, '') };
  }
  return lastBase.normal;
}
