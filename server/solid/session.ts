/**
 * The fetch a pod is written with: a Solid-OIDC session logged in with client credentials
 * (`@inrupt/solid-client-authn-node`, DPoP-bound tokens), or the global fetch for a pod anyone may write.
 *
 * @packageDocumentation
 */
import { Session } from '@inrupt/solid-client-authn-node';
import type { PodFetch } from './publisher.js';

/** Client credentials of a pod account (CSS: made in its account page or API). */
export interface PodCredentials {
  readonly clientId: string;
  readonly clientSecret: string;
  /** The identity provider; default: the pod's origin (Community Solid Server is its own). */
  readonly oidcIssuer?: string | undefined;
}

/** A way to write a pod, and who writes. */
export interface PodSession {
  readonly fetch: PodFetch;
  /** The WebID logged in (undefined: not logged in). */
  readonly webId: string | undefined;
  close(): Promise<void>;
}

/**
 * Logs in with client credentials, or returns the global fetch when there are none.
 *
 * @param pod - the pod's URL (its origin is the default issuer)
 * @param credentials - client id and secret, or undefined for a public pod
 * @throws Error when the login fails (bad credentials, unreachable issuer), naming the issuer
 */
export async function openPodSession(pod: string, credentials?: PodCredentials): Promise<PodSession> {
  if (credentials === undefined) return { fetch: (url, init) => fetch(url, init), webId: undefined, close: async () => undefined };
  const issuer = credentials.oidcIssuer ?? new URL(pod).origin;
  const session = new Session();
  try {
    await session.login({ clientId: credentials.clientId, clientSecret: credentials.clientSecret, oidcIssuer: issuer });
  } catch (error: unknown) {
    throw new Error(`cannot log in at ${issuer} with client ${credentials.clientId}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  if (!session.info.isLoggedIn) throw new Error(`cannot log in at ${issuer} with client ${credentials.clientId}: the issuer gave no session`);
  return {
    fetch: (url, init) => session.fetch(url, init),
    webId: session.info.webId,
    close: async () => {
      await session.logout({ logoutType: 'app' }).catch(() => undefined);
    },
  };
}
