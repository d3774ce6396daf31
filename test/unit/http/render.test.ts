import { expect } from 'chai';
import express from 'express';
import type { AddressInfo } from 'node:net';
import type { NodeId } from '../../../ontology/iri.js';
import type { DfcRecord } from '../../../ontology/records.js';
import { negotiate } from '../../../server/http/negotiate.js';
import { closeServer } from '../../helpers/fake-peer.js';
import { request as httpRequest } from 'node:http';
import { compression } from '../../../server/http/compress.js';
import {
  answeredNotModified, sendRendered, DEFAULT_RENDER_CACHE_BYTES, etagList, ifNoneMatchMatches, render, renderBody, RenderCache, renderedSize, versionEtag, type Rendered,
} from '../../../server/http/render.js';

function rendered(text: string): Rendered {
  return render([{ kind: 'Address', id: `https://node.example/addresses/${text}` as NodeId, street: text } as DfcRecord], negotiate('application/ld+json'));
}

describe('Rendering and conditional requests', () => {
  describe('RenderCache', () => {
    it('is bounded in bytes, 64 MiB unless told', () => {
      expect(DEFAULT_RENDER_CACHE_BYTES).to.equal(64 * 1024 * 1024);
      const one = rendered('a'.repeat(1000));
      const cache = new RenderCache({ maxBytes: renderedSize(one) * 3 });
      for (let i = 0; i < 10; i++) cache.set(`k${i}`, rendered(`${i}`.padEnd(1000, 'a')));
      expect(cache.size).to.be.at.most(renderedSize(one) * 3);
      expect(['k7', 'k8', 'k9'].map((k) => cache.get(k) !== undefined)).to.deep.equal([true, true, true]);
      expect(cache.get('k0')).to.equal(undefined);
    });

    it('evicts the least recently used first', () => {
      const size = renderedSize(rendered('x'.repeat(500)));
      const cache = new RenderCache({ maxBytes: size * 2 });
      cache.set('a', rendered('a'.repeat(500)));
      cache.set('b', rendered('b'.repeat(500)));
      expect(cache.get('a')).to.not.equal(undefined); // a is now the most recent
      cache.set('c', rendered('c'.repeat(500)));
      expect(cache.get('b')).to.equal(undefined);
      expect(cache.get('a')?.body).to.include('aaaa');
      expect(cache.get('c')?.body).to.include('cccc');
    });

    it('does not keep a body larger than the whole budget', () => {
      const cache = new RenderCache({ maxBytes: 1000 });
      cache.set('small', rendered('s'));
      cache.set('big', rendered('b'.repeat(5000)));
      expect(cache.get('big')).to.equal(undefined);
      expect(cache.size).to.be.at.most(1000);
    });

    it('counts the text and the bytes of a body', () => {
      const value = rendered('é'.repeat(100));
      expect(renderedSize(value)).to.equal(value.bytes.length + 2 * value.body.length + 256);
    });

    it('keeps an RDF body as its bytes alone, and makes its text only when asked (then counted)', () => {
      const records = [{ kind: 'Address', id: 'https://node.example/addresses/1' as NodeId, street: 'rue des Lilas, 3 € \uD800' } as DfcRecord];
      for (const accept of ['text/turtle', 'application/n-triples', 'application/n-quads']) {
        const value = render(records, negotiate(accept), { version: 'v1' });
        expect(renderedSize(value), accept).to.equal(value.bytes.length + 256);
        const text = renderBody(records, negotiate(accept));
        expect(value.bytes.equals(Buffer.from(text, 'utf8')), accept).to.equal(true);
        expect(value.body, accept).to.equal(value.bytes.toString('utf8'));
        expect(renderedSize(value), accept).to.equal(value.bytes.length + 2 * value.body.length + 256);
      }
    });
  });

  describe('renderBody', () => {
    it('makes the body render makes, in every representation, with or without a container and a view', () => {
      const records = [
        { kind: 'Address', id: 'https://node.example/addresses/1' as NodeId, street: 'rue des Lilas' },
        { kind: 'Person', id: 'https://node.example/persons/1' as NodeId, firstName: 'Anne', familyName: 'Martin', affiliates: [] },
      ] as DfcRecord[];
      const view = { self: 'https://node.example/x?page_size=1', first: 'https://node.example/x?page=1', next: 'https://node.example/x?page=2' };
      const accepts = ['application/ld+json', 'application/json', 'text/turtle', 'application/n-triples', 'application/ld+json; profile="dfc-v2"'];
      for (const accept of accepts) {
        for (const options of [{ container: false }, { containerId: 'https://node.example/x' }, { containerId: 'https://node.example/x', view }]) {
          const body = renderBody(records, negotiate(accept), options);
          expect(body, `${accept} ${JSON.stringify(options)}`).to.equal(render(records, negotiate(accept), options).body);
          expect(body).to.contain('rue des Lilas');
        }
      }
    });
  });

  describe('ETags', () => {
    it('a version ETag is strong, distinct per representation and per version, and needs no rendering', () => {
      const accepts = ['application/ld+json', 'application/json', 'text/turtle', 'application/n-triples', 'application/n-quads', 'application/ld+json; profile="dfc-v2"'];
      const tags = accepts.map((accept) => versionEtag('v1', negotiate(accept)));
      expect(new Set(tags).size).to.equal(accepts.length);
      for (const tag of tags) expect(tag).to.match(/^"[^"]+"$/u);
      expect(versionEtag('v2', negotiate('text/turtle'))).to.not.equal(versionEtag('v1', negotiate('text/turtle')));
      expect(versionEtag('v1', negotiate('text/turtle'))).to.equal(versionEtag('v1', negotiate('text/turtle')));
    });

    it('render() uses the version ETag when given a version, the body hash otherwise', () => {
      const records = [{ kind: 'Address', id: 'https://node.example/addresses/1' as NodeId, street: 'rue' } as DfcRecord];
      const representation = negotiate('text/turtle');
      expect(render(records, representation, { version: 'v9' }).etag).to.equal(versionEtag('v9', representation));
      expect(render(records, representation).etag).to.not.equal(versionEtag('v9', representation));
    });
  });

  describe('the conditional-GET helper', () => {
    it('reads If-None-Match lists: *, several tags, weak forms', () => {
      expect(etagList(undefined)).to.equal(undefined);
      expect(etagList('"a", W/"b",,')).to.deep.equal(['"a"', '"b"']);
      // If-Match compares strongly (RFC 9110 §13.1.1): weak tags are left out, never stripped into strong ones.
      expect(etagList('"a", W/"b",,', 'strong')).to.deep.equal(['"a"']);
      expect(etagList('W/"b"', 'strong')).to.deep.equal([]);
      expect(etagList('*', 'strong')).to.deep.equal(['*']);
      expect(etagList(undefined, 'strong')).to.equal(undefined);
      expect(ifNoneMatchMatches('"a"', '"a"')).to.equal(true);
      expect(ifNoneMatchMatches('*', '"a"')).to.equal(true);
      expect(ifNoneMatchMatches('"x", "a"', '"a"')).to.equal(true);
      expect(ifNoneMatchMatches('W/"a"', '"a"')).to.equal(true);
      expect(ifNoneMatchMatches('"x"', '"a"')).to.equal(false);
      expect(ifNoneMatchMatches(undefined, '"a"')).to.equal(false);
    });

    it('answers 304 with the headers already set and no body, or lets the route answer', async () => {
      const app = express();
      app.get('/x', (req, res) => {
        res.setHeader('ETag', '"tag"');
        res.setHeader('Cache-Control', 'no-cache');
        if (answeredNotModified(req, res, '"tag"')) return;
        res.status(200).send('body');
      });
      const server = app.listen(0, '127.0.0.1');
      await new Promise((resolve) => server.once('listening', resolve));
      try {
        const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/x`;
        const hit = await fetch(url, { headers: { 'if-none-match': 'W/"tag"' } });
        expect(hit.status).to.equal(304);
        expect(hit.headers.get('etag')).to.equal('"tag"');
        expect(hit.headers.get('cache-control')).to.equal('no-cache');
        expect(await hit.text()).to.equal('');
        const miss = await fetch(url, { headers: { 'if-none-match': '"other"' } });
        expect(miss.status).to.equal(200);
        expect(await miss.text()).to.equal('body');
        expect((await fetch(url)).status).to.equal(200);
      } finally {
        await closeServer(server);
      }
    });
  });

  describe('sendRendered', () => {
    /** One exchange as bytes: status, headers in order (no Date), body. */
    const exchange = (port: number, method: string, path: string, headers: Record<string, string>): Promise<string> => new Promise((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port, method, path, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const raw: string[] = [];
          for (let i = 0; i < res.rawHeaders.length; i += 2) if (res.rawHeaders[i] !== 'Date') raw.push(`${res.rawHeaders[i]}: ${res.rawHeaders[i + 1]}`);
          resolve(`${res.statusCode}\n${raw.join('\n')}\n\n${Buffer.concat(chunks).toString('base64')}`);
        });
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end();
    });

    it('answers every method and status as Express\'s send of the bytes did (writes in one piece with the headers)', async () => {
      const body = `{"@id": "https://node.example/x", "name": "Pâte à tartiner ${'é'.repeat(2000)}"}`;
      const app = express();
      app.use(compression());
      // `/new/…` answers with sendRendered, `/old/…` as it was answered before (the type, then Express's send of the bytes).
      app.all('/:how/:status', (req, res) => {
        res.status(Number(req.params['status']));
        res.setHeader('Last-Modified', 'Mon, 01 Jan 2024 00:00:00 GMT');
        res.setHeader('ETag', '"v1"');
        if (req.params['how'] === 'new') sendRendered(res, 'application/ld+json; profile="dfc-v2"', body);
        else {
          res.setHeader('Content-Type', 'application/ld+json; profile="dfc-v2"; charset=utf-8');
          res.send(Buffer.from(body, 'utf8'));
        }
      });
      const server = app.listen(0, '127.0.0.1');
      await new Promise((resolve) => server.once('listening', resolve));
      try {
        const { port } = server.address() as AddressInfo;
        const cases: [string, string, Record<string, string>][] = [
          ['PUT', '200', {}], ['POST', '201', {}], ['PUT', '200', { 'accept-encoding': 'gzip' }], ['POST', '201', { 'accept-encoding': 'br' }],
          ['PUT', '200', { 'if-none-match': '"v1"' }], ['DELETE', '204', {}], ['PUT', '205', {}], ['PATCH', '202', {}],
          ['GET', '200', {}], ['GET', '200', { 'if-none-match': '"v1"' }], ['HEAD', '200', {}], ['GET', '200', { 'accept-encoding': 'gzip' }],
        ];
        for (const [method, status, headers] of cases) {
          const fresh = await exchange(port, method, `/new/${status}`, headers);
          const before = await exchange(port, method, `/old/${status}`, headers);
          expect(fresh, `${method} ${status} ${JSON.stringify(headers)}`).to.equal(before);
        }
      } finally {
        await closeServer(server);
      }
    });
  });
});
