/**
 * Units and currencies of the DFC measures taxonomy (`dfc-m:`), by local name.
 *
 * The full list is small and stable, so the node knows all of it without loading a file: an offer in an
 * unknown unit is rejected, whatever taxonomy the operator loaded.
 *
 * @packageDocumentation
 */
import { DFC_M_NS } from './vocabulary.js';
import type { Iri } from './iri.js';

/** Quantity units (`dfc-m:QuantityUnit` narrower concepts). */
export const QUANTITY_UNITS = [
  '4Pack', '6Pack', 'Bag', 'Basket', 'BeerCrate', 'Bottle', 'Box', 'Bucket', 'Bunch', 'Bundle', 'Can', 'Carton', 'Cask',
  'Centilitre', 'Centimetre', 'Crate', 'Cup', 'Decilitre', 'Decimetre', 'Dozen', 'Drum', 'Gallon', 'GrainBulk', 'Gram',
  'HalfDozen', 'Inch', 'Jar', 'Keg', 'Kilogram', 'Kilometre', 'Kit', 'LiquidBulk', 'Litre', 'Metre', 'Milligram',
  'Millilitre', 'Net', 'NoduleBulk', 'Ounce', 'Package', 'Packet', 'Pair', 'Pallet', 'Percent', 'Piece', 'Pot', 'Pouch',
  'PoundMass', 'PowderBulk', 'Punnet', 'Roll', 'Tablet', 'Tin', 'Tonne', 'Tray', 'Tub', 'Tube',
] as const;

/** Currencies (`dfc-m:CurrencyUnit` narrower concepts). */
export const CURRENCY_UNITS = ['AustralianDollar', 'CanadianDollar', 'Euro', 'PoundSterling', 'USDollar'] as const;

/** A quantity unit local name. */
export type QuantityUnitName = (typeof QUANTITY_UNITS)[number];
/** A currency local name. */
export type CurrencyName = (typeof CURRENCY_UNITS)[number];

/** The IRI of a `dfc-m:` unit or currency. */
export function measureIri(local: QuantityUnitName | CurrencyName): Iri {
  return `${DFC_M_NS}${local}` as Iri;
}

/** ISO 4217 codes of the DFC currencies, for people and spreadsheets. */
export const CURRENCY_CODES: Readonly<Record<CurrencyName, string>> = {
  AustralianDollar: 'AUD',
  CanadianDollar: 'CAD',
  Euro: 'EUR',
  PoundSterling: 'GBP',
  USDollar: 'USD',
};

/** The euro, the currency of every example and the default of a French node. */
export const EURO = measureIri('Euro');

const CURRENCY_BY_CODE: ReadonlyMap<string, CurrencyName> = new Map(
  (Object.entries(CURRENCY_CODES) as [CurrencyName, string][]).map(([name, code]) => [code, name]),
);

/**
 * The `dfc-m:` currency of an ISO 4217 code as people write it (`GBP`, `eur`), or undefined for a code that is
 * not one of the DFC currencies.
 */
export function currencyOfCode(code: string): Iri | undefined {
  const name = CURRENCY_BY_CODE.get(code.trim().toUpperCase());
  return name === undefined ? undefined : measureIri(name);
}
