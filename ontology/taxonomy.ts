/**
 * SKOS taxonomies: units, currencies and product types, with the `skos:broader` tree.
 *
 * A {@link Taxonomy} is an immutable value: loading more concepts returns a new one. It starts from the
 * built-in measures and starter product types, and grows with the official files the operator loads.
 *
 * @packageDocumentation
 */
import { iri, isAbsoluteIri, type Iri } from './iri.js';
import { canonicalDfcIri, NS } from './namespaces.js';
import { STARTER_PRODUCT_TYPES } from './product-types.js';
import { CURRENCY_UNITS, QUANTITY_UNITS } from './units.js';
import { DFC_M_NS, DFC_PT_NS, SKOS } from './vocabulary.js';

/** One SKOS concept. */
export interface Concept {
  readonly iri: Iri;
  readonly broader: readonly Iri[];
  readonly inScheme?: Iri;
  /** `prefLabel` by language tag (`''` for an untagged label). */
  readonly labels: Readonly<Record<string, string>>;
  readonly notation?: string;
}

/** The scheme (or top concept) that decides what a concept is used for. */
export const QUANTITY_UNIT = iri(`${DFC_M_NS}QuantityUnit`);
/** Parent concept of every currency. */
export const CURRENCY_UNIT = iri(`${DFC_M_NS}CurrencyUnit`);

/** An immutable set of SKOS concepts indexed for broader/narrower look-ups. */
export class Taxonomy {
  private readonly concepts: ReadonlyMap<Iri, Concept>;
  private readonly narrowerIndex: ReadonlyMap<Iri, readonly Iri[]>;

  private constructor(concepts: ReadonlyMap<Iri, Concept>) {
    this.concepts = concepts;
    const narrower = new Map<Iri, Iri[]>();
    for (const concept of concepts.values()) {
      for (const parent of concept.broader) {
        const list = narrower.get(parent) ?? [];
        list.push(concept.iri);
        narrower.set(parent, list);
      }
    }
    this.narrowerIndex = narrower;
  }

  /** The built-in taxonomy: every DFC unit and currency, and the starter product types. */
  public static builtin(): Taxonomy {
    const concepts = new Map<Iri, Concept>();
    const add = (concept: Concept): void => void concepts.set(concept.iri, concept);
    add({ iri: QUANTITY_UNIT, broader: [], labels: { en: 'quantity unit' } });
    add({ iri: CURRENCY_UNIT, broader: [], labels: { en: 'currency unit' } });
    for (const unit of QUANTITY_UNITS) add({ iri: iri(`${DFC_M_NS}${unit}`), broader: [QUANTITY_UNIT], labels: {} });
    for (const unit of CURRENCY_UNITS) add({ iri: iri(`${DFC_M_NS}${unit}`), broader: [CURRENCY_UNIT], labels: {} });
    for (const [local, parent, label, french] of STARTER_PRODUCT_TYPES) {
      add({
        iri: iri(`${DFC_PT_NS}${local}`),
        broader: parent === null ? [] : [iri(`${DFC_PT_NS}${parent}`)],
        labels: { en: label, fr: french },
      });
    }
    return new Taxonomy(concepts);
  }

  /** An empty taxonomy. */
  public static empty(): Taxonomy {
    return new Taxonomy(new Map());
  }

  /**
   * A new taxonomy with `concepts` added; a concept already present is replaced.
   *
   * @param concepts - the concepts to add
   */
  public with(concepts: Iterable<Concept>): Taxonomy {
    const merged = new Map(this.concepts);
    for (const concept of concepts) merged.set(concept.iri, concept);
    return new Taxonomy(merged);
  }

  /** Number of concepts. */
  public get size(): number {
    return this.concepts.size;
  }

  /** Every concept, in insertion order. */
  public all(): IterableIterator<Concept> {
    return this.concepts.values();
  }

  /**
   * A concept's label for people: its English (else untagged, else first) `prefLabel`, else its IRI's local
   * name with dashes as spaces (`dfc-pt:round-tomato` → "round tomato").
   */
  public label(conceptIri: string): string {
    const labels = this.concepts.get(conceptIri as Iri)?.labels ?? {};
    const label = labels['en'] ?? labels[''] ?? Object.values(labels)[0];
    if (label !== undefined && label !== '') return label;
    const local = /[^#/:]+$/u.exec(conceptIri)?.[0] ?? conceptIri;
    return decodeURIComponentSafe(local).replace(/[-_]+/gu, ' ');
  }

  /** The concept with this IRI, if known. */
  public get(conceptIri: string): Concept | undefined {
    return this.concepts.get(conceptIri as Iri);
  }

  /** Whether `conceptIri` is `ancestor` or lies below it through `skos:broader`. */
  public isUnder(conceptIri: string, ancestor: string): boolean {
    const seen = new Set<string>();
    const stack = [conceptIri];
    while (stack.length > 0) {
      const current = stack.pop() as string;
      if (current === ancestor) return true;
      if (seen.has(current)) continue; // taxonomies from files may hold cycles
      seen.add(current);
      stack.push(...(this.concepts.get(current as Iri)?.broader ?? []));
    }
    return false;
  }

  /** The concept and every concept below it (for "type includes narrower types" queries). */
  public narrowerClosure(conceptIri: string): Set<Iri> {
    const result = new Set<Iri>([conceptIri as Iri]);
    const stack = [conceptIri as Iri];
    while (stack.length > 0) {
      for (const child of this.narrowerIndex.get(stack.pop() as Iri) ?? []) {
        if (!result.has(child)) {
          result.add(child);
          stack.push(child);
        }
      }
    }
    return result;
  }

  /** Whether `unit` is a known quantity unit. */
  public isQuantityUnit(unit: string): boolean {
    return unit !== QUANTITY_UNIT && this.isUnder(unit, QUANTITY_UNIT);
  }

  /** Whether `unit` is a known currency. */
  public isCurrency(unit: string): boolean {
    return unit !== CURRENCY_UNIT && this.isUnder(unit, CURRENCY_UNIT);
  }
}

const RDF_TYPE = `${NS.rdf}type`;

function ids(node: Record<string, unknown>, key: string): string[] {
  const values = node[key];
  if (!Array.isArray(values)) return [];
  return values.flatMap((v) => (typeof v === 'object' && v !== null && typeof (v as { '@id'?: unknown })['@id'] === 'string'
    ? [(v as { '@id': string })['@id']]
    : []));
}

/**
 * Reads the concepts of a SKOS taxonomy in expanded JSON-LD, the form the official DFC files use
 * (they write `rdf:type` where JSON-LD would write `@type`, so both are read).
 *
 * @param document - the parsed JSON of the file
 * @returns the concepts, with IRIs rewritten to the canonical DFC namespaces
 * @throws TypeError when the document is not expanded JSON-LD with concept nodes
 */
export function parseSkosTaxonomy(document: unknown): Concept[] {
  const nodes: Record<string, unknown>[] = [];
  const collect = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach(collect);
    else if (typeof value === 'object' && value !== null) {
      const node = value as Record<string, unknown>;
      if ('@context' in node) throw new TypeError('expected expanded JSON-LD (the official DFC taxonomy files), found an @context');
      if (Array.isArray(node['@graph'])) collect(node['@graph']);
      else nodes.push(node);
    }
  };
  collect(document);
  const concepts: Concept[] = [];
  for (const node of nodes) {
    const id = node['@id'];
    if (typeof id !== 'string' || !isAbsoluteIri(id)) continue;
    const types = [...(Array.isArray(node['@type']) ? node['@type'] : []), ...ids(node, RDF_TYPE)];
    if (!types.includes(SKOS.Concept)) continue;
    const labels: Record<string, string> = {};
    const prefLabels = node[SKOS.prefLabel];
    if (Array.isArray(prefLabels)) {
      for (const label of prefLabels as { '@value'?: unknown; '@language'?: unknown }[]) {
        if (typeof label['@value'] === 'string') labels[typeof label['@language'] === 'string' ? label['@language'] : ''] = label['@value'];
      }
    }
    const notation = (node[SKOS.notation] as { '@value'?: unknown }[] | undefined)?.[0]?.['@value'];
    const scheme = ids(node, SKOS.inScheme)[0];
    concepts.push({
      iri: iri(canonicalDfcIri(id)),
      broader: ids(node, SKOS.broader).filter(isAbsoluteIri).map((b) => iri(canonicalDfcIri(b))),
      ...(scheme !== undefined ? { inScheme: iri(canonicalDfcIri(scheme)) } : {}),
      labels,
      ...(typeof notation === 'string' ? { notation } : {}),
    });
  }
  if (concepts.length === 0) throw new TypeError('no skos:Concept found: is this a SKOS taxonomy in JSON-LD?');
  return concepts;
}

function decodeURIComponentSafe(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

let builtinTaxonomy: Taxonomy | undefined;

/**
 * The label to show for a product without a name (farm tools publish products by type only): its product
 * type's label in the built-in taxonomy, else the type's local name.
 */
export function productTypeLabel(productType: string): string {
  builtinTaxonomy ??= Taxonomy.builtin();
  return builtinTaxonomy.label(productType);
}

/**
 * The labels of the product types met, by type: a big peer's 200,000 offers are of a few hundred types, and each
 * index row's search text asked them again (a regular expression, a URI decoding and a taxonomy look-up a row: half a
 * second of a 200,000-offer sync). The built-in taxonomy never changes, so the answer of a type never does.
 */
const typeLabels = new Map<string, readonly string[]>();

/** Most product types {@link typeLabels} remembers. */
const TYPE_LABELS_KEPT = 4096;

/**
 * Every word people may call a product type by, in the built-in taxonomy: its labels in every language and
 * its IRI's local name with dashes as spaces (what the federated index searches besides names).
 */
export function productTypeLabels(productType: string): readonly string[] {
  const known = typeLabels.get(productType);
  if (known !== undefined) return known;
  builtinTaxonomy ??= Taxonomy.builtin();
  const local = decodeURIComponentSafe(/[^#/:]+$/u.exec(productType)?.[0] ?? productType).replace(/[-_]+/gu, ' ').trim();
  const labels = Object.freeze([...new Set([...Object.values(builtinTaxonomy.get(productType)?.labels ?? {}), local])]);
  // A peer's types are arbitrary texts: past the bound, the remembered ones are forgotten rather than the memory grown.
  if (typeLabels.size >= TYPE_LABELS_KEPT) typeLabels.clear();
  typeLabels.set(productType, labels);
  return labels;
}
