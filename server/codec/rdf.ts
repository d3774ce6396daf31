/**
 * Numbers as RDF literals: the lexical forms and datatypes every RDF output and reader of the node agrees on.
 *
 * The statements themselves are written by `write-rdf.ts`, straight from records.
 *
 * @packageDocumentation
 */
import { NS } from '../../ontology/namespaces.js';

const XSD_INTEGER = `${NS.xsd}integer`;
const XSD_DOUBLE = `${NS.xsd}double`;
const XSD_FLOAT = `${NS.xsd}float`;
const XSD_DECIMAL = `${NS.xsd}decimal`;

/**
 * The canonical lexical form JSON-LD gives a JSON number written as `xsd:double` (JSON-LD 1.1 §8.6, as
 * jsonld.js writes it): `1.5E0`.
 */
export function doubleLexical(value: number): string {
  return value.toExponential(15).replace(/(\d)0*e\+?/u, '$1E');
}

/**
 * A finite number as an `xsd:decimal` lexical form without binary rounding: the shortest decimal that reads
 * back as the same double (`4.95`, never `4.9500000000000002`), in plain notation (`0.0000001`, not `1e-7`).
 */
export function decimalLexical(value: number): string {
  const shortest = String(value);
  // Only an exponent needs rewriting: most numbers (a price) have none, and skip the expression.
  const m = shortest.includes('e') ? /^(-?)(\d+)(?:\.(\d+))?e([+-]\d+)$/u.exec(shortest) : null;
  let plain = shortest;
  if (m !== null) {
    const [, sign, whole, fraction = '', exponent] = m as unknown as [string, string, string, string | undefined, string];
    const digits = whole + fraction;
    const point = whole.length + Number(exponent);
    plain = point <= 0
      ? `${sign}0.${'0'.repeat(-point)}${digits}`
      : point >= digits.length ? `${sign}${digits}${'0'.repeat(point - digits.length)}` : `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
  }
  return plain.includes('.') ? plain : `${plain}.0`;
}

/**
 * The RDF literal of a number. Integers are `xsd:integer`; other numbers `xsd:decimal` in their shortest exact
 * form, so that a price of 4.95 is `"4.95"^^xsd:decimal` in Turtle and N-Triples (the JSON-LD output writes the
 * JSON number `4.95`). A datatype given with the value (a value object's `@type`) is kept: `xsd:double` in
 * its canonical form, as JSON-LD writes it.
 */
export function numberLiteral(value: number, datatype?: string): { lexical: string; datatype: string } {
  if (datatype === XSD_DOUBLE || datatype === XSD_FLOAT) return { lexical: doubleLexical(value), datatype };
  if (datatype === XSD_DECIMAL) return { lexical: decimalLexical(value), datatype };
  if (Number.isInteger(value) && Math.abs(value) < 1e21) return { lexical: value.toFixed(0), datatype: datatype ?? XSD_INTEGER };
  return { lexical: decimalLexical(value), datatype: datatype ?? XSD_DECIMAL };
}
