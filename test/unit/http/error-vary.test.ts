/**
 * The error funnel adds an error's `Vary` to what the route had said its answer varies by, never in its place: a
 * cache keyed on less than the answer depends on would give one client's answer to another.
 */
import { expect } from 'chai';
import express from 'express';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { NotAcceptableHttpError } from '../../../server/errors/http-error.js';
import { errorHandler } from '../../../server/http/error-handler.js';

describe('http/error-handler: Vary', () => {
  it('adds the error\'s Vary to the route\'s, each token once', async () => {
    const app = express();
    app.get('/x', (_req, res) => {
      res.setHeader('Vary', 'Authorization, accept');
      throw new NotAcceptableHttpError('nothing acceptable', { headers: { Vary: 'Accept, Accept-Language' } });
    });
    app.use(errorHandler(pino({ level: 'silent' })));
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    try {
      const answer = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/x`);
      expect(answer.status).to.equal(406);
      expect(answer.headers.get('vary')).to.equal('Authorization, accept, Accept-Language');
    } finally {
      server.close();
    }
  });
});
