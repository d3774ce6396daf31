/**
 * Validation of normalised records: JSON Schema (ajv) for shape and ranges, the taxonomy for units.
 *
 * @packageDocumentation
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import type { DfcRecord, Extra, RecordKind } from '../../ontology/records.js';
import { RECORD_SCHEMAS } from '../../ontology/schemas.js';
import type { Taxonomy } from '../../ontology/taxonomy.js';
import { shortName } from './compact.js';
import { problem, type Problem, type ProblemCode } from '../errors/problem.js';
import { MAX_NAME_LENGTH, MAX_TEXT_LENGTH } from './limits.js';

/** Wire names of record fields, for problem paths. */
const WIRE: Readonly<Record<string, string>> = {
  name: 'dfc-b:name',
  description: 'dfc-b:description',
  price: 'dfc-b:hasPrice',
  'price/value': 'dfc-b:hasPrice/dfc-b:value',
  'price/currency': 'dfc-b:hasPrice/dfc-b:hasUnit',
  'price/vatRate': 'dfc-b:hasPrice/dfc-b:VATrate',
  stock: 'dfc-b:stockLimitation',
  quantity: 'dfc-b:hasQuantity',
  'quantity/value': 'dfc-b:hasQuantity/dfc-b:value',
  'quantity/unit': 'dfc-b:hasQuantity/dfc-b:hasUnit',
  latitude: 'dfc-b:latitude',
  longitude: 'dfc-b:longitude',
  sku: 'dfc-b:sku',
  productType: 'dfc-b:hasType',
  id: '@id',
};

/** The type name of each kind of record in problem reports. */
const TYPE_NAMES: Readonly<Record<Exclude<RecordKind, 'Resource'>, string>> = {
  Enterprise: 'dfc-b:Enterprise', Address: 'dfc-b:Address', Person: 'dfc-b:Person', SuppliedProduct: 'dfc-b:SuppliedProduct',
  CatalogItem: 'dfc-b:CatalogItem', Offer: 'dfc-b:Offer', Catalog: 'dfc-b:Catalog', CustomerCategory: 'dfc-b:CustomerCategory',
  SaleSession: 'dfc-b:SaleSession', Order: 'dfc-b:Order', OrderLine: 'dfc-b:OrderLine',
};

/** Plain-language messages for the rules an operator meets most. */
const MESSAGES: Readonly<Record<string, string>> = {
  'Enterprise:required:name': 'an Enterprise needs a name (dfc-b:name)',
  'Offer:required:price': 'an Offer needs a price (dfc-b:hasPrice)',
  'minimum:price/value': 'price must not be negative',
  'minimum:quantity/value': 'quantity must not be negative',
};

/** Validates records against the record schemas and the taxonomy. */
export class RecordValidator {
  private readonly validators: ReadonlyMap<RecordKind, ValidateFunction>;

  public constructor(private readonly taxonomy: Taxonomy) {
    // Without the `u` flag the id pattern runs about twice as fast, and matches the same strings: it names no
    // character beyond the BMP and no Unicode property.
    const ajv = new Ajv({ allErrors: true, strict: true, unicodeRegExp: false });
    const validators = new Map<RecordKind, ValidateFunction>();
    for (const [kind, schema] of Object.entries(RECORD_SCHEMAS)) validators.set(kind as RecordKind, ajv.compile(schema));
    this.validators = validators;
  }

  /**
   * Every problem of one record.
   *
   * @param record - the record to check
   * @param skipFields - fields already reported while decoding (not reported twice)
   */
  public validate(record: DfcRecord, skipFields: ReadonlySet<string> = NO_FIELDS): Problem[] {
    const type = typeName(record);
    const problems: Problem[] = [];
    const validator = this.validators.get(record.kind) as ValidateFunction;
    const valid: boolean = validator(record);
    if (!valid) {
      for (const error of validator.errors ?? []) {
        const field = errorField(error);
        if (skipFields.has(field.split('/')[0] as string)) continue;
        problems.push(problem(codeOf(error), record.id, type, WIRE[field] ?? field, message(record.kind, error, field)));
      }
    }
    checkLengths(problems, record, type);
    if (record.kind === 'Offer' || record.kind === 'OrderLine') this.checkUnit(problems, record, type, 'price/currency', record.price?.currency, 'currency');
    if (record.kind === 'SuppliedProduct') this.checkUnit(problems, record, type, 'quantity/unit', record.quantity?.unit, 'unit');
    if (record.kind === 'OrderLine') this.checkUnit(problems, record, type, 'quantityUnit', record.quantityUnit, 'unit');
    if (record.kind === 'SuppliedProduct') {
      // Farm tools publish products by type only: the product is shown by its type's label.
      if (record.name === undefined) {
        const shownAs = record.productType !== undefined ? `shown by its product type's label, "${this.taxonomy.label(record.productType)}"` : 'shown by its id';
        problems.push(problem('missing-property', record.id, type, 'dfc-b:name', `a SuppliedProduct without a name (dfc-b:name) is ${shownAs}`, 'warning'));
      }
      if (record.productType !== undefined && this.taxonomy.get(record.productType) === undefined) {
        problems.push(problem('unknown-product-type', record.id, type, 'dfc-b:hasType',
          `unknown product type ${shortName(record.productType)}: not in this node's taxonomy (kept as given; 'maillon taxonomy load' adds the official one)`, 'warning'));
      }
    }
    return problems;
  }

  private checkUnit(problems: Problem[], record: DfcRecord, type: string, field: string, unit: string | undefined, what: 'unit' | 'currency'): void {
    if (unit === undefined) return;
    // A unit we do not know (`dfc-m:pack`, a unit added after us) is still a unit: the reader can live with it.
    if (this.isKnownUnit(unit, what)) return;
    problems.push(problem('unknown-unit', record.id, type, WIRE[field] ?? field,
      `unknown ${what} ${shortName(unit)}: not a dfc-m: ${what === 'currency' ? 'currency' : 'quantity unit'} this node knows (kept as given)`, 'warning'));
  }

  /**
   * Whether the taxonomy knows a unit (or a currency), memoised: a catalogue names the same few units on every
   * offer, and the taxonomy (immutable) walks its `skos:broader` links to answer.
   */
  private isKnownUnit(unit: string, what: 'unit' | 'currency'): boolean {
    const memo = what === 'currency' ? this.knownCurrencies : this.knownUnits;
    let known = memo.get(unit);
    if (known === undefined) {
      known = what === 'currency' ? this.taxonomy.isCurrency(unit) : this.taxonomy.isQuantityUnit(unit);
      // Bounded: a peer naming a new unit on every offer must not grow the node's memory.
      if (memo.size >= MAX_MEMO) memo.clear();
      memo.set(unit, known);
    }
    return known;
  }

  private readonly knownCurrencies = new Map<string, boolean>();
  private readonly knownUnits = new Map<string, boolean>();
}

const NO_FIELDS: ReadonlySet<string> = new Set();

/** Whether a property's schema is a text, or a list of texts (not an IRI: those have the node id's pattern). */
function isText(schema: Readonly<Record<string, unknown>> | undefined): boolean {
  if (schema === undefined) return false;
  if (schema['type'] === 'array') return isText(schema['items'] as Readonly<Record<string, unknown>> | undefined);
  return schema['type'] === 'string' && !(typeof schema['pattern'] === 'string' && schema['pattern'].startsWith('^(_:'));
}

/** The text fields of each kind of record (`name`, `description`, an address's lines…), from the record schemas. */
const TEXT_FIELDS: ReadonlyMap<string, readonly string[]> = new Map(Object.entries(RECORD_SCHEMAS).map(([kind, schema]) => [kind,
  Object.entries(schema['properties'] as Readonly<Record<string, Readonly<Record<string, unknown>>>>)
    .filter(([field, property]) => field !== 'kind' && field !== 'id' && isText(property)).map(([field]) => field)]));

/**
 * Reports every text of a record longer than the limits allow ({@link MAX_NAME_LENGTH} for a name,
 * {@link MAX_TEXT_LENGTH} for any other text, the unmodelled literals kept in `extra` included): an error, so that
 * the resource is refused (a 422 on a write, quarantined on sync), never stored as it is. Lengths are read, never
 * counted: a record of short texts costs a few comparisons.
 */
function checkLengths(problems: Problem[], record: DfcRecord, type: string): void {
  // Only the text fields of the record's kind (read from its schema once): this runs on every record a sync decodes,
  // and allocates nothing when every text is short.
  const fields = TEXT_FIELDS.get(record.kind) as readonly string[];
  const values = record as unknown as Readonly<Record<string, unknown>>;
  for (let i = 0; i < fields.length; i++) {
    const field = fields[i] as string;
    const value = values[field];
    if (value === undefined) continue;
    const limit = field === 'name' ? MAX_NAME_LENGTH : MAX_TEXT_LENGTH;
    if (typeof value === 'string') {
      if (value.length > limit) tooLong(problems, record, type, field, value.length, limit);
    } else if (Array.isArray(value)) {
      for (const item of value as unknown[]) {
        if (typeof item === 'string' && item.length > limit) {
          tooLong(problems, record, type, field, item.length, limit);
          break;
        }
      }
    }
  }
  if (record.extra !== undefined) checkExtraLengths(problems, record, type, record.extra);
}

/** The `too-long` problem of a field. */
function tooLong(problems: Problem[], record: DfcRecord, type: string, field: string, length: number, limit: number): void {
  problems.push(problem('too-long', record.id, type, WIRE[field] ?? field, `${WIRE[field] ?? field} holds ${length} characters; at most ${limit} are taken`));
}

/** Reports the first unmodelled literal longer than {@link MAX_TEXT_LENGTH}, under the property that holds it. */
function checkExtraLengths(problems: Problem[], record: DfcRecord, type: string, extra: Extra): void {
  // The kept values are trees of bounded depth (MAX_EXTRA_DEPTH): walked with a stack, each literal once.
  const stack: [string, Extra][] = [['', extra]];
  for (let top = stack.pop(); top !== undefined; top = stack.pop()) {
    for (const predicate in top[1]) {
      for (const value of top[1][predicate] ?? []) {
        if ('@value' in value) {
          if (typeof value['@value'] === 'string' && value['@value'].length > MAX_TEXT_LENGTH) {
            tooLong(problems, record, type, shortName(top[0] === '' ? predicate : top[0]), value['@value'].length, MAX_TEXT_LENGTH);
            return;
          }
        } else if ('properties' in value) stack.push([top[0] === '' ? predicate : top[0], value.properties]);
      }
    }
  }
}

const MAX_MEMO = 1024;

function typeName(record: DfcRecord): string {
  if (record.kind !== 'Resource') return TYPE_NAMES[record.kind];
  const first = record.types[0];
  return first !== undefined ? shortName(first) : 'rdfs:Resource';
}

function errorField(error: ErrorObject): string {
  const base = error.instancePath.replace(/^\//u, '');
  if (error.keyword === 'required') {
    const missing = (error.params as { missingProperty: string }).missingProperty;
    return base === '' ? missing : `${base}/${missing}`;
  }
  return base;
}

/** The problem code of a schema error, by the rule it broke. */
function codeOf(error: ErrorObject): ProblemCode {
  switch (error.keyword) {
    case 'required':
      return 'missing-property';
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return 'out-of-range';
    case 'additionalProperties':
      return 'unexpected-property';
    default:
      return 'invalid-value';
  }
}

function message(kind: RecordKind, error: ErrorObject, field: string): string {
  const known = MESSAGES[`${kind}:${error.keyword}:${field}`] ?? MESSAGES[`${error.keyword}:${field}`];
  if (known !== undefined) return known;
  if (error.keyword === 'required') return `${WIRE[field] ?? field} is required on a ${kind}`;
  if (error.keyword === 'additionalProperties') {
    return `unexpected field ${(error.params as { additionalProperty: string }).additionalProperty}`;
  }
  return `${WIRE[field] ?? field} ${error.message ?? 'is invalid'}`;
}
