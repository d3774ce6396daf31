/**
 * Signed notifications: `Maillon-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`.
 *
 * The timestamp is inside the MAC, so a captured notification cannot be replayed later than the window, and a
 * receiver remembers the signatures it accepted within the window, so it cannot be replayed sooner either.
 *
 * @packageDocumentation
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { failure, type Failure } from '../errors/failure.js';

/** The header that carries the signature. */
export const SIGNATURE_HEADER = 'Maillon-Signature';

/** How far a notification's timestamp may be from our clock, in seconds. */
export const REPLAY_WINDOW_SECONDS = 300;

/** A new shared secret for a subscription. */
export function newSecret(): string {
  return `whsec_${randomBytes(32).toString('base64url')}`;
}

function mac(secret: string, timestamp: number, body: string): string {
  return createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
}

/**
 * The signature header value for a body.
 *
 * @param secret - the subscription's shared secret
 * @param body - the exact bytes sent
 * @param now - the time of sending, in milliseconds
 */
export function sign(secret: string, body: string, now: number = Date.now()): string {
  const timestamp = Math.floor(now / 1000);
  return `t=${timestamp},v1=${mac(secret, timestamp, body)}`;
}

/** That a signature was accepted, or why it was refused (a `signature` failure). */
export type Verification = { ok: true } | { ok: false; failure: Failure };

/** Signatures accepted recently, to refuse a replay inside the window. */
export class ReplayGuard {
  private readonly seen = new Map<string, number>();

  /**
   * Records a signature; false when it was seen already.
   *
   * @param signature - the signature accepted
   * @param timestamp - its timestamp, in seconds
   * @param now - the verifier's clock, in seconds: signatures are forgotten once their timestamp is outside the
   *   window by that same clock (by another, a replay would be let through once the two drifted apart)
   */
  public accept(signature: string, timestamp: number, now: number = Date.now() / 1000): boolean {
    for (const [key, at] of this.seen) if (at < now - 2 * REPLAY_WINDOW_SECONDS) this.seen.delete(key);
    if (this.seen.has(signature)) return false;
    this.seen.set(signature, timestamp);
    return true;
  }
}

/** Why {@link verify} refuses a well-formed, current signature made with another secret or over another body. */
export const SIGNATURE_MISMATCH = 'signature does not match';

/**
 * Verifies a signature header.
 *
 * @param secret - the shared secret
 * @param header - the `Maillon-Signature` value
 * @param body - the exact bytes received
 * @param guard - remembers accepted signatures (replays are refused)
 * @param now - our clock, in milliseconds
 */
export function verify(secret: string, header: string | undefined, body: string, guard: ReplayGuard, now: number = Date.now()): Verification {
  if (header === undefined) return refused(`no ${SIGNATURE_HEADER} header`);
  const parts = new Map(header.split(',').map((p) => {
    const eq = p.indexOf('=');
    return [p.slice(0, eq).trim(), p.slice(eq + 1).trim()] as const;
  }));
  const timestamp = Number(parts.get('t'));
  const given = parts.get('v1') ?? '';
  if (!Number.isInteger(timestamp) || !/^[0-9a-f]{64}$/u.test(given)) return refused('malformed signature header');
  if (Math.abs(now / 1000 - timestamp) > REPLAY_WINDOW_SECONDS) return refused('timestamp outside the replay window');
  const expected = Buffer.from(mac(secret, timestamp, body), 'hex');
  if (!timingSafeEqual(expected, Buffer.from(given, 'hex'))) return refused(SIGNATURE_MISMATCH);
  if (!guard.accept(given, timestamp, now / 1000)) return refused('notification replayed');
  return { ok: true };
}

function refused(message: string): Verification {
  return { ok: false, failure: failure('signature', message) };
}
