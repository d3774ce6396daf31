import { expect } from 'chai';
import { DFC_NAMESPACES } from '../../../ontology/namespaces.js';
import { statusName } from '../../../server/orders/order-service.js';

describe('orders: the status an order names', () => {
  it('is a term of the DFC vocabulary, in the namespace of any generation, or a bare name', () => {
    for (const generation of Object.values(DFC_NAMESPACES)) {
      for (const name of ['Draft', 'Held', 'Complete', 'Cancelled'] as const) expect(statusName(`${generation['dfc-v']}${name}`)).to.equal(name);
    }
    expect(statusName('dfc-v:Complete')).to.equal('Complete');
    expect(statusName('Held')).to.equal('Held');
    expect(statusName(undefined)).to.equal(undefined);
  });

  it('is nothing for a look-alike: another namespace, another vocabulary, another case, a longer name', () => {
    const vocabulary = DFC_NAMESPACES['1.x']['dfc-v'];
    for (const value of [
      'http://evil.example/Held', 'http://evil.example/vocabulary.rdf#Held', `${DFC_NAMESPACES['1.x']['dfc-b']}Held`, 'dfc-b:Held',
      'held', 'HELD', `${vocabulary}held`, `${vocabulary}Held/`, `${vocabulary}Helder`, `x${vocabulary}Held`, 'urn:x:Held', '',
    ]) expect(statusName(value), value).to.equal(undefined);
  });
});
