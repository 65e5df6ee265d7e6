import { createHash, createHmac } from 'node:crypto';

/**
 * AWS Signature Version 4 for the webhooks' AWS JSON requests (`aws-json.ts`), with node:crypto:
 * every header sent is signed, the body's SHA-256 is in the canonical request. Tested against the
 * AWS SDK's own signer (test/unit/aws-json.test.ts). A library signer (aws4fetch) was ~7 KB of each
 * webhook bundle, most of it for S3, presigned URLs and guessing services from host names.
 */
export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface SigningScope {
  service: string;
  region: string;
}

const sha256Hex = (data: string): string => createHash('sha256').update(data, 'utf8').digest('hex');
const hmac = (key: string | Buffer, data: string): Buffer => createHmac('sha256', key).update(data, 'utf8').digest();

/** RFC 3986 encoding, as SigV4 wants it. */
const encode = (text: string): string => encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

let signingKey: { id: string; key: Buffer } | undefined;

function keyFor(credentials: AwsCredentials, date: string, scope: SigningScope): Buffer {
  const id = [credentials.secretAccessKey, date, scope.region, scope.service].join('\n');
  if (signingKey?.id !== id) {
    const key = hmac(hmac(hmac(hmac(`AWS4${credentials.secretAccessKey}`, date), scope.region), scope.service), 'aws4_request');
    signingKey = { id, key };
  }
  return signingKey.key;
}

/**
 * The headers to send with a request: `headers` (lower-case names) with `host`, `x-amz-date`,
 * `x-amz-security-token` (with a session token) and `authorization` added.
 */
export function signedHeaders(
  request: { method: string; url: URL; headers: Record<string, string>; body: string },
  credentials: AwsCredentials,
  scope: SigningScope,
  now: Date = new Date(),
): Record<string, string> {
  const datetime = now.toISOString().replace(/[:-]|\.\d{3}/g, '');
  const date = datetime.slice(0, 8);
  const headers: Record<string, string> = { ...request.headers, host: request.url.host, 'x-amz-date': datetime };
  if (credentials.sessionToken) headers['x-amz-security-token'] = credentials.sessionToken;
  const names = Object.keys(headers).sort();
  const signed = names.join(';');
  // the path as sent (already percent-encoded by URL), encoded once more per segment; the query sorted
  const path = request.url.pathname.replace(/\/+/g, '/').split('/').map(encode).join('/');
  const query = [...request.url.searchParams]
    .map(([k, v]) => [encode(k), encode(v)] as const)
    .sort(([k1, v1], [k2, v2]) => (k1 < k2 ? -1 : k1 > k2 ? 1 : v1 < v2 ? -1 : v1 > v2 ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const canonical = [
    request.method,
    path,
    query,
    ...names.map((n) => `${n}:${headers[n]!.trim().replace(/\s+/g, ' ')}`),
    '',
    signed,
    sha256Hex(request.body),
  ].join('\n');
  const credentialScope = `${date}/${scope.region}/${scope.service}/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', datetime, credentialScope, sha256Hex(canonical)].join('\n');
  const signature = createHmac('sha256', keyFor(credentials, date, scope)).update(toSign, 'utf8').digest('hex');
  headers.authorization = `AWS4-HMAC-SHA256 Credential=${credentials.accessKeyId}/${credentialScope}, SignedHeaders=${signed}, Signature=${signature}`;
  // fetch sets Host itself from the URL
  delete headers.host;
  return headers;
}
