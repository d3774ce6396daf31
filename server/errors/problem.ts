/**
 * Problems found in DFC input: the one shape the API, the command line and the sync engine all show.
 *
 * @packageDocumentation
 */

/** How bad a problem is: an error rejects the resource, a warning only informs. */
export type Severity = 'error' | 'warning';

/**
 * Why a problem was reported, as a stable code (jsonld.js's habit): callers branch on it, never on the
 * message, whose words may change. One code per distinct cause.
 */
export type ProblemCode =
  // The document as a whole (id null).
  /** The body's media type is none the decoder reads. */
  | 'unsupported-media-type'
  /** The body is not JSON. */
  | 'invalid-json'
  /** Turtle, N-Triples or N-Quads that the parser refuses. */
  | 'invalid-rdf'
  /** JSON-LD that jsonld.js refuses. */
  | 'invalid-jsonld'
  /** A JSON-LD construct the reader does not take, even after full processing. */
  | 'unsupported-jsonld'
  /** A remote `@context` the node does not hold (it never fetches one). */
  | 'unknown-context'
  /** A DFC prefix used without any context defining it. */
  | 'missing-context'
  /** Nesting deeper than the reader follows (JSON, node objects, chains of blank nodes). */
  | 'too-deep'
  /** Decoding the document took longer than its time budget. */
  | 'decode-timeout'
  /** More problems than a document's decode lists: how many more there were (a warning). */
  | 'too-many-problems'
  /** A value where a node object was expected. */
  | 'not-a-node-object'
  /** A plain-JSON update that is not a JSON object. */
  | 'not-an-object'
  // JSON-LD keywords and terms.
  /** `@id` that is not a string. */
  | 'invalid-id-value'
  /** A relative or malformed IRI. */
  | 'invalid-iri'
  /** `@type` that is not a string or an array of strings. */
  | 'invalid-type-value'
  /** A type that is neither a term of the context nor an IRI. */
  | 'unknown-type'
  /** `@reverse` that is not an object. */
  | 'invalid-reverse-value'
  /** `@value` that is not a string, number or boolean. */
  | 'invalid-value-object'
  /** A property no context defines (dropped; a warning). */
  | 'dropped-property'
  /** An RDF list read as a set (a warning). */
  | 'list-as-set'
  /** A language tag no RDF syntax can write: the text is kept without it (a warning). */
  | 'invalid-language-tag'
  /** Text holding a lone surrogate (no Unicode character): read with U+FFFD in its place (a warning). */
  | 'ill-formed-text'
  /** A warning event of jsonld.js. */
  | 'jsonld-warning'
  // Values of a resource.
  /** A number expected (stock, price, quantity, VAT rate, coordinates). */
  | 'not-a-number'
  /** A string expected. */
  | 'not-a-string'
  /** A required property, or a part of one (a price without value or currency), is missing. */
  | 'missing-property'
  /** A link to a node the document does not hold, where the node was needed inline (a price). */
  | 'dangling-link'
  /** A number outside its range (a negative price). */
  | 'out-of-range'
  /** A field the record does not take. */
  | 'unexpected-property'
  /** Any other value the schema refuses. */
  | 'invalid-value'
  /** A property with more values than a resource may have (an enterprise supplying a million products). */
  | 'too-many-values'
  /**
   * What a resource keeps of the document is over the document's budget (blank nodes shared in a chain,
   * which kept as trees grow exponentially).
   */
  | 'too-large'
  /** A text longer than a resource may hold (a name of a megabyte): refused, never stored, indexed or served. */
  | 'too-long'
  /** A unit or currency that is not in the dfc-m: taxonomy (a warning: the IRI is kept). */
  | 'unknown-unit'
  /** A product type (`dfc-b:hasType`) the node's taxonomy does not hold (a warning: the IRI is kept). */
  | 'unknown-product-type'
  /** Types that say the node is two different things (an Offer that is also a SuppliedProduct). */
  | 'conflicting-types'
  /**
   * Several different values where an order request reads one (two quantities or two offers of one order line,
   * an order line of another order), or a second Order in it: reading one of them would be a guess.
   */
  | 'conflicting-values'
  // Sync.
  /** A peer's resource without an IRI (a blank node) cannot be kept in sync. */
  | 'no-iri'
  /** A peer tried to change a resource of this node. */
  | 'foreign-resource'
  /**
   * A peer's item or product names as its seller an enterprise of another origin (this node's, a third party's): a
   * warning, the resource is kept and listed under no enterprise.
   */
  | 'foreign-seller'
  // Orders.
  /** An order line asks for more than is available. */
  | 'insufficient-stock'
  /** An order line names an offer the selling enterprise does not make. */
  | 'unknown-offer'
  /** The supplier of a listed item refused the order placed with it (or a change of it). */
  | 'refused-upstream'
  /** The supplier of a listed item could not be reached (no answer in time, no connection, a 5xx): nothing was placed. */
  | 'upstream-unreachable'
  /** An order came back to a node it came through already (listings that lead round), or through too many. */
  | 'order-loop'
  /** An order line names a listing no longer on sale (its owner removed the item, or the listing is being removed). */
  | 'not-on-sale';

/**
 * Codes of bodies that cannot even be parsed (or, for a plain-JSON update, are no JSON object): a client's
 * syntax error (HTTP 400), where every other error is about the content (422).
 */
export const SYNTAX_ERRORS: ReadonlySet<ProblemCode> = new Set<ProblemCode>(['invalid-json', 'invalid-rdf', 'not-an-object']);

/** One problem with one resource (or with the whole document when `id` is null). */
export interface Problem {
  /** Why, as a stable code. */
  readonly code: ProblemCode;
  /** The offending node's `@id`, or null for the document itself. */
  readonly id: string | null;
  /** The node's class as a compact name (`dfc-b:Offer`), or null when unknown. */
  readonly type: string | null;
  /** Where in the node, as compact property names joined by `/` (`dfc-b:hasPrice/dfc-b:value`). */
  readonly path: string;
  /** Why, in words an operator understands. */
  readonly message: string;
  readonly severity: Severity;
}

/**
 * Builds a problem.
 *
 * @param code - the cause, as a stable code
 * @param id - the node's `@id`, null for the document
 * @param type - the node's compact class name, null when unknown
 * @param path - the property path within the node
 * @param message - the reason
 * @param severity - `error` (default) rejects the node
 */
export function problem(
  code: ProblemCode,
  id: string | null,
  type: string | null,
  path: string,
  message: string,
  severity: Severity = 'error',
): Problem {
  return { id, type, path, message, severity, code };
}

/** Whether any of `problems` is an error. */
export function hasErrors(problems: readonly Problem[]): boolean {
  return problems.some((p) => p.severity === 'error');
}
