/**
 * Catalogue pages assembled from fragments (`server/http/page-render.ts`): the bytes are exactly those of a full
 * `render` of the same records, in every format and profile, with and without a paging view; fragments are made
 * once per record version and kept within a byte budget; a page's version moves with any record's version and
 * with its view.
 */
import { expect } from 'chai';
import type { DfcRecord } from '../../../ontology/records.js';
import { negotiate } from '../../../server/http/negotiate.js';
import {
  DEFAULT_FRAGMENT_CACHE_BYTES, FragmentCache, fragmentOf, pageVersion, recordsVersion, renderPage, type VersionOf,
} from '../../../server/http/page-render.js';
import { render, versionEtag, type PageView } from '../../../server/http/render.js';
import { recordVersion } from '../../../server/store/store.js';
import { farmRecords } from '../../helpers/in-process.js';
import { sampleRecords } from '../../helpers/sample-records.js';

const CONTAINER = 'https://node.example/api/dfc/enterprises/ferme/catalog_items';
const VIEW: PageView = {
  self: `${CONTAINER}?page=2&page_size=3`, first: `${CONTAINER}?page=1&page_size=3`, next: `${CONTAINER}?page=3&page_size=3`,
  previous: `${CONTAINER}?page=1&page_size=3`, last: `${CONTAINER}?page=3&page_size=3`,
};
const ACCEPTS = [
  'application/ld+json', 'application/ld+json; profile="dfc-v2"', 'application/json', 'text/turtle', 'application/n-triples', 'application/n-quads',
];

/** Versions as the store makes them (a hash of each record). */
const versionOfRecord: VersionOf = (record) => recordVersion(record);

/** Records of two enterprises' catalogues: every kind, extras, product groups, text beyond ASCII. */
function records(): DfcRecord[] {
  return [...sampleRecords(), ...farmRecords('ferme')];
}

describe('http: catalogue pages from fragments', () => {
  for (const accept of ACCEPTS) {
    for (const view of [undefined, VIEW]) {
      it(`gives the bytes of a full render: ${accept}, ${view === undefined ? 'one page' : 'with a paging view'}`, () => {
        const representation = negotiate(accept);
        const fragments = new FragmentCache();
        const page = records();
        const options = { containerId: CONTAINER, version: 'v1', ...(view !== undefined ? { view } : {}) };
        const expected = render(page, representation, options);
        // Twice: the second page is made from the fragments kept by the first.
        for (let i = 0; i < 2; i++) {
          const assembled = renderPage(page, versionOfRecord, representation, options, fragments);
          expect(assembled.body).to.equal(expected.body);
          expect(assembled.bytes.equals(expected.bytes)).to.equal(true);
          expect(assembled.etag).to.equal(versionEtag('v1', representation));
          expect(assembled.contentType).to.equal(expected.contentType);
        }
      });
    }
  }

  it('gives the bytes of a full render for an empty page, a page without catalog items, and records without versions', () => {
    for (const accept of ['application/ld+json', 'application/ld+json; profile="dfc-v2"']) {
      const representation = negotiate(accept);
      const fragments = new FragmentCache();
      const noItems = records().filter((r) => r.kind !== 'CatalogItem');
      for (const page of [[], noItems]) {
        const options = { containerId: CONTAINER, version: 'v' };
        expect(renderPage(page, () => undefined, representation, options, fragments).body).to.equal(render(page, representation, options).body);
      }
      expect(fragments.count, 'nothing kept without a version').to.equal(0);
    }
  });

  it('a fragment is the node encodeJsonLd writes in a page of the profile', () => {
    const [enterprise] = sampleRecords();
    const v1 = JSON.parse(fragmentOf(enterprise as DfcRecord, 'dfc-v1').text) as Record<string, unknown>;
    const v2 = JSON.parse(fragmentOf(enterprise as DfcRecord, 'dfc-v2').text) as Record<string, unknown>;
    expect(v1['@type']).to.equal('dfc-b:Enterprise');
    expect(v2['@type']).to.equal('dfc-b:Organization');
    expect(fragmentOf(enterprise as DfcRecord, 'dfc-v1').id).to.equal(enterprise?.id);
  });

  describe('FragmentCache', () => {
    it('renders a record once per profile and version', () => {
      const fragments = new FragmentCache();
      const [record] = farmRecords('ferme').filter((r) => r.kind === 'CatalogItem');
      const first = fragments.fragment(record as DfcRecord, 'a', 'dfc-v1');
      expect(fragments.fragment(record as DfcRecord, 'a', 'dfc-v1')).to.equal(first);
      expect(fragments.fragment(record as DfcRecord, 'a', 'dfc-v2')).to.not.equal(first);
      const changed = { ...(record as DfcRecord), stock: 99 } as DfcRecord;
      const next = fragments.fragment(changed, 'b', 'dfc-v1');
      expect(next).to.not.equal(first);
      expect(JSON.parse(next.text)['dfc-b:stockLimitation']).to.equal(99);
      expect(fragments.count).to.equal(3);
    });

    it('is bounded in bytes, the least recently used going first', () => {
      expect(DEFAULT_FRAGMENT_CACHE_BYTES).to.be.greaterThan(16 * 1024 * 1024);
      const page = records();
      const one = new FragmentCache();
      for (const record of page) one.fragment(record, recordVersion(record), 'dfc-v1');
      const budget = Math.floor(one.size / 3);
      const fragments = new FragmentCache({ maxBytes: budget });
      for (const record of page) fragments.fragment(record, recordVersion(record), 'dfc-v1');
      expect(fragments.size).to.be.at.most(budget);
      expect(fragments.count).to.be.lessThan(page.length);
      // What was evicted is rendered again, and the page is still right.
      const representation = negotiate('application/ld+json');
      const options = { containerId: CONTAINER, version: 'v' };
      expect(renderPage(page, versionOfRecord, representation, options, fragments).body).to.equal(render(page, representation, options).body);
    });
  });

  describe('page versions', () => {
    it('move with the version of any record on the page, and with the order', () => {
      const page = records();
      const base = recordsVersion(page, versionOfRecord);
      expect(base).to.be.a('string');
      const changed = page.map((r, i) => (i === 5 ? { ...r, extraTypes: ['https://example.org/T'] } as DfcRecord : r));
      expect(recordsVersion(changed, versionOfRecord)).to.not.equal(base);
      expect(recordsVersion([...page].reverse(), versionOfRecord)).to.not.equal(base);
      expect(recordsVersion(page, (r) => (r === page[0] ? undefined : recordVersion(r)))).to.equal(undefined);
    });

    it('move with the container and the paging view', () => {
      const records = 'abc';
      const version = pageVersion(records, CONTAINER, VIEW);
      expect(pageVersion(records, CONTAINER, VIEW)).to.equal(version);
      expect(pageVersion(records, CONTAINER, undefined)).to.not.equal(version);
      expect(pageVersion(records, `${CONTAINER}x`, VIEW)).to.not.equal(version);
      expect(pageVersion(records, CONTAINER, { ...VIEW, last: `${CONTAINER}?page=4&page_size=3` })).to.not.equal(version);
      expect(pageVersion('abd', CONTAINER, VIEW)).to.not.equal(version);
    });
  });
});
