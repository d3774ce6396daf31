import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  CONTEXT_1_16, CONTEXT_1_16_URL, CONTEXT_1_X_READING, CONTEXT_2_0, CONTEXT_LEGACY, KNOWN_CONTEXTS, resolveKnownContext,
} from '../../../ontology/contexts.js';
import { readSharedJson, requireShared } from '../../helpers/shared-dfc.js';

const here = dirname(fileURLToPath(import.meta.url));

function officialContext(path: string): Record<string, unknown> {
  return (readSharedJson(path) as { '@context': Record<string, unknown> })['@context'];
}

describe('ontology/contexts', () => {
  it('agrees term for term with the official DFC 1.16 context', function () {
    const official = officialContext(requireShared(this, 'context', 'context_1.16.0.json'));
    expect(Object.keys(CONTEXT_1_16).sort()).to.deep.equal(Object.keys(official).sort());
    for (const [term, definition] of Object.entries(official)) expect(CONTEXT_1_16[term], term).to.deep.equal(definition);
  });

  it('agrees term for term with the official DFC 2.0 context', function () {
    const official = officialContext(requireShared(this, 'context', 'context_2.0.0.json'));
    expect(Object.keys(CONTEXT_2_0).sort()).to.deep.equal(Object.keys(official).sort());
    for (const [term, definition] of Object.entries(official)) expect(CONTEXT_2_0[term], term).to.deep.equal(definition);
  });

  it('reads every numbered 1.x context with a context that defines all of its terms identically', function () {
    for (const version of ['1.8.2', '1.9.0', '1.10.0', '1.11.0', '1.11.1', '1.12.0', '1.13.0', '1.14.0', '1.15.0']) {
      const official = officialContext(requireShared(this, 'context', `context_${version}.json`));
      for (const [term, definition] of Object.entries(official)) {
        expect(CONTEXT_1_X_READING[term], `${version} ${term}`).to.deep.equal(definition);
      }
    }
  });

  it('maps every known context URL to a local context', () => {
    expect(resolveKnownContext(CONTEXT_1_16_URL)).to.equal(CONTEXT_1_16);
    expect(
      resolveKnownContext('https://www.datafoodconsortium.org/wp-content/plugins/wordpress-context-jsonld/context_1.16.0.jsonld'),
    ).to.equal(CONTEXT_1_16);
    expect(resolveKnownContext('https://www.datafoodconsortium.org/wp-content/plugins/wordpress-context-jsonld/context.jsonld'))
      .to.equal(CONTEXT_1_16);
    expect(resolveKnownContext('https://www.datafoodconsortium.org')).to.equal(CONTEXT_1_16);
    expect(resolveKnownContext('http://static.datafoodconsortium.org/ontologies/context.json')).to.equal(CONTEXT_LEGACY);
    expect(resolveKnownContext('https://w3id.org/dfc/ontology/context/context_1.12.0.json')).to.equal(CONTEXT_1_X_READING);
    expect(resolveKnownContext('https://w3id.org/dfc/ontology/context/context_2.0.0.json')).to.equal(CONTEXT_2_0);
    expect(resolveKnownContext('https://w3id.org/dfc/ontology/v2.0.0/context/context_2.0.0.json')).to.equal(CONTEXT_2_0);
    expect(resolveKnownContext('https://evil.example/context.json')).to.equal(undefined);
    expect(KNOWN_CONTEXTS.size).to.be.greaterThan(30);
  });

  it('publishes the same contexts as files under ontology/contexts/', () => {
    const dir = join(here, '../../../ontology/contexts');
    const v1 = JSON.parse(readFileSync(join(dir, 'dfc-1.16.jsonld'), 'utf8')) as { '@context': unknown };
    const v2 = JSON.parse(readFileSync(join(dir, 'dfc-2.0.jsonld'), 'utf8')) as { '@context': unknown };
    expect(v1['@context']).to.deep.equal(CONTEXT_1_16);
    expect(v2['@context']).to.deep.equal(CONTEXT_2_0);
  });
});
