/**
 * `maillon convert` is faithful (issue 12): the graph it writes is the graph it read. Triples may be added, but
 * only the other end of a link (`dfc-b:referencedBy` for a `dfc-b:references`) and a reader spelling beside its
 * term (README "Spelling exceptions"); nothing is dropped or renamed, and an `ldp:Container` keeps its `@id`.
 * Graphs are compared as sets of triples, blank nodes named by what they hold (a price, a quantity).
 */
import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Parser, type Quad } from 'n3';
import { INVERSE_PAIRS } from '../../../ontology/inverses.js';
import { DFC_NAMESPACES, canonicalDfcIri } from '../../../ontology/namespaces.js';
import { SPELLING_EXCEPTIONS } from '../../../ontology/spellings.js';
import { run } from '../../../server/cli/main.js';
import { jsonld, offline } from '../../helpers/jsonld.js';

const FIXTURES = join(import.meta.dirname, '../../fixtures');

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await run(argv, { out: (t) => void (out += t), err: (t) => void (err += t) });
  return { code, out, err };
}

/** A document's triples: JSON-LD through jsonld.js, Turtle and N-Triples through n3. */
async function quadsOf(text: string, format: 'jsonld' | 'turtle' | 'ntriples'): Promise<Quad[]> {
  if (format === 'jsonld') {
    const nquads = await jsonld.toRDF(JSON.parse(text), { format: 'application/n-quads', ...offline });
    return new Parser({ format: 'application/n-quads' }).parse(nquads);
  }
  return new Parser({ format: format === 'turtle' ? 'text/turtle' : 'application/n-triples' }).parse(text);
}

/**
 * The triples as lines, each blank node replaced by a name made of what it holds (recursively), so two
 * documents that say the same thing with other blank node labels give the same lines. Literals are compared by
 * value where they are numbers (`4.95E0`^^xsd:double in JSON-LD is `4.95`^^xsd:decimal in Turtle).
 */
function lines(quads: readonly Quad[]): Set<string> {
  const bySubject = new Map<string, Quad[]>();
  for (const q of quads) bySubject.set(q.subject.value, [...(bySubject.get(q.subject.value) ?? []), q]);
  const term = (t: Quad['object'], path: ReadonlySet<string>): string => {
    if (t.termType === 'BlankNode') {
      if (path.has(t.value)) return '[cycle]';
      const inner = new Set([...path, t.value]);
      return `[${(bySubject.get(t.value) ?? []).map((q) => `${q.predicate.value} ${term(q.object, inner)}`).sort().join('; ')}]`;
    }
    if (t.termType === 'Literal') {
      const datatype = t.datatype.value;
      if (/#(double|decimal|float|integer)$/u.test(datatype) && Number.isFinite(Number(t.value))) return `number:${Number(t.value)}`;
      return `"${t.value}"@${t.language}^^${datatype}`;
    }
    return `<${t.value}>`;
  };
  const out = new Set<string>();
  for (const q of quads) {
    if (q.subject.termType === 'BlankNode') continue; // held by the node that links to it
    out.add(`<${q.subject.value}> <${q.predicate.value}> ${term(q.object, new Set())}`);
  }
  return out;
}

/** Whether an added line is one the conversion may add: the other end of a link, or a reader spelling. */
function allowedAddition(line: string, before: ReadonlySet<string>): boolean {
  const m = /^<([^>]*)> <([^>]*)> (.*)$/u.exec(line);
  if (m === null) return false;
  const [, subject, predicate, object] = m as unknown as [string, string, string, string];
  const canonical = canonicalDfcIri(predicate);
  const ns = predicate.slice(0, predicate.length - canonical.length + canonical.lastIndexOf('#') + 1);
  const local = (iri: string): string => iri.slice(iri.lastIndexOf('#') + 1);
  // The node writes the offer's item as dfc-b:offers and as the connector's dfc-b:offeredItem: either name stands for the link.
  const names = (property: string): string[] => [property, ...SPELLING_EXCEPTIONS.filter((s) => s.wire === property).map((s) => s.term)];
  for (const { forward, inverse } of INVERSE_PAIRS) {
    for (const [own, other] of [[forward, inverse], [inverse, forward]] as const) {
      if (names(own.property).includes(canonical) && object.startsWith('<')) {
        const target = object.slice(1, -1);
        if (names(other.property).some((p) => before.has(`<${target}> <${ns}${local(p)}> <${subject}>`))) return true;
      }
    }
  }
  // A reader spelling beside its term, or the term beside a reader spelling.
  return SPELLING_EXCEPTIONS.some((s) => (s.wire === canonical && before.has(`<${subject}> <${ns}${local(s.term)}> ${object}`))
    || (s.term === canonical && before.has(`<${subject}> <${ns}${local(s.wire)}> ${object}`)));
}

/**
 * A negative stock limitation is Open Food Network's "on demand": the node writes it as `-1`, what Open Food Network
 * imports as on demand (README "Reading and writing DFC"). A conversion may write `-1` for another negative stock,
 * never for none (an offer's `-1` would override its catalog item's stock: Open Food Network would sell what is not there).
 */
const ON_DEMAND = /#stockLimitation> number:-\d/u;
const WRITTEN_ON_DEMAND = /^(<[^>]*>) <[^>]*#stockLimitation> number:-1$/u;

/** Whether `before` gives `subject` an on-demand (negative) stock, which `-1` says again. */
function onDemandStock(subject: string, before: ReadonlySet<string>): boolean {
  return [...before].some((l) => l.startsWith(`${subject} `) && /#stockLimitation> number:-/u.test(l));
}

/** What `after` dropped of `before`, and what it added that is no inverse link nor reader spelling. */
function differences(before: ReadonlySet<string>, after: ReadonlySet<string>): { dropped: string[]; added: string[] } {
  return {
    dropped: [...before].filter((l) => !after.has(l) && !ON_DEMAND.test(l)).sort(),
    added: [...after].filter((l) => {
      const onDemand = WRITTEN_ON_DEMAND.exec(l);
      if (onDemand !== null && onDemandStock(onDemand[1] as string, before)) return false;
      return !before.has(l) && !allowedAddition(l, before);
    }).sort(),
  };
}

describe('maillon convert is faithful (issue 12)', function () {
  this.timeout(30000);
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'maillon-convert-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  /** Writes a DFC 1.16 document of these nodes into the test's folder, and answers its path. */
  function documentFile(name: string, graph: readonly Record<string, unknown>[]): string {
    const file = join(dir, name);
    writeFileSync(file, JSON.stringify({ '@context': 'https://w3id.org/dfc/ontology/context/context_1.16.0.json', '@graph': graph }));
    return file;
  }

  /** Converts a file, expecting success. */
  async function convert(file: string, ...options: string[]): Promise<string> {
    const { code, out, err } = await cli('convert', file, '--data-dir', dir, ...options);
    expect(code, err).to.equal(0);
    return out;
  }

  for (const fixture of ['fdc-2.0.json', 'rich-2.0.json']) {
    it(`gives back the same graph for a DFC 2.0 document with --profile dfc-v2 (${fixture})`, async () => {
      const file = fixture === 'rich-2.0.json' ? join(FIXTURES, 'shapes', fixture) : join(FIXTURES, fixture);
      const text = readFileSync(file, 'utf8');
      const out = await convert(file, '--profile', 'dfc-v2');
      const before = lines(await quadsOf(text, 'jsonld'));
      const after = lines(await quadsOf(out, 'jsonld'));
      expect(before.size).to.be.greaterThan(20);
      expect(differences(before, after)).to.deep.equal({ dropped: [], added: [] });
    });
  }

  it('keeps the @id of an ldp:Container and what it contains', async () => {
    const file = join(FIXTURES, 'shapes', 'rich-2.0.json');
    const source = JSON.parse(readFileSync(file, 'utf8')) as { '@graph': Record<string, unknown>[] };
    const container = source['@graph'].find((n) => n['@type'] === 'ldp:Container') as Record<string, unknown>;
    expect(container['@id']).to.be.a('string');
    const written = JSON.parse(await convert(file, '--profile', 'dfc-v2')) as { '@graph': Record<string, unknown>[] };
    const containers = written['@graph'].filter((n) => n['@type'] === 'ldp:Container');
    expect(containers.map((n) => n['@id'])).to.deep.equal([container['@id']]);
    expect(containers[0]?.['ldp:contains']).to.deep.equal(container['ldp:contains']);
  });

  it('keeps the container\'s @id in DFC 1.16 and in Turtle too', async () => {
    const file = join(FIXTURES, 'shapes', 'rich-2.0.json');
    const containerId = (JSON.parse(readFileSync(file, 'utf8')) as { '@graph': Record<string, unknown>[] })['@graph']
      .find((n) => n['@type'] === 'ldp:Container')?.['@id'] as string;
    for (const options of [[], ['--to', 'turtle'], ['--to', 'turtle', '--profile', 'dfc-v2']]) {
      const out = await convert(file, ...options);
      const quads = await quadsOf(out, options.includes('turtle') ? 'turtle' : 'jsonld');
      const types = quads.filter((q) => q.subject.value === containerId && q.object.value === 'http://www.w3.org/ns/ldp#Container');
      expect(types, options.join(' ')).to.have.length(1);
      expect(quads.filter((q) => q.subject.value === containerId && q.predicate.value === 'http://www.w3.org/ns/ldp#contains').length).to.be.greaterThan(0);
    }
  });

  for (const fixture of ['ofn-catalog-1.16.json', 'connector-export.json']) {
    it(`keeps the graph of a DFC 1.16 document through Turtle and N-Triples back to JSON-LD (${fixture})`, async () => {
      const file = join(FIXTURES, fixture);
      const original = lines(await quadsOf(await convert(file), 'jsonld'));
      for (const format of ['turtle', 'ntriples'] as const) {
        const rdfText = await convert(file, '--to', format);
        const rdf = lines(await quadsOf(rdfText, format));
        expect(differences(original, rdf), format).to.deep.equal({ dropped: [], added: [] });
        const rdfFile = join(dir, `back.${format === 'turtle' ? 'ttl' : 'nt'}`);
        writeFileSync(rdfFile, rdfText);
        const back = lines(await quadsOf(await convert(rdfFile), 'jsonld'));
        expect(differences(original, back), `${format} → JSON-LD`).to.deep.equal({ dropped: [], added: [] });
      }
    });
  }

  it('a 1.16 document converted to 1.16 keeps every triple it had (only inverse links and reader spellings are added, a negative stock written -1)', async () => {
    const file = join(FIXTURES, 'ofn-catalog-1.16.json');
    const before = lines(await quadsOf(readFileSync(file, 'utf8'), 'jsonld'));
    const after = lines(await quadsOf(await convert(file), 'jsonld'));
    expect(differences(before, after)).to.deep.equal({ dropped: [], added: [] });
    const onDemand = [...before].filter((l) => ON_DEMAND.test(l));
    expect(onDemand, 'the fixture has on-demand stock').to.have.length.greaterThan(0);
    // Written as Open Food Network imports it: -1, whatever negative number it was.
    expect(onDemand.map((l) => l.replace(/number:-[\d.]+$/u, 'number:-1')).filter((l) => !after.has(l))).to.deep.equal([]);
  });

  it('writes no stock where the document stated none: an offer is not made on demand beside its item\'s stock', async () => {
    const file = documentFile('offer-without-stock.jsonld', [
      { '@id': 'https://farm.example/items/1', '@type': 'dfc-b:CatalogItem', 'dfc-b:stockLimitation': 11, 'dfc-b:offeredThrough': 'https://farm.example/offers/1' },
      { '@id': 'https://farm.example/offers/1', '@type': 'dfc-b:Offer', 'dfc-b:offers': 'https://farm.example/items/1',
        'dfc-b:hasPrice': { '@type': 'dfc-b:Price', 'dfc-b:value': 3.5, 'dfc-b:hasUnit': 'dfc-m:Euro' } },
      { '@id': 'https://farm.example/items/2', '@type': 'dfc-b:CatalogItem' },
    ]);
    for (const format of ['jsonld', 'turtle', 'ntriples'] as const) {
      const out = await convert(file, '--to', format);
      const stocks = (await quadsOf(out, format)).filter((q) => q.predicate.value.endsWith('#stockLimitation'))
        .map((q) => `${q.subject.value} ${q.object.value}`);
      expect(stocks, format).to.deep.equal(['https://farm.example/items/1 11']);
    }
  });

  it('reads a bare-number price in the node\'s currency (MAILLON_CURRENCY), as the node does, and refuses an unknown one', async () => {
    const file = documentFile('bare-price.jsonld', [
      { '@id': 'https://farm.example/items/9', '@type': 'dfc-b:CatalogItem', 'dfc-b:stockLimitation': 2, 'dfc-b:offeredThrough': 'https://farm.example/offers/9' },
      { '@id': 'https://farm.example/offers/9', '@type': 'dfc-b:Offer', 'dfc-b:offers': 'https://farm.example/items/9', 'dfc-b:hasPrice': 4 },
    ]);
    const before = process.env['MAILLON_CURRENCY'];
    try {
      process.env['MAILLON_CURRENCY'] = 'aud';
      expect(await convert(file, '--to', 'ntriples')).to.contain('#AustralianDollar>');
      delete process.env['MAILLON_CURRENCY'];
      expect(await convert(file, '--to', 'ntriples')).to.contain('#Euro>');
      process.env['MAILLON_CURRENCY'] = 'XYZ';
      expect(await cli('convert', file, '--data-dir', dir).catch((e: unknown) => String(e))).to.contain('MAILLON_CURRENCY must be one of AUD, CAD, EUR, GBP, USD');
    } finally {
      if (before === undefined) delete process.env['MAILLON_CURRENCY'];
      else process.env['MAILLON_CURRENCY'] = before;
    }
  });

  it('writes the DFC 2.0 namespaces only (no 1.x IRI left in a 2.0 conversion)', async () => {
    const out = await convert(join(FIXTURES, 'ofn-catalog-1.16.json'), '--to', 'ntriples', '--profile', 'dfc-v2');
    expect(out).to.not.include(DFC_NAMESPACES['1.x']['dfc-b']);
    expect(out).to.include(DFC_NAMESPACES['2.0']['dfc-b']);
  });

  it('says that N-Quads\' named graphs are read as one (their statements kept, their names not)', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'maillon-convert-graphs-'));
    try {
      const file = join(folder, 'federated.nq');
      const B = 'https://github.com/datafoodconsortium/ontology/releases/latest/download/DFC_BusinessOntology.owl#';
      writeFileSync(file, `<https://a.example/p/1> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <${B}SuppliedProduct> <https://a.example/> .
<https://a.example/p/1> <${B}name> "Pommes" <https://a.example/> .
<https://b.example/p/2> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <${B}SuppliedProduct> <https://b.example/> .
<https://b.example/p/2> <${B}name> "Poires" .
`);
      const result = await cli('convert', file, '--to', 'nquads');
      expect(result.code, result.err).to.equal(0);
      expect(result.out).to.include('"Pommes"').and.include('"Poires"');
      expect(result.err).to.include('2 named graph(s)').and.include('<https://a.example/>');
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
});
