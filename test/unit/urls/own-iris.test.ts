/**
 * This node's own IRIs, however they are spelt: the sync refuses a peer's copy of them, and a listing that leads back
 * to them, so every spelling a URL client takes to this node must be known as ours, and no other host.
 */
import { expect } from 'chai';
import { isOwnIri, mayBeOwnUnder } from '../../../server/urls/own-iris.js';

const BASE = 'http://node.example';
const PATH = '/api/dfc/enterprises/ferme/offers/1';

describe('isOwnIri', () => {
  it('knows our IRIs in every spelling a URL client takes to this node', () => {
    for (const spelt of [
      'http://node.example', 'HTTP://NODE.EXAMPLE', 'http://node.example:80', 'http://node.example:080', 'http://node.example:0080',
      'http://someone@node.example', 'http://someone:secret@Node.Example:80', 'http://node.example.', 'http://node.example.:80',
      'http://node%2Eexample', 'http://NODE%2eEXAMPLE',
    ]) {
      expect(isOwnIri(`${spelt}${PATH}`, BASE), spelt).to.equal(true);
      expect(isOwnIri(spelt, BASE), `${spelt} alone`).to.equal(true);
      expect(isOwnIri(`${spelt}?page=2`, BASE), `${spelt}?…`).to.equal(true);
    }
    expect(isOwnIri('https://node.example:443/x', 'https://node.example')).to.equal(true);
  });

  it('knows no other host, port, scheme or base as ours', () => {
    for (const other of [
      'http://node.example.org', 'http://node.examplex', 'http://evil.example/node.example', 'http://node.example@evil.example',
      'http://node.example:8080', 'https://node.example', 'http://node%2Eexample.evil', 'http://node.example..', 'urn:node.example',
      'http://[::1]', 'http://node.example%40evil.example',
    ]) {
      expect(isOwnIri(`${other}${PATH}`, BASE), other).to.equal(false);
    }
    expect(isOwnIri(`http://node.example/apix${PATH}`, 'http://node.example/api'), 'a base with a path: not a prefix of a word').to.equal(false);
    expect(isOwnIri('http://NODE.example/api/x', 'http://node.example/api')).to.equal(true);
  });

  it('knows an address written in any form a URL client reads, and a host IDNA maps to ours', () => {
    const loopback = 'http://127.0.0.1:41002';
    for (const spelt of ['http://127.1:41002', 'http://0x7f.0.0.1:41002', 'http://2130706433:41002', 'http://0177.0.0.1:41002',
      'http://\uff11\uff12\uff17.0.0.1:41002', 'http://127.0.0.1:041002', 'http://0x7F000001:41002']) {
      expect(isOwnIri(`${spelt}${PATH}`, loopback), spelt).to.equal(true);
    }
    for (const other of ['http://127.0.0.2:41002', 'http://127.0.0.1:41003', 'http://128.1:41002', 'http://0x7f.0.0.2:41002']) {
      expect(isOwnIri(`${other}${PATH}`, loopback), other).to.equal(false);
    }
    expect(isOwnIri(`http://[0:0:0:0:0:0:0:1]:8080${PATH}`, 'http://[::1]:8080'), 'IPv6, in full').to.equal(true);
    // Full-width letters map to ASCII ones: ｍaillon.example is maillon.example.
    expect(isOwnIri(`http://\uff4daillon.example${PATH}`, 'http://maillon.example'), 'full-width m').to.equal(true);
    expect(isOwnIri(`http://xn--maillon-example${PATH}`, 'http://maillon.example')).to.equal(false);
    // What the parser reads otherwise than written: one slash, an IPv4-mapped IPv6 address, dot segments.
    for (const spelt of [`http:/127.0.0.1:41002${PATH}`, `http://[::ffff:127.0.0.1]:41002${PATH}`, `HTTP:127.0.0.1:41002${PATH}`]) {
      expect(isOwnIri(spelt, loopback), spelt).to.equal(true);
    }
    for (const spelt of ['https://example.org/x/../maillon/api/dfc/offers/1', 'https://example.org/maillon/./api/x', 'https://example.org/maillon/%2e/x',
      'https://example.org\\maillon\\x']) {
      expect(isOwnIri(spelt, 'https://example.org/maillon'), spelt).to.equal(true);
    }
    expect(isOwnIri('https://example.org/maillon/../other/x', 'https://example.org/maillon')).to.equal(false);
    expect(isOwnIri('http://[::ffff:127.0.0.2]:41002/x', loopback)).to.equal(false);
  });

  it('answers for the base it is given, however the bases asked of alternate', () => {
    for (let round = 0; round < 2; round++) {
      expect(isOwnIri('HTTPS://NODE-A.example/x', 'https://node-a.example')).to.equal(true);
      expect(isOwnIri('HTTPS://NODE-A.example/x', 'https://node-b.example')).to.equal(false);
      expect(isOwnIri('http://[::ffff:127.0.0.1]:80/x', 'http://127.0.0.1')).to.equal(true);
      expect(isOwnIri('HTTPS://NODE-B.example:443/x', 'https://node-b.example')).to.equal(true);
    }
  });
});

describe('mayBeOwnUnder', () => {
  it('says an origin may hold our IRIs only when our base is at it, however the origin is spelt', () => {
    for (const [origin, base] of [
      ['http://node.example', 'http://node.example'], ['http://node.example', 'http://node.example/api'], ['http://node.example.', 'http://node.example'],
      ['https://node.example', 'https://node.example:443/x'], ['http://127.0.0.1:41002', 'http://127.0.0.1:41002'], ['http://[::1]:8080', 'http://[::1]:8080/m'],
    ] as const) {
      expect(mayBeOwnUnder(origin, base), `${origin} for ${base}`).to.equal(true);
    }
    for (const [origin, base] of [
      ['http://node.example.org', 'http://node.example'], ['http://node.example:8080', 'http://node.example'], ['https://node.example', 'http://node.example'],
      ['http://node', 'http://node.example'], ['http://evil.example', 'http://node.example'], ['http://127.0.0.1:4100', 'http://127.0.0.1:41002'],
    ] as const) {
      expect(mayBeOwnUnder(origin, base), `${origin} for ${base}`).to.equal(false);
    }
  });

  it('never says no of an origin under which isOwnIri finds one of ours', () => {
    const bases = ['http://node.example', 'http://node.example/api', 'https://node.example', 'http://127.0.0.1:41002', 'http://[::1]:8080'];
    const origins = ['http://node.example', 'http://node.example.', 'http://node.example:8080', 'https://node.example', 'http://node.example.org',
      'http://127.0.0.1:41002', 'http://127.0.0.1', 'http://[::1]:8080', 'http://[::ffff:7f00:1]:41002'];
    for (const base of bases) {
      for (const origin of origins) {
        for (const path of ['/', '/api', '/api/x', '/x/../api/y', '?q', '#f', '/API/x']) {
          if (isOwnIri(`${origin}${path}`, base)) expect(mayBeOwnUnder(origin, base), `${origin}${path} for ${base}`).to.equal(true);
        }
      }
    }
  });
});
