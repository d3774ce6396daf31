/**
 * Version ETags are made from a resource's stored version and {@link RENDERING}, not from the bytes: if the same
 * records start rendering differently (our encoder, or a jsonld/n3 upgrade) while RENDERING stays, a client's
 * cached ETag would still match bytes it never saw. This test pins the bytes of every representation of fixed
 * records to the RENDERING they were recorded with.
 */
import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { negotiate } from '../../../server/http/negotiate.js';
import { render, RENDERING } from '../../../server/http/render.js';
import { sampleRecords } from '../../helpers/sample-records.js';

/** What RENDERING was when the digest below was recorded. Change both together, never one. */
const RECORDED = { rendering: 'maillon-render-3', digest: 'gyEmqlhJREk6JdJ5OWTrIs-lnetedpk-ynxlaHkZGs0' };

const ACCEPTS = [
  'application/ld+json',
  'application/ld+json; profile="dfc-v2"',
  'text/turtle',
  'application/n-triples',
  'application/n-quads',
];

describe('http: the RENDERING of version ETags', () => {
  it('changes whenever the bytes of a representation change', () => {
    const hash = createHash('sha256');
    for (const accept of ACCEPTS) {
      const rendered = render(sampleRecords(), negotiate(accept), { container: false });
      hash.update(`${rendered.contentType}\n`).update(rendered.bytes);
    }
    const digest = hash.digest('base64url');
    expect({ rendering: RENDERING, digest }, 'the rendered bytes changed: bump RENDERING in server/http/render.ts and record the new digest here')
      .to.deep.equal(RECORDED);
  });
});
