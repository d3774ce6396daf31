/**
 * Behind a reverse proxy: `X-Forwarded-For`/`-Proto` are believed only from the proxies the operator named
 * (`--trust-proxy`, `MAILLON_TRUST_PROXY`); by default a client that sends them is logged as what it is.
 */
import { expect } from 'chai';
import { pino } from 'pino';
import { ConfigError, loadConfig } from '../../../server/config.js';
import { startInProcess, type InProcessNode } from '../../helpers/in-process.js';

interface RequestLine { readonly url: string; readonly ip: string; readonly protocol: string }

async function nodeTrusting(trustProxy: false | number | readonly string[] | undefined, lines: RequestLine[]): Promise<InProcessNode> {
  const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line) as RequestLine) });
  return startInProcess({ logger, deps: (deps) => ({ ...deps, ...(trustProxy !== undefined ? { trustProxy } : {}) }) });
}

const FORWARDED = { 'X-Forwarded-For': '203.0.113.7', 'X-Forwarded-Proto': 'https', 'X-Forwarded-Host': 'maillon.example' };

/** The request line logged for a path (the line is written when the response finishes). */
async function logged(lines: RequestLine[], path: string): Promise<RequestLine> {
  for (let i = 0; i < 50; i += 1) {
    const line = lines.find((l) => l.url === path);
    if (line !== undefined) return line;
    await new Promise((resolve) => setImmediate(resolve));
  }
  throw new Error(`no request line for ${path}`);
}

describe('trust proxy', () => {
  it('by default ignores X-Forwarded-*: the client is logged with its own address and protocol', async () => {
    const lines: RequestLine[] = [];
    const node = await nodeTrusting(undefined, lines);
    try {
      expect((await node.request('GET', '/api/dfc/enterprises?a=1', { headers: FORWARDED })).status).to.equal(200);
      const line = await logged(lines, '/api/dfc/enterprises?a=1');
      expect(line.ip).to.match(/^(::ffff:)?127\.0\.0\.1$/u);
      expect(line.protocol).to.equal('http');
    } finally {
      await node.close();
    }
  });

  it('with the proxy on loopback trusted, logs the forwarded client address and protocol', async () => {
    const lines: RequestLine[] = [];
    const node = await nodeTrusting(['loopback'], lines);
    try {
      expect((await node.request('GET', '/api/dfc/enterprises?b=1', { headers: FORWARDED })).status).to.equal(200);
      const line = await logged(lines, '/api/dfc/enterprises?b=1');
      expect(line.ip).to.equal('203.0.113.7');
      expect(line.protocol).to.equal('https');
      // Without the headers, the proxy itself is the client.
      await node.request('GET', '/api/dfc/enterprises?c=1');
      expect((await logged(lines, '/api/dfc/enterprises?c=1')).ip).to.match(/^(::ffff:)?127\.0\.0\.1$/u);
    } finally {
      await node.close();
    }
  });

  it('trusts only the named proxies: a forwarded address from another one is not believed', async () => {
    const lines: RequestLine[] = [];
    const node = await nodeTrusting(['10.1.2.3'], lines);
    try {
      await node.request('GET', '/api/dfc/enterprises?d=1', { headers: FORWARDED });
      const line = await logged(lines, '/api/dfc/enterprises?d=1');
      expect(line.ip).to.match(/^(::ffff:)?127\.0\.0\.1$/u);
      expect(line.protocol).to.equal('http');
    } finally {
      await node.close();
    }
  });

  it('reads --trust-proxy / MAILLON_TRUST_PROXY: off by default, hops, addresses, subnets and presets', () => {
    expect(loadConfig({}, {}).trustProxy).to.equal(false);
    expect(loadConfig({}, { MAILLON_TRUST_PROXY: 'off' }).trustProxy).to.equal(false);
    expect(loadConfig({}, { MAILLON_TRUST_PROXY: '1' }).trustProxy).to.equal(1);
    expect(loadConfig({}, { MAILLON_TRUST_PROXY: 'loopback, 10.0.0.0/8,fd00::/8,192.168.1.1' }).trustProxy)
      .to.deep.equal(['loopback', '10.0.0.0/8', 'fd00::/8', '192.168.1.1']);
    expect(loadConfig({ 'trust-proxy': 'uniquelocal' }, { MAILLON_TRUST_PROXY: 'loopback' }).trustProxy).to.deep.equal(['uniquelocal']);
  });

  it('refuses a value that is no hop count, address or preset, and trusting every hop', () => {
    for (const bad of ['true', 'everyone', '10.0.0.0/33', '300.1.1.1', 'loopback,nope', ',', '-1']) {
      expect(() => loadConfig({}, { MAILLON_TRUST_PROXY: bad }), bad).to.throw(ConfigError, /MAILLON_TRUST_PROXY must be off, a number of proxy hops/u);
    }
  });
});
