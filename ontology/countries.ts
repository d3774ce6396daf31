/**
 * Countries as people write them, mapped to the EU country authority the DFC uses for `dfc-b:hasCountry`
 * (`http://publications.europa.eu/resource/authority/country/FRA`).
 *
 * The table covers the countries of the DFC's users (Europe, the UK, North America, Australia and New Zealand);
 * a country it does not know is kept as written.
 *
 * @packageDocumentation
 */
import type { Iri } from './iri.js';

/** The namespace of the EU country authority. */
export const EU_COUNTRY_NS = 'http://publications.europa.eu/resource/authority/country/';

/** `[ISO 3166 alpha-3, alpha-2, English name, other names…]`. */
const COUNTRIES: readonly (readonly string[])[] = [
  ['AUT', 'AT', 'Austria', 'Österreich'], ['BEL', 'BE', 'Belgium', 'Belgique', 'België'], ['BGR', 'BG', 'Bulgaria'],
  ['HRV', 'HR', 'Croatia', 'Hrvatska'], ['CYP', 'CY', 'Cyprus'], ['CZE', 'CZ', 'Czechia', 'Czech Republic'],
  ['DNK', 'DK', 'Denmark', 'Danmark'], ['EST', 'EE', 'Estonia'], ['FIN', 'FI', 'Finland', 'Suomi'],
  ['FRA', 'FR', 'France'], ['DEU', 'DE', 'Germany', 'Deutschland', 'Allemagne'], ['GRC', 'GR', 'Greece'],
  ['HUN', 'HU', 'Hungary'], ['IRL', 'IE', 'Ireland', 'Éire'], ['ITA', 'IT', 'Italy', 'Italia', 'Italie'],
  ['LVA', 'LV', 'Latvia'], ['LTU', 'LT', 'Lithuania'], ['LUX', 'LU', 'Luxembourg'], ['MLT', 'MT', 'Malta'],
  ['NLD', 'NL', 'Netherlands', 'Nederland', 'Pays-Bas'], ['POL', 'PL', 'Poland', 'Polska'], ['PRT', 'PT', 'Portugal'],
  ['ROU', 'RO', 'Romania'], ['SVK', 'SK', 'Slovakia'], ['SVN', 'SI', 'Slovenia'], ['ESP', 'ES', 'Spain', 'España', 'Espagne'],
  ['SWE', 'SE', 'Sweden', 'Sverige'], ['GBR', 'GB', 'United Kingdom', 'UK', 'Great Britain', 'Royaume-Uni'],
  ['CHE', 'CH', 'Switzerland', 'Suisse', 'Schweiz'], ['NOR', 'NO', 'Norway', 'Norge'], ['ISL', 'IS', 'Iceland'],
  ['AND', 'AD', 'Andorra'], ['MCO', 'MC', 'Monaco'], ['USA', 'US', 'United States', 'United States of America'],
  ['CAN', 'CA', 'Canada'], ['AUS', 'AU', 'Australia'], ['NZL', 'NZ', 'New Zealand'],
];

const BY_NAME: ReadonlyMap<string, string> = new Map(
  COUNTRIES.flatMap(([alpha3, ...names]) => [alpha3 as string, ...names].map((name) => [name.toLowerCase(), alpha3 as string] as const)),
);

/**
 * The EU authority IRI of a country written as an ISO 3166 code (`GB`, `FRA`) or a name (`France`), any case;
 * undefined when the table does not know it.
 */
export function countryIri(written: string): Iri | undefined {
  // UK is an exceptionally reserved alpha-2 code, which people write as often as GB.
  const alpha3 = BY_NAME.get(written.trim().toLowerCase());
  return alpha3 === undefined ? undefined : (`${EU_COUNTRY_NS}${alpha3}` as Iri);
}
