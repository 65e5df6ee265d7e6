import { JwtVerifier } from 'aws-jwt-verify';
import { NonRetryableFetchError } from 'aws-jwt-verify/error';
import type { Fetcher } from 'aws-jwt-verify/https';
import { SimpleJwksCache } from 'aws-jwt-verify/jwk';
import type { JwtPayload } from 'aws-jwt-verify/jwt-model';
import * as z from 'zod/mini';
import { Unauthorized } from '../domain/errors';
import { readEnv } from './env';

/** The caller a verified token names. */
export interface Caller {
  sub: string;
  name?: string;
  groups: string[];
}

/** The token is missing, malformed, expired, signed by another key or meant for another client. */
export class TokenRejected extends Unauthorized {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options?.cause);
  }
}

const claimsSchema = z.object({
  sub: z.string().check(z.minLength(1)),
  name: z.optional(z.string()),
  'cognito:groups': z.optional(z.union([z.array(z.string()), z.string()])),
});

/**
 * Groups of a caller from `cognito:groups`: the token's own array, or the one string API
 * Gateway's HTTP API JWT authorizer (and the local gateway, alike) hands handlers for an array
 * claim: `[chat-admins agents]`, names joined by single spaces inside one pair of brackets.
 * Cognito group names hold no whitespace but may hold commas, brackets and any other
 * punctuation, so only that one space separates; `agents,chat-admins` stays one group. A
 * plain string claim without the brackets is one group.
 */
export function groupsFromClaims(claims: Readonly<Record<string, unknown>>): string[] {
  const raw = claims['cognito:groups'];
  if (Array.isArray(raw)) return raw.filter((g): g is string => typeof g === 'string' && g.length > 0);
  if (typeof raw !== 'string' || raw.length === 0) return [];
  if (!(raw.length >= 2 && raw.startsWith('[') && raw.endsWith(']'))) return [raw];
  return raw
    .slice(1, -1)
    .split(' ')
    .filter((g) => g.length > 0);
}

/** Fetches the JWKS with global fetch, so an http:// JWKS (the local runtime's) works as well as https. */
const fetchJwks: Fetcher = {
  async fetch(uri) {
    const response = await fetch(uri, { signal: AbortSignal.timeout(3_000) });
    if (response.status !== 200) throw new NonRetryableFetchError(uri, `Status code is ${response.status}, expected 200`);
    return response.arrayBuffer();
  },
};

let verifier: ((token: string) => Promise<JwtPayload>) | undefined;

function buildVerifier(): (token: string) => Promise<JwtPayload> {
  const env = readEnv('JWT_ISSUER', 'JWKS_URI', 'JWT_AUDIENCE');
  const audiences = env.JWT_AUDIENCE.split(',')
    .map((a) => a.trim())
    .filter((a) => a.length > 0);
  const jwt = JwtVerifier.create(
    {
      issuer: env.JWT_ISSUER,
      jwksUri: env.JWKS_URI,
      // Cognito access tokens carry `client_id` instead of `aud`, so the audience is checked below.
      audience: null,
      customJwtCheck: ({ payload }) => {
        if (audiences.length === 0) return;
        const offered = [payload.aud, payload.client_id].flat().filter((v): v is string => typeof v === 'string');
        if (!offered.some((v) => audiences.includes(v))) throw new TokenRejected('Token audience/client_id is not accepted');
      },
    },
    { jwksCache: new SimpleJwksCache({ fetcher: fetchJwks }) },
  );
  return (token) => jwt.verify(token);
}

/** Verifies signature, issuer, expiry and audience; returns every claim. Built once, on first use. */
export async function verifyJwt(token: string): Promise<JwtPayload> {
  verifier ??= buildVerifier();
  try {
    return await verifier(token);
  } catch (cause) {
    throw new TokenRejected(cause instanceof Error ? cause.message : 'Invalid token', { cause });
  }
}

/** Verifies a bearer token and names its caller. */
export async function verifyToken(token: string): Promise<Caller> {
  const payload = await verifyJwt(token);
  const claims = claimsSchema.safeParse(payload);
  if (!claims.success) throw new TokenRejected('Token lacks a subject', { cause: claims.error });
  return {
    sub: claims.data.sub,
    ...(claims.data.name !== undefined ? { name: claims.data.name } : {}),
    groups: groupsFromClaims(payload),
  };
}
