/**
 * Query parameters written otherwise than a route takes them.
 *
 * @packageDocumentation
 */
import { editDistance } from '../../ontology/fold.js';

/**
 * The parameter a query parameter the route does not take was meant to be, when it is one of the route's written
 * otherwise: as PHP and Rails write lists (`type[]`), in other case or with a dash, or misspelt by a letter
 * (`in_stok`). Ignored, such a filter answered the whole catalogue, unfiltered. Other parameters (a newsletter's
 * `utm_source`) are left alone: a link that carries them still works.
 */
export function meantParameter(name: string, taken: readonly string[]): string | undefined {
  const plain = name.toLowerCase().replace(/\[[^\]]*\]$/u, '').replace(/-/gu, '_');
  // Short names only as written otherwise or in the plural (`types`, `peers`): `x` or `qs` may be anyone's.
  return taken.find((param) => param === plain || (param.length > 1 && plain === `${param}s`) || (param.length >= 5 && Math.abs(plain.length - param.length) <= 1 && editDistance(plain, param) <= 1));
}
