import { expect } from 'chai';
import { TextWalks, WALK_ID } from '../../../server/federation/text-walks.js';

describe('federation: kept walks of text searches', () => {
  const keys = (n: number): { source: string; item: string }[] => Array.from({ length: n }, (_, i) => ({ source: 'local:a', item: `https://a.example/${i}` }));

  it('gives a walk\'s keys back for its query, until evicted: the least recently read past the count or the bytes, or unread too long', () => {
    let now = 0;
    const walks = new TextWalks({ walks: 2, bytes: 100_000, ttlMs: 1000 }, () => now);
    const a = walks.start('q=a', keys(3)) as string;
    expect(a).to.match(WALK_ID);
    const b = walks.start('q=b', keys(3)) as string;
    expect(walks.keys(a, 'q=a')).to.deep.equal(keys(3));
    expect(walks.keys(a, 'q=b')).to.equal('other');
    // A third walk evicts the least recently read (b: a was read after it).
    walks.start('q=c', keys(1));
    expect(walks.keys(b, 'q=b')).to.equal(undefined);
    expect(walks.keys(a, 'q=a')).to.have.length(3);
    now = 2000;
    expect(walks.keys(a, 'q=a')).to.equal(undefined);
    // Bytes: a walk bigger than all of them is not kept; two big ones do not fit together.
    const small = new TextWalks({ walks: 10, bytes: 1000, ttlMs: 1000 }, () => now);
    expect(small.start('q', keys(100))).to.equal(undefined);
    const first = small.start('q', keys(5)) as string;
    small.start('q', keys(5));
    expect(small.keys(first, 'q')).to.equal(undefined);
  });
});
