/**
 * Problems found in DFC input: the one shape the API, the command line and the sync engine all show.
 *
 * @packageDocumentation
 */

/** How bad a problem is: an error rejects the resource, a warning only informs. */
export type Severity = 'error' | 'warning';

/** One problem with one resource (or with the whole document when `id` is null). */
export interface Problem {
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
 * @param id - the node's `@id`, null for the document
 * @param type - the node's compact class name, null when unknown
 * @param path - the property path within the node
 * @param message - the reason
 * @param severity - `error` (default) rejects the node
 */
export function problem(
  id: string | null,
  type: string | null,
  path: string,
  message: string,
  severity: Severity = 'error',
): Problem {
  return { id, type, path, message, severity };
}

/** Whether any of `problems` is an error. */
export function hasErrors(problems: readonly Problem[]): boolean {
  return problems.some((p) => p.severity === 'error');
}
