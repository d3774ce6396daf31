/**
 * Signed notifications: `t=<seconds>,v1=<HMAC-SHA256(secret, "t.body")>`; verification refuses tampering, a
 * wrong secret, a malformed header, a timestamp outside the replay window, and a replay inside it.
 */
import { createHmac } from 'node:crypto';
import { expect } from 'chai';
import { newSecret, REPLAY_WINDOW_SECONDS, ReplayGuard, sign, SIGNATURE_HEADER, verify } from '../../../server/feed/signature.js';

const SECRET = 'whsec_unit';
const BODY = '{"type":"Update","object":{"id":"https://node.example/api/dfc/enterprises/ferme/catalog_items/tomate"}}';
// A whole second of the real clock: ReplayGuard forgets by the wall clock, not by verify's `now`.
const NOW = Math.floor(Date.now() / 1000) * 1000;

describe('feed: signatures', () => {
  it('signs with the timestamp inside the MAC', () => {
    const header = sign(SECRET, BODY, NOW);
    const t = NOW / 1000;
    expect(header).to.equal(`t=${t},v1=${createHmac('sha256', SECRET).update(`${t}.${BODY}`).digest('hex')}`);
    expect(sign(SECRET, BODY, NOW + 999)).to.equal(header);
    expect(sign(SECRET, BODY, NOW + 1000)).to.not.equal(header);
    expect(SIGNATURE_HEADER).to.equal('Maillon-Signature');
  });

  it('verifies what was signed', () => {
    expect(verify(SECRET, sign(SECRET, BODY, NOW), BODY, new ReplayGuard(), NOW)).to.deep.equal({ ok: true });
    const spaced = sign(SECRET, BODY, NOW).replace(',', ' , ');
    expect(verify(SECRET, spaced, BODY, new ReplayGuard(), NOW)).to.deep.equal({ ok: true });
  });

  it('refuses a tampered body, a wrong secret, a changed timestamp', () => {
    const header = sign(SECRET, BODY, NOW);
    expect(verify(SECRET, header, BODY.replace('Update', 'Delete'), new ReplayGuard(), NOW)).to.deep.equal({ ok: false, failure: { kind: 'signature', message: 'signature does not match' } });
    expect(verify('whsec_other', header, BODY, new ReplayGuard(), NOW)).to.deep.equal({ ok: false, failure: { kind: 'signature', message: 'signature does not match' } });
    const moved = header.replace(/^t=(\d+)/u, (_m, t: string) => `t=${Number(t) + 1}`);
    expect(verify(SECRET, moved, BODY, new ReplayGuard(), NOW)).to.deep.equal({ ok: false, failure: { kind: 'signature', message: 'signature does not match' } });
  });

  it('refuses a missing or malformed header', () => {
    const v1 = sign(SECRET, BODY, NOW).split('v1=')[1] ?? '';
    expect(verify(SECRET, undefined, BODY, new ReplayGuard(), NOW)).to.deep.equal({ ok: false, failure: { kind: 'signature', message: 'no Maillon-Signature header' } });
    for (const header of ['', 'garbage', `v1=${v1}`, `t=${NOW / 1000}`, `t=abc,v1=${v1}`, `t=1.5,v1=${v1}`, `t=${NOW / 1000},v1=${v1.toUpperCase()}`,
      `t=${NOW / 1000},v1=${v1.slice(2)}`]) {
      expect(verify(SECRET, header, BODY, new ReplayGuard(), NOW), header).to.deep.equal({ ok: false, failure: { kind: 'signature', message: 'malformed signature header' } });
    }
  });

  it('accepts a timestamp within the window either way, and refuses one outside it', () => {
    const window = REPLAY_WINDOW_SECONDS * 1000;
    expect(REPLAY_WINDOW_SECONDS).to.equal(300);
    for (const skew of [-window, -window + 1000, window - 1000, window]) {
      expect(verify(SECRET, sign(SECRET, BODY, NOW + skew), BODY, new ReplayGuard(), NOW).ok, `skew ${skew}`).to.equal(true);
    }
    for (const skew of [-window - 1000, window + 1000, -86_400_000]) {
      expect(verify(SECRET, sign(SECRET, BODY, NOW + skew), BODY, new ReplayGuard(), NOW), `skew ${skew}`)
        .to.deep.equal({ ok: false, failure: { kind: 'signature', message: 'timestamp outside the replay window' } });
    }
  });

  it('refuses a replay within the window through the same guard; another guard does not know it', () => {
    const guard = new ReplayGuard();
    const header = sign(SECRET, BODY, NOW);
    expect(verify(SECRET, header, BODY, guard, NOW).ok).to.equal(true);
    expect(verify(SECRET, header, BODY, guard, NOW + 1000)).to.deep.equal({ ok: false, failure: { kind: 'signature', message: 'notification replayed' } });
    expect(verify(SECRET, header, BODY, new ReplayGuard(), NOW).ok).to.equal(true);
    // The guard forgets by the verifier's clock, not the wall clock: a verifier whose clock is an hour behind (or a
    // suite running long after NOW was taken) still refuses the replay.
    const late = NOW - 3_600_000;
    const old = sign(SECRET, BODY, late);
    const behind = new ReplayGuard();
    expect(verify(SECRET, old, BODY, behind, late).ok).to.equal(true);
    expect(verify(SECRET, old, BODY, behind, late + 1000)).to.deep.equal({ ok: false, failure: { kind: 'signature', message: 'notification replayed' } });
    // A bad signature is not remembered: the genuine one still passes once.
    const fresh = new ReplayGuard();
    expect(verify('whsec_other', header, BODY, fresh, NOW).ok).to.equal(false);
    expect(verify(SECRET, header, BODY, fresh, NOW).ok).to.equal(true);
  });

  it('the guard forgets signatures older than twice the window', () => {
    const guard = new ReplayGuard();
    const now = Date.now() / 1000;
    expect(guard.accept('old', now - 3 * REPLAY_WINDOW_SECONDS)).to.equal(true);
    expect(guard.accept('recent', now)).to.equal(true);
    expect(guard.accept('old', now)).to.equal(true);
    expect(guard.accept('recent', now)).to.equal(false);
  });

  it('makes a new random secret each time', () => {
    const a = newSecret();
    expect(a).to.match(/^whsec_[A-Za-z0-9_-]{43}$/u);
    expect(newSecret()).to.not.equal(a);
  });
});
