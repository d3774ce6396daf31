/**
 * The HttpError family: each subclass carries its status and title; a client error (4xx) captures no stack (never
 * logged nor shown, and costly on answers as frequent as refused orders), a server error keeps its stack.
 */
import { expect } from 'chai';
import {
  ConflictHttpError, HttpError, InternalServerError, NotFoundHttpError, ServiceUnavailableHttpError,
} from '../../../server/errors/http-error.js';

/** The frames of an error's stack (its lines after the first). */
const frames = (error: Error): string[] => (error.stack ?? '').split('\n').slice(1);

describe('HttpError', () => {
  it('carries its status, title, name, message, headers and extensions', () => {
    const error = new ConflictHttpError('not enough stock', { headers: { 'Retry-After': '5' }, extensions: { shortLines: [] } });
    expect(error).to.be.instanceOf(HttpError).and.instanceOf(Error);
    expect(error).to.include({ status: 409, title: 'Conflict', name: 'ConflictHttpError', message: 'not enough stock' });
    expect(error.headers).to.deep.equal({ 'Retry-After': '5' });
    expect(error.extensions).to.deep.equal({ shortLines: [] });
    expect(HttpError.isInstance(error)).to.equal(true);
    expect(new NotFoundHttpError().message).to.equal('Not Found');
  });

  it('captures no stack for a client error, and the stack of a server error', () => {
    expect(frames(new ConflictHttpError('refused'))).to.deep.equal([]);
    expect(frames(new NotFoundHttpError('gone'))).to.deep.equal([]);
    expect(new ConflictHttpError('refused').stack).to.equal('ConflictHttpError: refused');
    expect(frames(new InternalServerError('broken'))).to.not.deep.equal([]);
    expect(frames(new ServiceUnavailableHttpError('down'))).to.not.deep.equal([]);
    // The limit of other errors is left as it was.
    expect(frames(new Error('plain'))).to.not.deep.equal([]);
  });

  it('keeps its cause', () => {
    const cause = new Error('disk full');
    expect(new InternalServerError('broken', { cause }).cause).to.equal(cause);
  });
});
