/**
 * Hostile input (issue 9): a small document must never cost the node more than a linear function of its size,
 * nor overflow the stack. Each class of attack is tried in every syntax the decoder takes: blank nodes shared in
 * a chain (kept as trees, they double at every level), nesting 10,000 and 100,000 deep (arrays, objects,
 * contexts, Turtle `[ ]`, RDF lists, chains of blank nodes), a property with a million values, and a decode
 * past its time budget. Each gives a problem with a stable code, never an exception.
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { DFC_B } from '../../../ontology/vocabulary.js';
import { run } from '../../../server/cli/main.js';
import { Decoder, type DecodeResult } from '../../../server/codec/decode.js';
import { MAX_NAME_LENGTH, MAX_TEXT_LENGTH, MAX_TYPES_PER_NODE, MAX_VALUES_PER_PROPERTY } from '../../../server/codec/limits.js';
import type { ProblemCode } from '../../../server/errors/problem.js';

const CONTEXT = 'https://www.datafoodconsortium.org';
const NS = DFC_B.namespace;
const PRODUCT = 'https://hostile.example/supplied_products/p';
const TURTLE_PREFIX = `@prefix dfc-b: <${NS}> .\n`;

const decoder = new Decoder();

async function decode(text: string, mediaType: string): Promise<{ result: DecodeResult; ms: number }> {
  const start = performance.now();
  const result = await decoder.decode(text, { mediaType, base: 'https://hostile.example/' });
  return { result, ms: performance.now() - start };
}

function codes(result: DecodeResult): ProblemCode[] {
  return result.problems.filter((p) => p.severity === 'error').map((p) => p.code);
}

// ------------------------------------------------------------------ shared blank nodes in a chain

/** Level i links twice to level i + 1 (`dfc-b:a` and `dfc-b:b`): kept as a tree, 2^depth nodes. */
function chainLinks(depth: number): [string, string][] {
  const links: [string, string][] = [];
  for (let i = 0; i < depth; i++) links.push([`_:l${i}`, `_:l${i + 1}`]);
  return links;
}

const sharedChain: Record<string, (depth: number) => [text: string, mediaType: string]> = {
  'JSON-LD compacted, nested': (depth) => {
    // Each level is written once, nested in the previous one, and linked a second time by its label.
    let inner: Record<string, unknown> = { '@id': `_:l${depth}`, 'dfc-b:name': 'end' };
    for (let i = depth - 1; i >= 0; i--) inner = { '@id': `_:l${i}`, 'dfc-b:a': inner, 'dfc-b:b': { '@id': `_:l${i + 1}` } };
    return [JSON.stringify({ '@context': CONTEXT, '@id': PRODUCT, '@type': 'dfc-b:SuppliedProduct', 'dfc-b:name': 'p', 'dfc-b:a': inner }), 'application/ld+json'];
  },
  'JSON-LD flattened in @graph': (depth) => [JSON.stringify({
    '@context': CONTEXT,
    '@graph': [
      { '@id': PRODUCT, '@type': 'dfc-b:SuppliedProduct', 'dfc-b:name': 'p', 'dfc-b:a': { '@id': '_:l0' } },
      ...chainLinks(depth).map(([from, to]) => ({ '@id': from, 'dfc-b:a': { '@id': to }, 'dfc-b:b': { '@id': to } })),
    ],
  }), 'application/ld+json'],
  'JSON-LD expanded': (depth) => [JSON.stringify([
    { '@id': PRODUCT, '@type': [DFC_B.SuppliedProduct], [DFC_B.name]: [{ '@value': 'p' }], [`${NS}a`]: [{ '@id': '_:l0' }] },
    ...chainLinks(depth).map(([from, to]) => ({ '@id': from, [`${NS}a`]: [{ '@id': to }], [`${NS}b`]: [{ '@id': to }] })),
  ]), 'application/ld+json'],
  Turtle: (depth) => [`${TURTLE_PREFIX}<${PRODUCT}> a dfc-b:SuppliedProduct ; dfc-b:name "p" ; dfc-b:a _:l0 .\n${
    chainLinks(depth).map(([from, to]) => `${from} dfc-b:a ${to} ; dfc-b:b ${to} .`).join('\n')}\n`, 'text/turtle'],
  'N-Triples': (depth) => [`<${PRODUCT}> <${NS}a> _:l0 .\n<${PRODUCT}> <${DFC_B.name}> "p" .\n<${PRODUCT}> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <${DFC_B.SuppliedProduct}> .\n${
    chainLinks(depth).map(([from, to]) => `${from} <${NS}a> ${to} .\n${from} <${NS}b> ${to} .`).join('\n')}\n`, 'application/n-triples'],
  'N-Quads': (depth) => [`<${PRODUCT}> <${NS}a> _:l0 <https://g.example/> .\n<${PRODUCT}> <${DFC_B.name}> "p" <https://g.example/> .\n<${PRODUCT}> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <${DFC_B.SuppliedProduct}> <https://g.example/> .\n${
    chainLinks(depth).map(([from, to]) => `${from} <${NS}a> ${to} <https://g.example/> .\n${from} <${NS}b> ${to} <https://g.example/> .`).join('\n')}\n`, 'application/n-quads'],
};

describe('codec: hostile input', function () {
  this.timeout(60_000);

  describe('blank nodes shared in a chain cost what the document holds, not 2^depth', () => {
    for (const [syntax, build] of Object.entries(sharedChain)) {
      for (const depth of [10, 20, 30]) {
        it(`${syntax}, depth ${depth}: fast, and either kept small or refused as too-large`, async () => {
          const [text, mediaType] = build(depth);
          const { result, ms } = await decode(text, mediaType);
          expect(ms, `${ms} ms`).to.be.below(2000);
          const kept = JSON.stringify(result.records).length;
          const refused = result.rejected.find((r) => r.id === PRODUCT);
          if (refused !== undefined) {
            expect(refused.problems.map((p) => p.code)).to.include('too-large');
          } else {
            expect(result.records.some((r) => r.id === PRODUCT)).to.equal(true);
          }
          // Whatever was kept is linear in the input (the slack lets a small document share a node freely).
          expect(kept, `${kept} bytes kept of ${text.length}`).to.be.below(100 * text.length + 2_000_000);
          if (depth >= 20) expect(refused, 'the product is refused').to.not.equal(undefined);
          else expect(refused, 'a depth of 10 is under the budget').to.equal(undefined);
        });
      }
    }

    it('the budget is the document\'s: many resources sharing one big blank node do not multiply it', async () => {
      const shared = Array.from({ length: 2000 }, (_, i) => `dfc-b:v${i} "x"`).join(' ; ');
      const products = Array.from({ length: 200 }, (_, i) =>
        `<${PRODUCT}${i}> a dfc-b:SuppliedProduct ; dfc-b:name "p${i}" ; dfc-b:a _:shared .`).join('\n');
      const text = `${TURTLE_PREFIX}_:shared ${shared} .\n${products}\n`;
      const { result, ms } = await decode(text, 'text/turtle');
      expect(ms).to.be.below(2000);
      expect(JSON.stringify(result.records).length).to.be.below(100 * text.length);
      expect(result.rejected.length).to.be.greaterThan(0);
      expect(result.rejected.every((r) => r.problems.some((p) => p.code === 'too-large'))).to.equal(true);
    });

    it('a blank node shared by two resources is still kept whole in each (lossless extras)', async () => {
      const text = `${TURTLE_PREFIX}_:note dfc-b:v "bio" .\n<${PRODUCT}1> a dfc-b:SuppliedProduct ; dfc-b:name "a" ; dfc-b:a _:note .\n<${PRODUCT}2> a dfc-b:SuppliedProduct ; dfc-b:name "b" ; dfc-b:a _:note .\n`;
      const { result } = await decode(text, 'text/turtle');
      expect(result.rejected).to.deep.equal([]);
      const kept = result.records.map((r) => r.extra?.[`${NS}a`]);
      expect(kept).to.deep.equal([
        [{ properties: { [`${NS}v`]: [{ '@value': 'bio' }] } }],
        [{ properties: { [`${NS}v`]: [{ '@value': 'bio' }] } }],
      ]);
    });
  });

  // ------------------------------------------------------------------ deep nesting

  describe('nesting 10,000 and 100,000 deep is a problem, never a stack overflow', () => {
    const nested: Record<string, (depth: number) => [text: string, mediaType: string]> = {
      'JSON arrays': (depth) => [`${'['.repeat(depth)}${']'.repeat(depth)}`, 'application/ld+json'],
      'JSON arrays under a property': (depth) =>
        [`{"@context":"${CONTEXT}","@id":"${PRODUCT}","@type":"dfc-b:SuppliedProduct","dfc-b:a":${'['.repeat(depth)}"x"${']'.repeat(depth)}}`, 'application/ld+json'],
      'JSON-LD node objects': (depth) =>
        [`{"@context":"${CONTEXT}","@id":"${PRODUCT}",${'"dfc-b:a":{'.repeat(depth)}"dfc-b:name":"x"${'}'.repeat(depth)}}`, 'application/ld+json'],
      'nested @context arrays': (depth) => [`{"@context":${'['.repeat(depth)}"${CONTEXT}"${']'.repeat(depth)},"@id":"${PRODUCT}"}`, 'application/ld+json'],
      'nested scoped contexts': (depth) =>
        [`{"@context":${'{"x":{"@id":"https://x.example/x","@context":'.repeat(depth)}{}${'}}'.repeat(depth)},"@id":"${PRODUCT}"}`, 'application/ld+json'],
      'a JSON-LD chain of blank nodes in @graph': (depth) => [JSON.stringify({
        '@context': CONTEXT,
        '@graph': [
          { '@id': PRODUCT, '@type': 'dfc-b:SuppliedProduct', 'dfc-b:a': { '@id': '_:c0' } },
          ...Array.from({ length: depth }, (_, i) => ({ '@id': `_:c${i}`, 'dfc-b:a': { '@id': `_:c${i + 1}` } })),
        ],
      }), 'application/ld+json'],
      'Turtle [ ] under a product': (depth) =>
        [`${TURTLE_PREFIX}<${PRODUCT}> a dfc-b:SuppliedProduct ; dfc-b:a ${'[ dfc-b:a '.repeat(depth)}"x"${' ]'.repeat(depth)} .\n`, 'text/turtle'],
      'Turtle [ ] alone': (depth) => [`${TURTLE_PREFIX}${'[ dfc-b:a '.repeat(depth)}"x"${' ]'.repeat(depth)} .\n`, 'text/turtle'],
      'Turtle lists ( ( ) )': (depth) =>
        [`${TURTLE_PREFIX}<${PRODUCT}> a dfc-b:SuppliedProduct ; dfc-b:a ${'( '.repeat(depth)}"x"${' )'.repeat(depth)} .\n`, 'text/turtle'],
      'an N-Triples chain of blank nodes': (depth) =>
        [Array.from({ length: depth }, (_, i) => `_:c${i} <${NS}a> _:c${i + 1} .`).join('\n'), 'application/n-triples'],
      'an N-Quads chain of blank nodes': (depth) =>
        [Array.from({ length: depth }, (_, i) => `_:c${i} <${NS}a> _:c${i + 1} <https://g.example/> .`).join('\n'), 'application/n-quads'],
    };
    for (const [shape, build] of Object.entries(nested)) {
      for (const depth of [10_000, 100_000]) {
        it(`${shape}, ${depth} deep → too-deep`, async () => {
          const [text, mediaType] = build(depth);
          const { result } = await decode(text, mediaType);
          expect(codes(result)).to.include('too-deep');
          expect(result.records.some((r) => r.id === PRODUCT)).to.equal(false);
          // One problem for the whole chain, not one per link.
          expect(result.problems.length).to.be.below(10);
        });
      }
    }

    it('already-parsed JSON (what sync hands over) is checked the same way', async () => {
      let deep: unknown = 'x';
      for (let i = 0; i < 100_000; i++) deep = [deep];
      const result = await decoder.decode({ '@context': CONTEXT, '@id': PRODUCT, 'dfc-b:a': deep });
      expect(codes(result)).to.deep.equal(['too-deep']);
    });

    it('nesting within the limits is still read (64 blank nodes under a product)', async () => {
      const text = `${TURTLE_PREFIX}<${PRODUCT}> a dfc-b:SuppliedProduct ; dfc-b:name "p" ; dfc-b:a ${'[ dfc-b:a '.repeat(60)}"x"${' ]'.repeat(60)} .\n`;
      const { result } = await decode(text, 'text/turtle');
      expect(result.rejected).to.deep.equal([]);
      expect(result.records.find((r) => r.id === PRODUCT)?.extra?.[`${NS}a`]).to.have.length(1);
    });
  });

  // ------------------------------------------------------------------ long lists

  describe('a property with more values than a resource may have is refused', () => {
    const enterprise = 'https://hostile.example/enterprises/e';

    it(`a million dfc-b:supplies in JSON-LD → too-many-values (cap ${MAX_VALUES_PER_PROPERTY})`, async () => {
      const supplies = Array.from({ length: 1_000_000 }, (_, i) => `https://hostile.example/p/${i}`);
      const text = JSON.stringify({ '@context': CONTEXT, '@id': enterprise, '@type': 'dfc-b:Enterprise', 'dfc-b:name': 'e', 'dfc-b:supplies': supplies });
      const { result } = await decode(text, 'application/ld+json');
      const refused = result.rejected.find((r) => r.id === enterprise);
      expect(refused?.problems.map((p) => p.code)).to.include('too-many-values');
      expect(result.records).to.deep.equal([]);
    });

    it('a list just over the cap in Turtle, on an unmodelled property → too-many-values; at the cap it is read', async () => {
      const list = (n: number) => Array.from({ length: n }, (_, i) => `"v${i}"`).join(', ');
      const over = await decode(`${TURTLE_PREFIX}<${enterprise}> a dfc-b:Enterprise ; dfc-b:name "e" ; dfc-b:x ${list(MAX_VALUES_PER_PROPERTY + 1)} .\n`, 'text/turtle');
      expect(over.result.rejected.find((r) => r.id === enterprise)?.problems.map((p) => p.code)).to.include('too-many-values');
      const at = await decode(`${TURTLE_PREFIX}<${enterprise}> a dfc-b:Enterprise ; dfc-b:name "e" ; dfc-b:x ${list(MAX_VALUES_PER_PROPERTY)} .\n`, 'text/turtle');
      expect(at.result.rejected).to.deep.equal([]);
      expect(at.result.records[0]?.extra?.[`${NS}x`]).to.have.length(MAX_VALUES_PER_PROPERTY);
    });

    it(`150,000 types on one node → too-many-values (cap ${MAX_TYPES_PER_NODE}), in linear time, in JSON-LD and Turtle; ${MAX_TYPES_PER_NODE} types are read`, async () => {
      const types = (n: number) => Array.from({ length: n }, (_, i) => `https://hostile.example/T${i}`);
      const json = (n: number) => JSON.stringify({ '@context': CONTEXT, '@graph': [
        { '@id': PRODUCT, '@type': ['dfc-b:SuppliedProduct', ...types(n)], 'dfc-b:name': 'p' },
        { '@id': `${PRODUCT}-ok`, '@type': 'dfc-b:SuppliedProduct', 'dfc-b:name': 'fine' },
      ] });
      const turtle = (n: number) => `${TURTLE_PREFIX}<${PRODUCT}> a dfc-b:SuppliedProduct, ${types(n).map((t) => `<${t}>`).join(', ')} ; dfc-b:name "p" .\n`
        + `<${PRODUCT}-ok> a dfc-b:SuppliedProduct ; dfc-b:name "fine" .\n`;
      for (const [text, mediaType] of [[json(150_000), 'application/ld+json'], [turtle(150_000), 'text/turtle']] as const) {
        const { result, ms } = await decode(text, mediaType);
        // It took 20 s (every type compared with every one before it), the event loop held all along.
        expect(ms, mediaType).to.be.below(3000);
        const refused = result.rejected.find((r) => r.id === PRODUCT);
        expect(refused?.problems.map((p) => p.code), mediaType).to.include('too-many-values');
        expect(refused?.problems.find((p) => p.code === 'too-many-values')?.message).to.contain(`more than ${MAX_TYPES_PER_NODE}`);
        expect(result.records.map((r) => r.id), mediaType).to.deep.equal([`${PRODUCT}-ok`]);
      }
      // The product type and 63 of its own: at the cap, read whole.
      const at = await decode(json(MAX_TYPES_PER_NODE - 1), 'application/ld+json');
      expect(at.result.rejected).to.deep.equal([]);
      expect(at.result.records.find((r) => r.id === PRODUCT)?.extraTypes).to.have.length(MAX_TYPES_PER_NODE - 1);
    });

    it('a long list in a blank node under a resource refuses the resource', async () => {
      const values = Array.from({ length: MAX_VALUES_PER_PROPERTY + 1 }, (_, i) => i);
      const text = JSON.stringify({ '@context': CONTEXT, '@id': PRODUCT, '@type': 'dfc-b:SuppliedProduct', 'dfc-b:a': { 'dfc-b:v': values } });
      const { result } = await decode(text, 'application/ld+json');
      expect(result.rejected.find((r) => r.id === PRODUCT)?.problems.map((p) => p.code)).to.include('too-many-values');
    });
  });

  // ------------------------------------------------------------------ long texts

  describe(`texts are bounded: a name ${MAX_NAME_LENGTH} characters at most, any other text ${MAX_TEXT_LENGTH}`, () => {
    const product = (props: Record<string, unknown>): string => JSON.stringify({
      '@context': CONTEXT, '@graph': [
        { '@id': PRODUCT, '@type': 'dfc-b:SuppliedProduct', 'dfc-b:name': 'p', ...props },
        { '@id': `${PRODUCT}-ok`, '@type': 'dfc-b:SuppliedProduct', 'dfc-b:name': 'fine', 'dfc-b:description': 'short' },
      ],
    });

    for (const [what, props, field] of [
      ['a name of a megabyte', { 'dfc-b:name': 'n'.repeat(1_000_000) }, 'dfc-b:name'],
      ['a name one over the limit', { 'dfc-b:name': 'n'.repeat(MAX_NAME_LENGTH + 1) }, 'dfc-b:name'],
      ['a description one over the limit', { 'dfc-b:description': 'd'.repeat(MAX_TEXT_LENGTH + 1) }, 'dfc-b:description'],
      ['an unmodelled literal of a megabyte', { 'dfc-b:x': 'x'.repeat(1_000_000) }, 'dfc-b:x'],
      ['a long literal in a blank node under the resource', { 'dfc-b:a': { 'dfc-b:v': 'v'.repeat(MAX_TEXT_LENGTH + 1) } }, 'dfc-b:a'],
    ] as const) {
      it(`${what} → too-long: the resource refused, the others of the document kept`, async () => {
        const { result } = await decode(product(props), 'application/ld+json');
        const problems = result.rejected.find((r) => r.id === PRODUCT)?.problems ?? [];
        expect(problems.map((p) => [p.code, p.path])).to.deep.include(['too-long', field]);
        expect(result.records.map((r) => r.id)).to.deep.equal([`${PRODUCT}-ok`]);
      });
    }

    it('in Turtle too; and texts at the limits are read as they are', async () => {
      const over = await decode(`${TURTLE_PREFIX}<${PRODUCT}> a dfc-b:SuppliedProduct ; dfc-b:name "${'n'.repeat(MAX_NAME_LENGTH + 1)}" .\n`, 'text/turtle');
      expect(codes(over.result)).to.include('too-long');
      const at = await decode(product({ 'dfc-b:name': 'n'.repeat(MAX_NAME_LENGTH), 'dfc-b:description': 'd'.repeat(MAX_TEXT_LENGTH) }), 'application/ld+json');
      expect(at.result.rejected).to.deep.equal([]);
      expect(at.result.records.find((r) => r.id === PRODUCT)).to.deep.include({ name: 'n'.repeat(MAX_NAME_LENGTH), description: 'd'.repeat(MAX_TEXT_LENGTH) });
    });
  });

  // ------------------------------------------------------------------ time

  describe('a decode has a time budget', () => {
    it('past it, the document is refused with decode-timeout', async () => {
      const products = Array.from({ length: 2000 }, (_, i) => ({ '@id': `${PRODUCT}${i}`, '@type': 'dfc-b:SuppliedProduct', 'dfc-b:name': `p${i}` }));
      const text = JSON.stringify({ '@context': CONTEXT, '@graph': products });
      for (const mediaType of ['application/ld+json']) {
        const result = await new Decoder({ timeBudgetMs: 0 }).decode(text, { mediaType });
        expect(codes(result)).to.deep.equal(['decode-timeout']);
        expect(result.records).to.deep.equal([]);
      }
      const turtle = `${TURTLE_PREFIX}${Array.from({ length: 2000 }, (_, i) => `<${PRODUCT}${i}> a dfc-b:SuppliedProduct .`).join('\n')}`;
      expect(codes(await new Decoder({ timeBudgetMs: 0 }).decode(turtle, { mediaType: 'text/turtle' }))).to.deep.equal(['decode-timeout']);
      // The default budget takes the same document.
      expect((await decoder.decode(text)).records).to.have.length(2000);
    });
  });

  // ------------------------------------------------------------------ the command line

  describe('maillon validate', () => {
    let dir: string;
    before(() => {
      dir = mkdtempSync(join(tmpdir(), 'maillon-hostile-'));
    });
    after(() => rmSync(dir, { recursive: true, force: true }));

    async function validate(text: string): Promise<{ code: number; out: string; err: string; stderr: string }> {
      const file = join(dir, 'doc.json');
      writeFileSync(file, text);
      let out = '';
      let err = '';
      // Anything a library prints behind our back (console.error) counts as stderr too.
      let stderr = '';
      const write = process.stderr.write.bind(process.stderr);
      process.stderr.write = ((chunk: string | Uint8Array) => {
        stderr += String(chunk);
        return true;
      }) as typeof process.stderr.write;
      const log = console.error;
      console.error = (...args: unknown[]) => void (stderr += args.map(String).join(' '));
      try {
        const code = await run(['validate', file, '--data-dir', dir], { out: (t) => void (out += t), err: (t) => void (err += t) });
        return { code, out, err, stderr };
      } finally {
        process.stderr.write = write;
        console.error = log;
      }
    }

    for (const depth of [1000, 10_000]) {
      it(`exits 1 with nothing on stderr on ${depth} nested contexts (scoped, arrays, node objects, graphs)`, async () => {
        const shapes = [
          `{"@context":${'{"x":{"@id":"https://x.example/x","@context":'.repeat(depth)}{}${'}}'.repeat(depth)},"@id":"${PRODUCT}"}`,
          `{"@context":${'['.repeat(depth)}"${CONTEXT}"${']'.repeat(depth)},"@id":"${PRODUCT}"}`,
          `${'{"@context":{"x":"https://x.example/"},"x:a":'.repeat(depth)}{}${'}'.repeat(depth)}`,
          `${`{"@context":"${CONTEXT}","@graph":[`.repeat(depth)}{}${']}'.repeat(depth)}`,
          `{"@context":{"T":{"@id":"https://x.example/T","@context":${'{"T":{"@id":"https://x.example/T","@context":'.repeat(depth)}{}${'}}'.repeat(depth)}}},"@type":"T","@id":"${PRODUCT}"}`,
        ];
        for (const text of shapes) {
          const { code, out, err, stderr } = await validate(text);
          expect(code).to.equal(1);
          expect(err).to.equal('');
          expect(stderr).to.equal('');
          expect(out).to.match(/too-deep|nests/u);
        }
      });
    }
  });
});

describe('a number too large to hold (1e400)', () => {
  it('is refused with a message that says so, not "not a number: null"', async () => {
    const text = '{"@context":"https://www.datafoodconsortium.org","@graph":[{"@id":"http://x.example/o","@type":"dfc-b:Offer",'
      + '"dfc-b:offeredItem":"http://x.example/i","dfc-b:stockLimitation":1e400,"dfc-b:hasPrice":{"@type":"dfc-b:Price","dfc-b:value":-1e400,"dfc-b:hasUnit":"dfc-m:Euro"}}]}';
    const result = await new Decoder().decode(text, { mediaType: 'application/ld+json' });
    expect(result.rejected.map((r) => r.id)).to.deep.equal(['http://x.example/o']);
    const messages = result.problems.map((p) => p.message);
    expect(messages).to.include('stock (dfc-b:stockLimitation) is not a number: Infinity (a number too large to hold, such as 1e400)');
    expect(messages).to.include('price is not a number: -Infinity (a number too large to hold, such as 1e400)');
    expect(messages.join(' ')).to.not.include('null');
  });
});

describe('a context that maps a term written as an IRI to another IRI (JSON-LD 1.1: an invalid IRI mapping)', () => {
  const decoder = new Decoder();
  const item = (context: Record<string, unknown>) => JSON.stringify({
    '@context': [CONTEXT, context],
    '@graph': [{ '@id': 'https://farm.example/items/1', '@type': 'dfc-b:CatalogItem', 'dfc-b:sku': 'A', 'dfc-b:stockLimitation': 12 }],
  });

  it('is refused, document and all, as jsonld.js refuses it: a stock read as something else is no stock', async () => {
    for (const context of [
      { 'dfc-b:stockLimitation': { '@id': 'http://example.org/other' } },
      { 'dfc-b:stockLimitation': 'http://example.org/other' },
      { [`${NS}stockLimitation`]: { '@id': 'http://example.org/other' } },
    ]) {
      const result = await decoder.decode(item(context));
      expect(result.records, JSON.stringify(context)).to.deep.equal([]);
      expect(result.problems.find((p) => p.id === null && p.severity === 'error')?.message, JSON.stringify(context)).to.match(/term in form of IRI must expand to definition/u);
    }
  });

  it('takes such a term mapped to what it names, and a term with an undefined prefix', async () => {
    for (const context of [{ 'dfc-b:stockLimitation': { '@id': `${NS}stockLimitation` } }, { 'ex:stock': { '@id': 'http://example.org/stock' } }]) {
      const result = await decoder.decode(item(context));
      const record = result.records.find((r) => r.kind === 'CatalogItem');
      expect(record !== undefined && 'stock' in record ? record.stock : undefined, JSON.stringify(context)).to.equal(12);
    }
  });
});
