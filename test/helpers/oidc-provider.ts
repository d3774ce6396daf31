/**
 * A small OpenID provider on loopback, for tests: a discovery document, a JWKS of keys made by `jose` (rotated
 * on demand), tokens signed with them (or with a key it does not publish, or unsigned), and a token endpoint
 * that answers the `client_credentials` and `refresh_token` grants.
 */
import { randomBytes } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT, UnsecuredJWT, type CryptoKey, type JWK, type JWTPayload } from 'jose';
import { startFakePeer, type FakePeer } from './fake-peer.js';

interface SigningKey {
  readonly kid: string;
  readonly privateKey: CryptoKey;
  readonly jwk: JWK;
}

async function newKey(): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  const kid = randomBytes(6).toString('hex');
  return { kid, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' } };
}

/** Options of a token the provider signs. */
export interface SignOptions {
  /** Seconds from now the token expires (default 300; negative for an expired token). */
  readonly expiresIn?: number;
  /** Sign with a key the JWKS does not publish. */
  readonly foreignKey?: boolean;
  /** The `iss` claim (default the provider's issuer). */
  readonly issuer?: string;
  readonly audience?: string;
}

/** A client the token endpoint knows. */
export interface ProviderClient {
  readonly secret: string;
  /** Claims of the tokens it gets (default `{ client_id }`). */
  readonly claims?: JWTPayload;
}

/** The running provider. */
export interface OidcProvider {
  readonly issuer: string;
  readonly peer: FakePeer;
  /** Signs a token with the current key (or as told). */
  sign(claims: JWTPayload, options?: SignOptions): Promise<string>;
  /** A token with `alg: none`. */
  unsigned(claims: JWTPayload): string;
  /** Publishes a new key (and stops publishing the old one); later tokens are signed with it. */
  rotate(): Promise<void>;
  /** Clients of the token endpoint, by client id. */
  readonly clients: Map<string, ProviderClient>;
  /** Refresh tokens the endpoint accepts, with the claims of the tokens they get (each use rotates it). */
  readonly refreshTokens: Map<string, JWTPayload>;
  /** Lifetime of the access tokens the endpoint gives, in seconds (default 300). */
  accessTokenSeconds: number;
  /** Access tokens given by the endpoint, in order. */
  readonly issued: string[];
  close(): Promise<void>;
}

/** Starts a provider on 127.0.0.1 (its issuer is `http://127.0.0.1:<port>/realms/test`). */
export async function startOidcProvider(): Promise<OidcProvider> {
  let current = await newKey();
  const foreign = await newKey();
  const clients = new Map<string, ProviderClient>();
  const refreshTokens = new Map<string, JWTPayload>();
  const issued: string[] = [];
  let issuer = '';
  const sign = async (claims: JWTPayload, options: SignOptions = {}): Promise<string> => {
    const key = options.foreignKey === true ? foreign : current;
    const now = Math.floor(Date.now() / 1000);
    // Keycloak says whether the address is verified beside it; these users' are unless a test says otherwise.
    const said: JWTPayload = typeof claims['email'] === 'string' && !('email_verified' in claims) ? { ...claims, email_verified: true } : claims;
    let jwt = new SignJWT(said).setProtectedHeader({ alg: 'RS256', kid: key.kid, typ: 'JWT' })
      .setIssuer(options.issuer ?? issuer).setIssuedAt(now).setExpirationTime(now + (options.expiresIn ?? 300));
    if (options.audience !== undefined) jwt = jwt.setAudience(options.audience);
    return jwt.sign(key.privateKey);
  };
  const provider: OidcProvider = {
    issuer: '',
    peer: undefined as unknown as FakePeer,
    sign,
    unsigned: (claims) => new UnsecuredJWT(claims).setIssuer(issuer).setIssuedAt().setExpirationTime('5m').encode(),
    rotate: async () => {
      current = await newKey();
    },
    clients,
    refreshTokens,
    accessTokenSeconds: 300,
    issued,
    close: async () => provider.peer.close(),
  };
  const peer = await startFakePeer((req, res, self) => {
    const path = (req.url ?? '').split('?')[0];
    const send = (status: number, body: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    if (path === '/realms/test/.well-known/openid-configuration') {
      send(200, { issuer, jwks_uri: `${self.base}/realms/test/certs`, token_endpoint: `${self.base}/realms/test/token` });
    } else if (path === '/realms/test/certs') {
      send(200, { keys: [current.jwk] });
    } else if (path === '/realms/test/token' && req.method === 'POST') {
      const form = new URLSearchParams(self.hits.at(-1)?.body?.toString('utf8') ?? '');
      let claims: JWTPayload | undefined;
      let authorization = req.headers.authorization ?? '';
      let clientId = form.get('client_id') ?? '';
      let clientSecret = form.get('client_secret') ?? '';
      if (authorization.startsWith('Basic ')) {
        authorization = Buffer.from(authorization.slice(6), 'base64').toString('utf8');
        [clientId, clientSecret] = authorization.split(':').map((s) => decodeURIComponent(s)) as [string, string];
      }
      const client = clients.get(clientId);
      if (form.get('grant_type') === 'client_credentials') {
        if (client === undefined || client.secret !== clientSecret) {
          send(401, { error: 'invalid_client' });
          return;
        }
        claims = client.claims ?? { client_id: clientId };
      } else if (form.get('grant_type') === 'refresh_token') {
        const given = form.get('refresh_token') ?? '';
        claims = refreshTokens.get(given);
        if (claims === undefined) {
          send(400, { error: 'invalid_grant' });
          return;
        }
        refreshTokens.delete(given);
      } else {
        send(400, { error: 'unsupported_grant_type' });
        return;
      }
      void sign({ ...claims, azp: clientId }, { expiresIn: provider.accessTokenSeconds }).then((token) => {
        issued.push(token);
        const body: Record<string, unknown> = { access_token: token, token_type: 'Bearer', expires_in: provider.accessTokenSeconds };
        if (form.get('grant_type') === 'refresh_token') {
          const next = `rt-${randomBytes(8).toString('hex')}`;
          refreshTokens.set(next, claims as JWTPayload);
          body['refresh_token'] = next;
        }
        send(200, body);
      });
    } else {
      send(404, { error: 'not_found' });
    }
  }, { readBody: true });
  issuer = `${peer.base}/realms/test`;
  return Object.assign(provider, { issuer, peer });
}
