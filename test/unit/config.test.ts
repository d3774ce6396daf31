import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { unknownEnvironment } from '../../server/cli/help.js';
import { ConfigError, ENVIRONMENT, loadConfig } from '../../server/config.js';
import { prettyLine } from '../../server/logging.js';

describe('config: the listing refresh', () => {
  it('pulls every listing\'s origin every 300 s unless MAILLON_LISTING_REFRESH_SECONDS says otherwise', () => {
    expect(loadConfig({}, {}).listingRefreshSeconds).to.equal(300);
    expect(loadConfig({}, { MAILLON_LISTING_REFRESH_SECONDS: '60' }).listingRefreshSeconds).to.equal(60);
  });

  it('refuses an interval that is no whole number of seconds from 1', () => {
    for (const bad of ['0', '-5', '1.5', 'often']) expect(() => loadConfig({}, { MAILLON_LISTING_REFRESH_SECONDS: bad }), bad).to.throw(ConfigError);
  });

  it('takes numbers in plain decimal digits only: hex, exponents or blanks named, not read as another number', () => {
    for (const [name, bad] of [['MAILLON_PORT', '0x9620'], ['MAILLON_PORT', '3.83e4'], ['MAILLON_PORT', ' 38311 '], ['MAILLON_BODY_LIMIT', '0x800'], ['MAILLON_ORDER_HOLD', '1e1']] as const) {
      expect(() => loadConfig({}, { [name]: bad }), `${name}=${bad}`).to.throw(ConfigError, new RegExp(`${name} must be an integer`, 'u'));
    }
    expect(loadConfig({}, { MAILLON_PORT: '38311' }).port).to.equal(38311);
  });
});

describe('config: validated at start, one clear line per bad value (issue 13)', () => {
  it('lists every bad value at once, each on its own line, instead of silently keeping a default', () => {
    let error: unknown;
    try {
      loadConfig({}, { MAILLON_LOG_LEVEL: 'verbose', MAILLON_SYNC_SCHEDULE: 'maybe', MAILLON_PAGE_SIZE: 'lots', MAILLON_ALLOW_PRIVATE: 'perhaps' });
    } catch (e: unknown) {
      error = e;
    }
    expect(error).to.be.instanceOf(ConfigError);
    const lines = (error as Error).message.split('\n');
    expect(lines).to.have.length(4);
    expect(lines).to.include('MAILLON_LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent, not "verbose"');
    expect(lines).to.include('MAILLON_SYNC_SCHEDULE must be true or false (or 1/0, yes/no, on/off), not "maybe"');
    expect(lines.some((l) => l.startsWith('MAILLON_PAGE_SIZE must be an integer'))).to.equal(true);
    expect(lines.some((l) => l.startsWith('MAILLON_ALLOW_PRIVATE must be true or false'))).to.equal(true);
  });

  it('refuses a base URL that would make ids that are no IRIs, or publish a secret in each of them', () => {
    for (const [bad, said] of [
      ['https://maillon.example.org ', /has a blank in it/u], ['https://maillon .example.org', /has a blank in it|absolute/u],
      ['http://u:p@example.org', /user name or password/u], ['http://example.org/a?b=1', /query or a fragment/u], ['http://example.org/a#c', /query or a fragment/u],
    ] as const) {
      expect(() => loadConfig({ 'base-url': bad }, {}), bad).to.throw(ConfigError, said);
      expect(() => loadConfig({}, { MAILLON_BASE_URL: bad }), bad).to.throw(ConfigError, said);
    }
    for (const good of ['https://maillon.example.org', 'https://maillon.example.org/', 'https://example.org/maillon', 'http://127.0.0.1:3000']) {
      expect(loadConfig({ 'base-url': good }, {}).baseUrl, good).to.equal(good.replace(/\/$/u, ''));
    }
  });

  it('reads the flags people write: on/off, yes/no, 1/0, true/false, in any case', () => {
    for (const off of ['off', 'NO', '0', 'False']) expect(loadConfig({}, { MAILLON_SYNC_SCHEDULE: off }).syncSchedule, off).to.equal(false);
    for (const on of ['on', 'Yes', '1', 'TRUE']) expect(loadConfig({}, { MAILLON_SYNC_SCHEDULE: on }).syncSchedule, on).to.equal(true);
    expect(loadConfig({}, {}).syncSchedule).to.equal(true);
  });

  it('names a MAILLON_ variable it does not know, with the one meant', () => {
    expect(unknownEnvironment({ MAILLON_SYNC_SHEDULE: 'off', MAILLON_PORT: '3000', PATH: '/bin' }))
      .to.deep.equal(['MAILLON_SYNC_SHEDULE is not a Maillon setting, it is ignored; did you mean MAILLON_SYNC_SCHEDULE?']);
    expect(unknownEnvironment({ MAILLON_FOO: '1' })).to.deep.equal(['MAILLON_FOO is not a Maillon setting, it is ignored']);
  });

  it('the README\'s configuration table lists exactly the variables the node reads', () => {
    const readme = readFileSync(join(import.meta.dirname, '..', '..', 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Configuration'), readme.indexOf('\n## ', readme.indexOf('## Configuration') + 5));
    const documented = new Set([...section.matchAll(/`(MAILLON_[A-Z_]+)`/gu)].map((m) => m[1]));
    expect([...documented].sort()).to.deep.equal([...ENVIRONMENT].sort());
    const source = readFileSync(join(import.meta.dirname, '..', '..', 'server', 'config.ts'), 'utf8');
    const read = new Set([...source.matchAll(/env\['(MAILLON_[A-Z_]+)'\]/gu)].map((m) => m[1]));
    expect([...read].sort()).to.deep.equal([...ENVIRONMENT].sort());
  });

  it('takes a tile server URL template for the dashboard map, or none', () => {
    expect(loadConfig({}, {}).tileUrl).to.equal(undefined);
    expect(loadConfig({}, { MAILLON_TILE_URL: '' }).tileUrl).to.equal(undefined);
    expect(loadConfig({}, { MAILLON_TILE_URL: 'https://{s}.tile.example.org/{z}/{x}/{y}.png' }).tileUrl).to.equal('https://{s}.tile.example.org/{z}/{x}/{y}.png');
    for (const bad of ['tiles.example.org/{z}/{x}/{y}.png', 'https://tiles.example.org/tile.png', 'javascript:{z}{x}{y}', 'https://u:p@t.example/{z}/{x}/{y}']) {
      expect(() => loadConfig({}, { MAILLON_TILE_URL: bad }), bad).to.throw(ConfigError, /MAILLON_TILE_URL/u);
    }
  });

  it('writes readable log lines for a person at a terminal, JSON otherwise', () => {
    expect(loadConfig({}, { MAILLON_LOG_FORMAT: 'pretty' }).logFormat).to.equal('pretty');
    expect(loadConfig({}, { MAILLON_LOG_FORMAT: 'json' }).logFormat).to.equal('json');
    expect(() => loadConfig({}, { MAILLON_LOG_FORMAT: 'xml' })).to.throw(ConfigError, /MAILLON_LOG_FORMAT must be one of auto, json, pretty/u);
    const request = prettyLine(JSON.stringify({ level: 30, time: Date.UTC(2026, 11, 2, 13, 5, 7, 250), msg: 'request', method: 'GET', url: '/api/dfc/enterprises', status: 200, ms: 3.14159, requestId: 'r1' }));
    expect(request).to.equal('13:05:07.250 INFO  GET /api/dfc/enterprises 200 3.1 ms [r1]\n');
    const other = prettyLine(JSON.stringify({ level: 40, time: 0, msg: 'peer sync failed', peer: 'ofn', failure: { kind: 'timeout' } }));
    expect(other).to.equal('00:00:00.000 WARN  peer sync failed peer=ofn failure={"kind":"timeout"}\n');
  });
});

describe('readable logs cannot be forged', () => {
  it('quotes a field with a control character (a peer\'s error text with a newline)', () => {
    const line = prettyLine(JSON.stringify({ level: 40, time: 0, msg: 'peer sync failed', error: 'bad\n00:00:00.000 INFO  all is well' }));
    expect(line.split('\n')).to.have.length(2);
    expect(line).to.contain('error="bad\\n00:00:00.000 INFO  all is well"');
  });
});

describe('config: an empty variable is an unset one', () => {
  it('MAILLON_DB= and MAILLON_DATA_DIR= (a template expanded to nothing) give the defaults, not SQLite\'s temporary database or /', () => {
    const config = loadConfig({}, { MAILLON_DB: '', MAILLON_DATA_DIR: ' ', MAILLON_HOST: '', MAILLON_BASE_URL: '', MAILLON_NAME: '' });
    expect(config.dataDir).to.equal('./data');
    expect(config.db).to.equal('./data/maillon.db');
    expect(config.host).to.equal('127.0.0.1');
    expect(config.baseUrl).to.equal('http://127.0.0.1:3000');
    expect(config.baseUrlGiven).to.equal(false);
    expect(config.name).to.equal('Maillon node');
  });
});
