/**
 * Branded IRI strings.
 *
 * An {@link Iri} can only be made by {@link toIri} (or, for trusted constants, {@link iri}), so a function that
 * takes an `Iri` never has to check it again. Peer data goes through `toIri` once, at the codec boundary.
 *
 * @packageDocumentation
 */

/** An absolute IRI that has been checked once. The brand exists only in types. */
export type Iri = string & { readonly __brand: 'Iri' };

/** A blank node label as written in JSON-LD, Turtle and N-Quads (`_:b0`). */
export type BlankNodeId = `_:${string}`;

/** The identifier of a node: an IRI, or a blank node local to one document. */
export type NodeId = Iri | BlankNodeId;

// RFC 3987 allows more than RFC 3986, but every character excluded here is forbidden in both, and they are
// the ones that break N-Triples and Turtle output when a peer slips them in. One regex: this runs per IRI read.
// eslint-disable-next-line no-control-regex -- control characters are what this refuses
const ABSOLUTE_IRI = /^[A-Za-z][A-Za-z0-9+.-]*:[^\u0000-\u0020<>"{}|\\^`]*$/u;

/**
 * Whether `value` is an absolute IRI we are willing to store and re-serialise.
 *
 * @param value - the candidate string
 * @returns true for a string with a scheme and no character that RDF serialisations forbid
 */
export function isAbsoluteIri(value: string): boolean {
  if (!ABSOLUTE_IRI.test(value)) return false;
  // Brackets in the authority only around an IP literal that is the whole host (RFC 3986 §3.2.2,
  // `http://[::1]:8080/`): `http://[::1` or `http://a]b/` is no IRI, and no URL client reads it as one. (Brackets in a
  // path or query, `?filter[type]=…`, are left alone: URL clients take them, and real APIs use them.) Most IRIs have
  // none: this runs per IRI read.
  if (!value.includes('[') && !value.includes(']')) return true;
  const start = value.indexOf('//');
  if (start < 0 || value.indexOf(':') !== start - 1) return true;
  const rest = value.slice(start + 2);
  const end = rest.search(/[/?#]/u);
  const authority = end < 0 ? rest : rest.slice(0, end);
  return (!authority.includes('[') && !authority.includes(']')) || IP_LITERAL_AUTHORITY.test(authority);
}

/** An authority whose host is an IP literal (an IPv6 address, with a zone, or an IPvFuture). */
const IP_LITERAL_AUTHORITY = /^(?:[^@[\]]*@)?\[[0-9A-Za-z:._~!$&'()*+,;=%-]+\](?::[0-9]*)?$/u;
/**
 * Checks an absolute IRI and brands it.
 *
 * @param value - the candidate string
 * @returns the same string, typed {@link Iri}
 * @throws TypeError when `value` is not an absolute IRI
 */
export function toIri(value: string): Iri {
  if (!isAbsoluteIri(value)) {
    throw new TypeError(`not an absolute IRI: ${JSON.stringify(value.slice(0, 200))}`);
  }
  return value as Iri;
}

/**
 * Brands a trusted constant without checking it; for vocabulary tables only.
 *
 * @param value - an IRI written in our own source
 */
export function iri<T extends string>(value: T): T & Iri {
  return value as T & Iri;
}

/** Whether `value` is a blank node label (`_:…`). */
export function isBlankNodeId(value: string): value is BlankNodeId {
  return value.startsWith('_:');
}
