import { expect } from 'chai';
import type { LookupAddress } from 'node:dns';
import { MAX_URL_LENGTH } from '../../../server/net/safe-fetch.js';
import { checkPeerUrl } from '../../../server/sync/peer-url.js';
import { withDns } from '../../helpers/http-peer.js';

const OWN = { allowPrivate: false, ownBase: 'https://node.example' };
const resolvesTo = (address: string) => async (): Promise<LookupAddress[]> => [{ address, family: 4 }];

describe('checkPeerUrl', () => {
  it('keeps the peer rules: http(s), no credentials in the URL, not ourselves; drops the fragment', async () => {
    const refusal = async (text: string) => {
      const checked = await checkPeerUrl(text, OWN);
      return checked.ok ? undefined : checked.failure;
    };
    expect(await refusal('not a url')).to.include({ kind: 'bad-url', message: 'not a URL: "not a url"' });
    expect(await refusal('ftp://peer.example/')).to.include({ kind: 'bad-url', message: 'a peer URL must be http or https' });
    expect(await refusal('https://user:secret@peer.example/')).to.include({ kind: 'bad-url', message: 'put credentials in the peer token, not in the URL' });
    expect(await refusal('https://node.example/api/dfc/enterprises')).to.include({ kind: 'bad-url', message: 'a node cannot be its own peer' });
    expect(await withDns(resolvesTo('93.184.216.34'), () => checkPeerUrl('https://peer.example/catalog#top', OWN)))
      .to.deep.equal({ ok: true, url: 'https://peer.example/catalog' });
  });

  it('refuses a URL longer than MAX_URL_LENGTH before anything else, saying how long it is; takes one of that length', async () => {
    const long = `https://peer.example/${'a'.repeat(MAX_URL_LENGTH)}`;
    const checked = await checkPeerUrl(long, OWN);
    if (checked.ok) expect.fail('a URL too long was taken');
    expect(checked.failure.kind).to.equal('bad-url');
    expect(checked.failure.message).to.match(new RegExp(`a URL of ${long.length.toLocaleString('en-US')} characters .*at most 4,096`, 'u'));
    expect(checked.failure.url?.length, "the URL kept with the failure is clipped").to.be.below(200);
    // Short as written, too long as stored: each `é` is percent-encoded to six characters.
    const encoded = await checkPeerUrl(`https://peer.example/${'é'.repeat(1000)}`, OWN);
    if (encoded.ok) expect.fail('a URL too long once encoded was taken');
    expect(encoded.failure.message).to.match(/a URL of 6,021 characters/u);
    const longest = `https://peer.example/${'a'.repeat(MAX_URL_LENGTH - 'https://peer.example/'.length)}`;
    expect(await withDns(resolvesTo('93.184.216.34'), () => checkPeerUrl(longest, OWN))).to.deep.equal({ ok: true, url: longest });
  });

  it('refuses a host that is or resolves to a private address, unless private peers are allowed', async () => {
    const message = (host: string) => `${host} is a private or loopback address; give --allow-private to this command, or allow private peers for good with 'maillon config set allow-private true'`;
    expect(await checkPeerUrl('http://127.0.0.1:8080/', OWN)).to.deep.equal({
      ok: false, failure: { kind: 'private-address', message: message('127.0.0.1'), url: 'http://127.0.0.1:8080/' },
    });
    expect(await withDns(resolvesTo('192.168.1.10'), () => checkPeerUrl('https://lan.example/', OWN))).to.deep.equal({
      ok: false, failure: { kind: 'private-address', message: message('lan.example'), url: 'https://lan.example/' },
    });
    expect(await checkPeerUrl('http://[::1]:8080/', { ...OWN, allowPrivate: true })).to.deep.equal({ ok: true, url: 'http://[::1]:8080/' });
  });

  it('refuses a name that does not resolve, with the resolver\'s words', async () => {
    const fails = () => Promise.reject(new Error('getaddrinfo ENOTFOUND nowhere.example'));
    expect(await withDns(fails, () => checkPeerUrl('https://nowhere.example/', OWN))).to.deep.equal({
      ok: false, failure: { kind: 'network', message: 'cannot resolve nowhere.example: getaddrinfo ENOTFOUND nowhere.example', url: 'https://nowhere.example/' },
    });
  });
});
