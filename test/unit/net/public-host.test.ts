import { expect } from 'chai';
import type { LookupAddress } from 'node:dns';
import { checkPublicHost } from '../../../server/net/public-host.js';
import { withDns } from '../../helpers/http-peer.js';

const answer = (...addresses: string[]) => async (): Promise<LookupAddress[]> =>
  addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));

describe('checkPublicHost', () => {
  it('takes a public IP literal as it is, without resolving it', async () => {
    const asked: string[] = [];
    await withDns(async (host) => {
      asked.push(host);
      return [];
    }, async () => {
      expect(await checkPublicHost('8.8.8.8', false)).to.deep.equal({ ok: true, addresses: undefined });
      expect(await checkPublicHost('[2001:4860:4860::8888]', false)).to.deep.equal({ ok: true, addresses: undefined });
    });
    expect(asked).to.deep.equal([]);
  });

  it('refuses a private IP literal, brackets or not, unless private addresses are allowed', async () => {
    expect(await checkPublicHost('127.0.0.1', false)).to.deep.equal({ ok: false, reason: 'private', address: '127.0.0.1', resolved: false });
    expect(await checkPublicHost('[::1]', false)).to.deep.equal({ ok: false, reason: 'private', address: '::1', resolved: false });
    expect(await checkPublicHost('127.0.0.1', true)).to.deep.equal({ ok: true, addresses: undefined });
  });

  it('resolves a name through dns.promises.lookup and answers its addresses', async () => {
    const asked: string[] = [];
    const checked = await withDns(async (host) => {
      asked.push(host);
      return answer('93.184.216.34', '2606:2800:220:1::1')();
    }, () => checkPublicHost('peer.example', false));
    expect(asked).to.deep.equal(['peer.example']);
    expect(checked).to.deep.equal({ ok: true, addresses: [{ address: '93.184.216.34', family: 4 }, { address: '2606:2800:220:1::1', family: 6 }] });
  });

  it('refuses a name if any of its addresses is private, naming that address; allowed, it answers them all', async () => {
    const dns = answer('93.184.216.34', '10.0.0.7');
    expect(await withDns(dns, () => checkPublicHost('peer.example', false))).to.deep.equal({ ok: false, reason: 'private', address: '10.0.0.7', resolved: true });
    expect(await withDns(dns, () => checkPublicHost('peer.example', true))).to.deep.equal({
      ok: true, addresses: [{ address: '93.184.216.34', family: 4 }, { address: '10.0.0.7', family: 4 }],
    });
  });

  it('answers a resolver error, an empty answer and a resolver too slow as values', async () => {
    const error = Object.assign(new Error('getaddrinfo ENOTFOUND nowhere.example'), { code: 'ENOTFOUND' });
    expect(await withDns(() => Promise.reject(error), () => checkPublicHost('nowhere.example', false))).to.deep.equal({ ok: false, reason: 'unresolved', error });
    expect(await withDns(answer(), () => checkPublicHost('empty.example', true))).to.deep.equal({ ok: false, reason: 'no-address' });
    const never = (): Promise<LookupAddress[]> => new Promise(() => undefined);
    expect(await withDns(never, () => checkPublicHost('slow.example', false, { timeoutMs: 20 }))).to.deep.equal({ ok: false, reason: 'timeout' });
  });
});
