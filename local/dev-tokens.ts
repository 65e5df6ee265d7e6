import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, importJWK, SignJWT, type JWK } from 'jose';
import { z } from 'zod';
import { jsonStore } from './store';

const jwk = z.looseObject({ kty: z.string(), kid: z.string().optional() });
const keysFile = z.object({ kid: z.string(), privateJwk: jwk, publicJwk: jwk });

/** Body of `POST /dev/token`. */
export const tokenRequest = z.object({
  sub: z.string().min(1),
  groups: z.array(z.string().min(1)).default([]),
  name: z.string().min(1).optional(),
  /** Lifetime of the token; a short one lets a client's refresh be tried without waiting an hour. */
  expiresInSeconds: z.number().int().min(1).max(43_200).default(43_200),
});
export type TokenRequest = z.input<typeof tokenRequest>;

export interface DevTokens {
  jwks: { keys: JWK[] };
  issue(request: z.infer<typeof tokenRequest>): Promise<string>;
}

const clientId = 'omnichat-local';

async function createKeys(): Promise<z.infer<typeof keysFile>> {
  const pair = await generateKeyPair('RS256', { extractable: true });
  const kid = randomUUID();
  return {
    kid,
    privateJwk: { ...(await exportJWK(pair.privateKey)), kty: 'RSA', kid },
    publicJwk: { ...(await exportJWK(pair.publicKey)), kty: 'RSA', kid, alg: 'RS256', use: 'sig' },
  };
}

/**
 * Signs Cognito-shaped access tokens with a local RS256 key (kept in keys.json, mode 0600, unless
 * in memory) so the same verifier serves the local runtime and the deployed user pool.
 */
export async function loadDevTokens(file: string | undefined, issuer: string): Promise<DevTokens> {
  const store = jsonStore(file, keysFile.nullable(), null);
  const keys = store.read() ?? (await createKeys());
  store.write(keys);
  const { kid } = keys;
  const privateKey = await importJWK(keys.privateJwk, 'RS256');
  return {
    jwks: { keys: [keys.publicJwk] },
    issue: ({ sub, groups, name, expiresInSeconds }) =>
      new SignJWT({
        ...(groups.length > 0 ? { 'cognito:groups': groups } : {}),
        ...(name ? { name } : {}),
        token_use: 'access',
        client_id: clientId,
        username: sub,
        scope: 'aws.cognito.signin.user.admin',
      })
        .setProtectedHeader({ alg: 'RS256', kid })
        .setSubject(sub)
        .setIssuer(issuer)
        .setIssuedAt()
        .setExpirationTime(`${expiresInSeconds}s`)
        .setJti(randomUUID())
        .sign(privateKey),
  };
}
