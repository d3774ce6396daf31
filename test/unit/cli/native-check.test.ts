import { expect } from 'chai';
import { checkNativeModule } from '../../../server/cli/native-check.js';

describe('the sqlite3 native module check', () => {
  it('passes when the module loads (it does here)', async () => {
    expect(await checkNativeModule()).to.equal(undefined);
  });

  it('explains, in one line, why it did not load and how to build it', async () => {
    const message = await checkNativeModule(() => Promise.reject(new Error('Cannot find module \'../build/Release/node_sqlite3.node\'\nRequire stack: …')));
    expect(message).to.equal('the sqlite3 native module did not load (Cannot find module \'../build/Release/node_sqlite3.node\'); it is compiled by '
      + '`npm ci`, which needs python3, make and g++: `apt-get install -y python3 make g++`, then `npm rebuild sqlite3`');
    expect(message).to.not.include('\n');
  });
});
