/**
 * The dashboard's strings (`web/i18n.js`): every key in French and in English, and every key the network view
 * (`web/network.js`) asks for is there, so that neither language shows a bare key.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { expect } from 'chai';

const WEB = join(import.meta.dirname, '../../../web');

/**
 * The keys a module names: its camelCase string literals (`tr('syncNow')`, `['colPeer', …]`, `{ ok: 'statusOk' }`,
 * `cond ? 'changesPush' : …`). The page's other literals are kebab-case classes, attributes and API words.
 */
function keysNamedIn(source: string): string[] {
  return [...new Set([...source.matchAll(/'([a-z]+[A-Z]\w*)'/gu)].map((m) => m[1] as string))];
}

describe('web: the dashboard\'s strings', () => {
  let strings: Record<'en' | 'fr', Record<string, string>>;

  before(async () => {
    // A URL built at run time: the test project is compiled without the page's modules.
    strings = ((await import(pathToFileURL(join(WEB, 'i18n.js')).href)) as { STRINGS: typeof strings }).STRINGS;
  });

  it('has every key in both languages, none empty', () => {
    expect(Object.keys(strings.fr).sort()).to.deep.equal(Object.keys(strings.en).sort());
    for (const language of ['en', 'fr'] as const) {
      for (const [key, text] of Object.entries(strings[language])) expect(text, `${language}.${key}`).to.not.equal('');
    }
  });

  it('has every key the network view asks for, with the same placeholders in both languages', () => {
    const keys = keysNamedIn(readFileSync(join(WEB, 'network.js'), 'utf8'));
    expect(keys).to.include.members(['colQuarantine', 'quarantineOf', 'changesPush', 'pushSubscribed', 'subDead', 'feedLatest']);
    const placeholders = (text: string): string[] => [...text.matchAll(/\{(\w+)\}/gu)].map((m) => m[1] as string).sort();
    for (const key of keys) {
      expect(strings.en, key).to.have.property(key);
      expect(strings.fr, key).to.have.property(key);
      expect(placeholders(strings.fr[key] as string), key).to.deep.equal(placeholders(strings.en[key] as string));
    }
  });

  it('isolates a peer\'s text, its own isolates balanced so that it cannot leave ours', async () => {
    const { isolate } = (await import(pathToFileURL(join(WEB, 'i18n.js')).href)) as { isolate: (text: string) => string };
    expect(isolate('Ferme \u202E du Pont')).to.equal('\u2068Ferme \u202E du Pont\u2069');
    // A PDI of its own would close ours: dropped. An isolate it leaves open would take our PDI: closed.
    expect(isolate('a\u2069\u202Eb')).to.equal('\u2068a\u202Eb\u2069');
    expect(isolate('\u2067a')).to.equal('\u2068\u2067a\u2069\u2069');
    expect(isolate('\u2066a\u2069b')).to.equal('\u2068\u2066a\u2069b\u2069');
  });
});
