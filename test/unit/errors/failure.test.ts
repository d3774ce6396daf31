import { expect } from 'chai';
import { failure, loggedFailure, shownUrl } from '../../../server/errors/failure.js';

describe('failures as logs show them', () => {
  it('shows a URL without its query, fragment and user info, and marks where the query was', () => {
    expect(shownUrl('http://127.0.0.1:45799/catalog.jsonld?key=SECRET123')).to.equal('http://127.0.0.1:45799/catalog.jsonld?…');
    expect(shownUrl('https://user:pass@peer.example/api/dfc/enterprises#frag')).to.equal('https://peer.example/api/dfc/enterprises');
    expect(shownUrl('https://peer.example/api/dfc/enterprises')).to.equal('https://peer.example/api/dfc/enterprises');
    expect(shownUrl('not a URL ?key=x')).to.equal('not a URL ?key=x');
  });

  it('strips the URL of a failure and the URLs in its message, and leaves a failure without secrets as it is', () => {
    const f = failure('too-many-redirects', 'redirected from https://a.example/x?token=S1 to http://u:p@b.example/y?key=S2 and more', 'https://a.example/x?token=S1', 302);
    const shown = loggedFailure(f);
    expect(shown).to.deep.equal({ kind: 'too-many-redirects', message: 'redirected from https://a.example/x?… to http://b.example/y?… and more', url: 'https://a.example/x?…', status: 302 });
    expect(JSON.stringify(shown)).not.to.match(/S1|S2|u:p/u);
    const plain = failure('network', 'connection refused', 'https://a.example/x');
    expect(loggedFailure(plain)).to.equal(plain);
    expect(loggedFailure(failure('internal', 'no URL'))).to.deep.equal({ kind: 'internal', message: 'no URL' });
  });
});
