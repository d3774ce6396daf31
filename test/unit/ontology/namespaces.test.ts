import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { Parser } from 'n3';
import { canonicalDfcIri, DFC_NAMESPACES, dfcIriIn, isDfc2OnlyTerm, isDfc2OnlyTermIn1x } from '../../../ontology/namespaces.js';
import {
  DFC_B_CLASSES_ADDED_2_0, DFC_B_OBJECT_PROPERTIES_ADDED_2_0, DFC_B_OBJECT_PROPERTIES_REMOVED_2_0,
} from '../../../ontology/terms.js';
import { DFC_B, DFC_B_2_0 } from '../../../ontology/vocabulary.js';
import { readSharedJson, requireShared } from '../../helpers/shared-dfc.js';

const V1 = DFC_NAMESPACES['1.x']['dfc-b'];
const V2 = DFC_NAMESPACES['2.0']['dfc-b'];
const V2_HTTPS = `https${V2.slice(4)}`;
const LEGACY = DFC_NAMESPACES.legacy['dfc-b'];

describe('ontology/namespaces', () => {
  it('makes an IRI canonical: the 1.x namespaces, but the 2.0 one for a term only DFC 2.0 defines', () => {
    const cases: [string, string][] = [
      [`${V1}name`, `${V1}name`],
      [`${V2}name`, `${V1}name`],
      [`${V2_HTTPS}name`, `${V1}name`],
      [`${LEGACY}name`, `${V1}name`],
      // A 2.0-only term is the 2.0 term, whatever namespace it was written in.
      [`${V2}ProductOption`, `${V2}ProductOption`],
      [`${V2_HTTPS}ProductOption`, `${V2}ProductOption`],
      [`${V1}ProductOption`, `${V2}ProductOption`],
      [`${V1}hasProductOption`, `${V2}hasProductOption`],
      [`${LEGACY}Organization`, `${V2}Organization`],
      // A 1.16-only term is the 1.16 one.
      [`${V2}hasProcess`, `${V1}hasProcess`],
      [`${V1}hasProcess`, `${V1}hasProcess`],
      // Only the business ontology has 2.0-only terms.
      [`${DFC_NAMESPACES['2.0']['dfc-m']}Option`, `${DFC_NAMESPACES['1.x']['dfc-m']}Option`],
      ['https://peer.example/ProductOption', 'https://peer.example/ProductOption'],
    ];
    for (const [given, canonical] of cases) expect(canonicalDfcIri(given), given).to.equal(canonical);
  });

  it('writes a canonical IRI in a generation\'s namespaces, keeping a term the generation lacks in the one that has it', () => {
    const cases: [string, '1.x' | '2.0', string][] = [
      [`${V1}name`, '1.x', `${V1}name`],
      [`${V1}name`, '2.0', `${V2}name`],
      [`${V2}ProductOption`, '1.x', `${V2}ProductOption`],
      [`${V2}ProductOption`, '2.0', `${V2}ProductOption`],
      [`${V1}hasProcess`, '2.0', `${V1}hasProcess`],
      [`${V1}hasProcess`, '1.x', `${V1}hasProcess`],
      // A record stored before 2.0-only terms were kept under their 2.0 IRI.
      [`${V1}ProductOption`, '1.x', `${V2}ProductOption`],
      [`${V1}ProductOption`, '2.0', `${V2}ProductOption`],
      [`${DFC_NAMESPACES['1.x']['dfc-m']}Gram`, '2.0', `${DFC_NAMESPACES['2.0']['dfc-m']}Gram`],
      ['https://peer.example/x', '2.0', 'https://peer.example/x'],
    ];
    for (const [canonical, generation, written] of cases) expect(dfcIriIn(canonical, generation), `${canonical} in ${generation}`).to.equal(written);
  });

  it('knows every 2.0-only term, and keeps the DFC_B constants canonical', () => {
    for (const term of [...DFC_B_CLASSES_ADDED_2_0, ...DFC_B_OBJECT_PROPERTIES_ADDED_2_0]) {
      expect(isDfc2OnlyTerm(term), term).to.equal(true);
      expect(DFC_B_2_0[term]).to.equal(`${V2}${term}`);
    }
    for (const term of [...DFC_B_CLASSES_ADDED_2_0, ...DFC_B_OBJECT_PROPERTIES_ADDED_2_0]) {
      expect(isDfc2OnlyTermIn1x(`${V1}${term}`), term).to.equal(true);
      // Only under the 1.x business namespace, and only the whole local name.
      for (const other of [`${V2}${term}`, `${LEGACY}${term}`, `${V1}x${term}`, `${V1}${term}s`, `${V1.replace('Business', 'Technical')}${term}`]) {
        expect(isDfc2OnlyTermIn1x(other), other).to.equal(false);
      }
    }
    // An IRI as long as one of them, ending as one, in another namespace of the same length.
    expect(isDfc2OnlyTermIn1x(`${'x'.repeat(V1.length)}ProductOption`)).to.equal(false);
    expect(isDfc2OnlyTermIn1x(`${V1}hasProcess`)).to.equal(false);
    expect(isDfc2OnlyTermIn1x(V1)).to.equal(false);
    expect(isDfc2OnlyTermIn1x('')).to.equal(false);
    expect(isDfc2OnlyTerm('hasProcess')).to.equal(false);
    expect(isDfc2OnlyTerm('name')).to.equal(false);
    for (const [local, value] of Object.entries(DFC_B)) {
      if (local !== 'namespace') expect(canonicalDfcIri(value), local).to.equal(value);
    }
    expect(DFC_B.Organization).to.equal(`${V2}Organization`);
    expect(DFC_B.Enterprise).to.equal(`${V1}Enterprise`);
  });

  it('lists as 2.0-only and 1.16-only object properties the difference of the official 1.16 and 2.0 contexts', function () {
    const context = (file: string): Record<string, unknown> =>
      (readSharedJson(requireShared(this, 'context', file)) as { '@context': Record<string, unknown> })['@context'];
    const v116 = context('context_1.16.0.json');
    const v20 = context('context_2.0.0.json');
    const terms = (from: Record<string, unknown>, without: Record<string, unknown>): string[] =>
      Object.keys(from).filter((k) => k.startsWith('dfc-b:') && !(k in without)).map((k) => k.slice('dfc-b:'.length)).sort();
    expect(terms(v20, v116)).to.deep.equal([...DFC_B_OBJECT_PROPERTIES_ADDED_2_0].sort());
    expect(terms(v116, v20)).to.deep.equal([...DFC_B_OBJECT_PROPERTIES_REMOVED_2_0].sort());
  });

  it('has no 2.0-only term in the official 1.16 ontology, and the 1.16-only ones in it', function () {
    const quads = new Parser().parse(readFileSync(requireShared(this, 'ontology', 'DFC_BusinessOntology_1.16.0.ttl'), 'utf8'));
    const defined = new Set(quads.filter((q) => q.subject.value.startsWith(V1)).map((q) => q.subject.value.slice(V1.length)));
    expect(defined.size).to.be.greaterThan(100);
    expect([...DFC_B_CLASSES_ADDED_2_0, ...DFC_B_OBJECT_PROPERTIES_ADDED_2_0].filter((t) => defined.has(t))).to.deep.equal([]);
    expect(DFC_B_OBJECT_PROPERTIES_REMOVED_2_0.filter((t) => !defined.has(t))).to.deep.equal([]);
  });
});
