/**
 * Content negotiation (RFC 9110 §12.5.1) over every format in each DFC profile: a range with a profile matches that
 * profile only and is more specific than one without, so that quality values choose between DFC 1.16 and 2.0.
 */
import { expect } from 'chai';
import { negotiate } from '../../../server/http/negotiate.js';
import { NotAcceptableHttpError } from '../../../server/errors/http-error.js';

const V2 = 'application/ld+json; profile="dfc-v2"';

describe('negotiate', () => {
  const cases: [string, string, 'dfc-v1' | 'dfc-v2'][] = [
    ['application/ld+json', 'application/ld+json', 'dfc-v1'],
    ['application/ld+json; profile="dfc-v2"', V2, 'dfc-v2'],
    // Quality values choose between the profiles, whichever comes first.
    ['application/ld+json;q=0.5, application/ld+json;profile="dfc-v2"', V2, 'dfc-v2'],
    ['application/ld+json;profile="dfc-v2";q=0.5, application/ld+json', 'application/ld+json', 'dfc-v1'],
    ['application/ld+json;q=0, application/ld+json;profile="dfc-v2"', V2, 'dfc-v2'],
    ['application/ld+json;profile="dfc-v2";q=0, application/ld+json', 'application/ld+json', 'dfc-v1'],
    // A profile refused leaves the other.
    ['application/ld+json;profile="dfc-v2";q=0, */*', 'application/ld+json', 'dfc-v1'],
    // Equal: the profile the client names (a client that names none gets the default).
    ['application/ld+json, application/ld+json;profile="dfc-v2"', V2, 'dfc-v2'],
    ['*/*', 'application/ld+json', 'dfc-v1'],
    ['text/turtle;q=0.9, application/ld+json;profile="dfc-v2"', V2, 'dfc-v2'],
    ['application/ld+json;q=0.5, text/turtle', 'text/turtle', 'dfc-v1'],
    ['text/turtle; profile="dfc-v2"', 'text/turtle', 'dfc-v2'],
  ];
  for (const [accept, contentType, profile] of cases) {
    it(`${accept} → ${contentType} (${profile})`, () => {
      const chosen = negotiate(accept);
      expect(chosen.contentType).to.equal(contentType);
      expect(chosen.profile).to.equal(profile);
    });
  }

  it('refuses, with 406, a header whose every range is refused or names nothing the node serves', () => {
    for (const accept of ['application/ld+json;q=0, application/ld+json;profile="dfc-v2";q=0', 'text/html', '*/*;q=0']) {
      expect(() => negotiate(accept), accept).to.throw(NotAcceptableHttpError);
    }
  });

  it('chooses once per Accept header, the same as for a header met the first time, and refuses every time', () => {
    const accept = 'text/turtle;q=0.9, application/ld+json; profile="dfc-v2"';
    const first = negotiate(accept);
    expect(negotiate(accept)).to.equal(first);
    expect(Object.isFrozen(first)).to.equal(true);
    expect(first).to.deep.equal({ format: 'jsonld', profile: 'dfc-v2', contentType: V2 });
    // With the formats of a resource, chosen among those (not the answer kept for the header).
    expect(negotiate(accept, ['turtle'])).to.deep.equal({ format: 'turtle', profile: 'dfc-v1', contentType: 'text/turtle' });
    const errors = [0, 1].map(() => {
      try {
        negotiate('image/png');
      } catch (error: unknown) {
        return error;
      }
      return undefined;
    });
    expect(errors[0]).to.be.instanceOf(NotAcceptableHttpError);
    expect(errors[1]).to.be.instanceOf(NotAcceptableHttpError);
    expect(errors[1]).to.not.equal(errors[0]);
  });
});
