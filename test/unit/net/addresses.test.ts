import { expect } from 'chai';
import { isPrivateAddress } from '../../../server/net/addresses.js';

describe('isPrivateAddress', () => {
  const table: [string, boolean][] = [
    ['10.1.2.3', true],
    ['172.16.0.1', true],
    ['172.31.255.255', true],
    ['172.32.0.1', false],
    ['192.168.1.1', true],
    ['127.0.0.1', true],
    ['169.254.1.1', true],
    ['169.254.169.254', true],
    ['100.64.0.1', true],
    ['100.128.0.1', false],
    ['8.8.8.8', false],
    ['1.1.1.1', false],
    ['0.0.0.0', true],
    ['224.0.0.1', true],
    ['255.255.255.255', true],
    ['192.0.2.1', true],
    ['::', true],
    ['::1', true],
    ['[::1]', true],
    ['fe80::1', true],
    ['fe80::1%eth0', true],
    ['fc00::1', true],
    ['fd12::1', true],
    ['ff02::1', true],
    ['::ffff:127.0.0.1', true],
    ['::ffff:7f00:1', true],
    ['::ffff:8.8.8.8', false],
    ['64:ff9b::10.0.0.1', true],
    ['64:ff9b::8.8.8.8', false],
    ['2002:a00:1::1', true],
    ['2001:db8::1', true],
    ['2001:4860::8888', false],
    ['2001:4860:4860::8888', false],
    ['2a00:1450:4007:80b::200e', false],
    ['not an address', true],
    ['010.0.0.1', true],
    // Beyond the cases above: the edges of the embedded and special IPv6 ranges.
    ['::127.0.0.1', true],
    ['64:ff9b:1::8.8.8.8', true],
    ['2002:808:808::1', false],
    ['2001:1ff::1', true],
    ['2001:200::1', false],
    ['3fff:fff::1', true],
    ['3fff:1000::1', false],
    ['100::1', true],
    ['4000::1', true],
    ['', true],
  ];
  for (const [ip, expected] of table) {
    it(`${ip === '' ? '(empty)' : ip} is ${expected ? 'private' : 'public'}`, () => {
      expect(isPrivateAddress(ip)).to.equal(expected);
    });
  }
});
