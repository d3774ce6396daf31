import { expect } from 'chai';
import { ConfigError, loadConfig } from '../../server/config.js';

describe('config: the listing refresh', () => {
  it('pulls every listing\'s origin every 300 s unless MAILLON_LISTING_REFRESH_SECONDS says otherwise', () => {
    expect(loadConfig({}, {}).listingRefreshSeconds).to.equal(300);
    expect(loadConfig({}, { MAILLON_LISTING_REFRESH_SECONDS: '60' }).listingRefreshSeconds).to.equal(60);
  });

  it('refuses an interval that is no whole number of seconds from 1', () => {
    for (const bad of ['0', '-5', '1.5', 'often']) expect(() => loadConfig({}, { MAILLON_LISTING_REFRESH_SECONDS: bad }), bad).to.throw(ConfigError);
  });
});
