/**
 * The digests made with Node's one-shot `hash` (a token's stored hash, a record's version, a version ETag) are the ones
 * `createHash` made, text read as UTF-8: stored tokens, versions and the tags clients hold stay valid.
 */
import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { hashToken } from '../../../server/auth/tokens.js';
import { negotiate } from '../../../server/http/negotiate.js';
import { RENDERING, versionEtag } from '../../../server/http/render.js';
import { versionOfJson } from '../../../server/store/store.js';

describe('digests', () => {
  const texts = ['mln_abc', 'Pâte à tartiner — 12 €', '', '{"id":"https://n.example/x","stock":3}', '\u{1F955}'.repeat(100)];

  it('a token\'s hash, a record\'s version and a version ETag are createHash\'s', () => {
    for (const text of texts) {
      expect(hashToken(text)).to.equal(createHash('sha256').update(text, 'utf8').digest('hex'));
      expect(versionOfJson(text)).to.equal(createHash('sha256').update(text).digest('base64url').slice(0, 27));
      const representation = negotiate('application/ld+json; profile="dfc-v2"');
      const etag = versionEtag(text, representation);
      const key = [RENDERING, representation.contentType, representation.format, representation.profile, text].join('\n');
      expect(etag).to.equal(`"${createHash('sha256').update(key).digest('base64url').slice(0, 32)}"`);
    }
  });
});
