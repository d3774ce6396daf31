/** Folding text for search: what people type and what producers write compare equal. */
import { expect } from 'chai';
import { editDistance, foldedWords, foldText } from '../../../ontology/fold.js';
import { productTypeLabels } from '../../../ontology/taxonomy.js';
import { DFC_PT_NS } from '../../../ontology/vocabulary.js';

describe('ontology: folding text for search', () => {
  it('drops case and accents', () => {
    expect(foldText('Chèvre FRAÎCHE à l\'Été, Ça')).to.equal("chevre fraiche a l'ete, ca");
    expect(foldText('Crème brûlée, naïve, Noël, Ñandú')).to.equal('creme brulee, naive, noel, nandu');
  });

  it('spells ligatures out, which accent removal alone does not', () => {
    expect(foldText('Œufs de caille, cœur, Æble, Straße, ﬁlet')).to.equal('oeufs de caille, coeur, aeble, strasse, filet');
  });

  it('makes typographic apostrophes plain, and is idempotent', () => {
    expect(foldText('L’été d’Œuf')).to.equal("l'ete d'oeuf");
    for (const text of ['Œufs', 'Chèvre', 'ﬂeur', 'Ærø']) expect(foldText(foldText(text))).to.equal(foldText(text));
  });

  it('splits words as SQLite\'s unicode61 tokenizer does (letters and digits)', () => {
    expect(foldedWords('Pommes de terre - 2,5 kg')).to.deep.equal(['pommes', 'de', 'terre', '2', '5', 'kg']);
    expect(foldedWords("l'Œuf \"*\" NEAR(a)")).to.deep.equal(['l', 'oeuf', 'near', 'a']);
    expect(foldedWords('*** -- ()')).to.deep.equal([]);
  });

  it('measures edit distance', () => {
    expect(editDistance('legum', 'legume')).to.equal(1);
    expect(editDistance('chevre', 'chevres')).to.equal(1);
    expect(editDistance('', 'abc')).to.equal(3);
    expect(editDistance('tomate', 'tomato')).to.equal(1);
  });

  it('names a built-in product type in English, French and by its local name', () => {
    expect(productTypeLabels(`${DFC_PT_NS}round-tomato`)).to.deep.equal(['round tomato', 'tomate ronde']);
    expect(productTypeLabels(`${DFC_PT_NS}egg`)).to.deep.equal(['egg', 'œuf']);
    expect(productTypeLabels(`${DFC_PT_NS}unknown-thing`)).to.deep.equal(['unknown thing']);
  });

  it('folds plain ASCII as the whole folding does (its lower case), and text with one other character the whole way', () => {
    const whole = (text: string): string => text.normalize('NFKD').replace(/\p{M}+/gu, '').toLowerCase();
    const ascii = Array.from({ length: 128 }, (_, code) => String.fromCharCode(code)).join('');
    expect(foldText(ascii)).to.equal(whole(ascii));
    expect(foldText('Hand-picked WINE #100000, Big Regional Cooperative')).to.equal('hand-picked wine #100000, big regional cooperative');
    expect(foldText('Organic EGGS from the Ferme de l’Œuf')).to.equal("organic eggs from the ferme de l'oeuf");
  });

  it('remembers a product type\'s labels, and no caller can change what it remembers', () => {
    const first = productTypeLabels(`${DFC_PT_NS}round-tomato`);
    expect(productTypeLabels(`${DFC_PT_NS}round-tomato`)).to.equal(first);
    expect(Object.isFrozen(first)).to.equal(true);
    // Past the types it keeps, it forgets them and answers the same.
    for (let i = 0; i < 5000; i++) productTypeLabels(`https://types.example/t${i}`);
    expect(productTypeLabels(`${DFC_PT_NS}round-tomato`)).to.deep.equal(['round tomato', 'tomate ronde']);
    expect(productTypeLabels('https://types.example/t4999')).to.deep.equal(['t4999']);
  });
});
