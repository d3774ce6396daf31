/**
 * A name given twice in one JSON object is found (decoded, with where it is), and nothing else is taken for one.
 */
import { expect } from 'chai';
import { Decoder } from '../../../server/codec/decode.js';
import { findDuplicateName, jsonTextDepthExceeds } from '../../../server/codec/json-duplicates.js';

describe('findDuplicateName', () => {
  it('finds a name given twice in one object, at the top or nested, however it is escaped', () => {
    expect(findDuplicateName('{"a": 1, "a": 2}')).to.deep.equal({ name: 'a', pointer: '' });
    expect(findDuplicateName('{"a": 1, "\\u0061": 2}')).to.deep.equal({ name: 'a', pointer: '' });
    expect(findDuplicateName('{"@graph": [{"x": 1}, {"q": {"v": 1, "v": 2}}]}')).to.deep.equal({ name: 'v', pointer: '/@graph/1/q' });
    expect(findDuplicateName('{"a/b~": {"k": 1, "k": 1}}')).to.deep.equal({ name: 'k', pointer: '/a~1b~0' });
  });

  it('takes none of these for a duplicate: the same name in two objects, a name as a value, quotes and braces in strings', () => {
    for (const text of [
      '{"a": 1, "b": {"a": 2}}', '[{"a": 1}, {"a": 2}]', '{"a": "a", "b": "a"}', '{"a": ["a", "a"]}',
      '{"a": "{\\"a\\": 1, \\"a\\": 2}", "b": 1}', '{"a\\"": 1, "a": 2}', '{}', '[]', '"a"', '12', '{"a": {}, "b": []}',
    ]) expect(findDuplicateName(text), text).to.equal(undefined);
  });

  it('stops at the decoder\'s depth limit: five million `[` cost no frame each', () => {
    const started = performance.now();
    expect(findDuplicateName('['.repeat(5_000_000))).to.equal(undefined);
    expect(findDuplicateName(`${'['.repeat(300)}{"a": 1, "a": 2}${']'.repeat(300)}`)).to.equal(undefined);
    expect(findDuplicateName(`${'['.repeat(200)}{"a": 1, "a": 2}${']'.repeat(200)}`)?.name).to.equal('a');
    expect(performance.now() - started).to.be.lessThan(2_000);
  });
});

describe('a write body nested too deep is refused before it is parsed', () => {
  const deep = (levels: number): string => `{"a":${'['.repeat(levels)}${']'.repeat(levels)}}`;

  it('jsonTextDepthExceeds reads the nesting from the text, strings and escapes aside', () => {
    expect(jsonTextDepthExceeds(deep(255))).to.equal(false);
    expect(jsonTextDepthExceeds(deep(256))).to.equal(true);
    expect(jsonTextDepthExceeds(`{"a": "${'['.repeat(1000)}", "b": "\\"[[["}`)).to.equal(false);
  });

  it('an order or a catalogue write of 2.4 million levels is a too-deep refusal in well under the seconds JSON.parse takes', async () => {
    const decoder = new Decoder();
    const text = deep(2_400_000);
    for (const options of [{ orderRequest: true }, { catalogueWrite: true }]) {
      const started = performance.now();
      const result = await decoder.decode(text, options);
      const took = performance.now() - started;
      expect(result.problems.map((p) => p.code), JSON.stringify(options)).to.deep.equal(['too-deep']);
      expect(took, JSON.stringify(options)).to.be.lessThan(1_000);
    }
  });
});
