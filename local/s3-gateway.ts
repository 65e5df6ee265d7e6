import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { closeServer } from './control-plane';

/**
 * The attachment bucket's front door in the local runtime. The SQS emulator (`fauxqs`) also
 * emulates S3, but it is kinder than S3: it checks no signature, so an expired or altered
 * presigned URL, another content type or another length would all be stored. This gateway stands
 * where S3's own checks stand and forwards only what S3 would take:
 *
 * - presigned requests (`X-Amz-Signature` in the query): SigV4 recomputed over the method, path,
 *   query and signed headers (so a different `content-type` or `content-length` than signed is
 *   `SignatureDoesNotMatch`), `X-Amz-Expires` (at most 7 days) past `X-Amz-Date` is `AccessDenied`
 *   "Request has expired";
 * - requests signed in the `Authorization` header (the functions' SDK clients, with the local
 *   credentials) pass;
 * - anything else is anonymous and the bucket is private: `AccessDenied`.
 * - a GET's `response-content-disposition` (and the other `response-*` overrides) become the
 *   answer's headers, as S3 does (fauxqs ignores them);
 * - CORS as the stack configures the bucket: a preflight from the allowed origins for PUT and GET
 *   is answered, any other origin gets no CORS headers (the browser blocks it).
 */
export interface S3Gateway {
  endpoint: string;
  stop(): Promise<void>;
}

export interface S3GatewayOptions {
  /** Where fauxqs answers S3. */
  upstream: string;
  /** Access key id → secret of the credentials presigned URLs may be signed with. */
  credentials: Record<string, string>;
  /** Origins allowed by the bucket's CORS rule (the console's). */
  allowedOrigins: () => string[];
  now?: () => number;
  log?: (line: string) => void;
}

const maxExpiresSeconds = 7 * 24 * 3600;

export async function startS3Gateway(options: S3GatewayOptions): Promise<S3Gateway> {
  const upstream = new URL(options.upstream);
  const now = options.now ?? Date.now;

  const server = createServer((req, res) => {
    const origin = req.headers.origin;
    const allowed = origin !== undefined && options.allowedOrigins().includes(origin);
    if (req.method === 'OPTIONS') return preflight(req, res, allowed);
    if (allowed) {
      res.setHeader('access-control-allow-origin', origin);
      res.setHeader('vary', 'Origin');
      res.setHeader('access-control-expose-headers', 'ETag');
    }
    const url = new URL(req.url ?? '/', 'http://s3.local');
    const refusal = url.searchParams.has('X-Amz-Signature')
      ? checkPresigned(req, url, options.credentials, now())
      : req.headers.authorization?.startsWith('AWS4-HMAC-SHA256 ')
        ? undefined
        : { status: 403, code: 'AccessDenied', message: 'Access Denied' };
    if (refusal) {
      req.resume();
      return s3Error(res, refusal.status, refusal.code, refusal.message);
    }
    const headers = { ...req.headers, host: upstream.host };
    const forward = httpRequest({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers }, (answer) => {
      // S3 answers a GET with the `response-*` headers its (signed) query asks for; fauxqs ignores them
      const overrides: Record<string, string> = {};
      if (req.method === 'GET' && (answer.statusCode ?? 500) < 300) {
        for (const name of ['content-type', 'content-language', 'expires', 'cache-control', 'content-disposition', 'content-encoding']) {
          const value = url.searchParams.get(`response-${name}`);
          if (value !== null) overrides[name] = value;
        }
      }
      res.writeHead(answer.statusCode ?? 502, { ...answer.headers, ...overrides });
      answer.pipe(res);
    });
    forward.on('error', (error) => {
      options.log?.(`S3 gateway: ${error.message}`);
      if (!res.headersSent) s3Error(res, 503, 'ServiceUnavailable', 'Please reduce your request rate.');
      else res.destroy();
    });
    req.pipe(forward);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return { endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, stop: () => closeServer(server) };
}

function preflight(req: IncomingMessage, res: ServerResponse, allowed: boolean): void {
  const method = req.headers['access-control-request-method'];
  if (!allowed || !['PUT', 'GET', 'HEAD'].includes(String(method))) {
    return s3Error(res, 403, 'AccessForbidden', 'CORSResponse: This CORS request is not allowed.');
  }
  res.writeHead(200, {
    'access-control-allow-origin': req.headers.origin ?? '',
    'access-control-allow-methods': 'PUT, GET, HEAD',
    'access-control-allow-headers': req.headers['access-control-request-headers'] ?? '',
    'access-control-max-age': '3000',
    vary: 'Origin, Access-Control-Request-Headers, Access-Control-Request-Method',
  });
  res.end();
}

function s3Error(res: ServerResponse, status: number, code: string, message: string): void {
  const body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message></Error>`;
  res.writeHead(status, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/** RFC 3986 escaping as SigV4 wants it. */
function escape(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function decodeSafely(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

const hex = (data: string): string => createHash('sha256').update(data, 'utf8').digest('hex');
const hmac = (key: Buffer | string, data: string): Buffer => createHmac('sha256', key).update(data, 'utf8').digest();

type Refusal = { status: number; code: string; message: string };

/** Checks a SigV4 query-signed (presigned) request as S3 does; undefined when it may pass. */
export function checkPresigned(req: Pick<IncomingMessage, 'method' | 'headers' | 'url'>, url: URL, credentials: Record<string, string>, nowMs: number): Refusal | undefined {
  const q = url.searchParams;
  const algorithm = q.get('X-Amz-Algorithm');
  const credential = q.get('X-Amz-Credential') ?? '';
  const amzDate = q.get('X-Amz-Date') ?? '';
  const expires = Number(q.get('X-Amz-Expires'));
  const signedHeaders = (q.get('X-Amz-SignedHeaders') ?? '').split(';').filter((h) => h.length > 0);
  const signature = q.get('X-Amz-Signature') ?? '';
  const bad = (message: string): Refusal => ({ status: 400, code: 'AuthorizationQueryParametersError', message });
  if (algorithm !== 'AWS4-HMAC-SHA256') return bad('X-Amz-Algorithm only supports "AWS4-HMAC-SHA256"');
  const [accessKeyId, ...scopeParts] = credential.split('/');
  const dateMatch = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(amzDate);
  if (!accessKeyId || scopeParts.length !== 4 || !dateMatch) return bad('Error parsing the X-Amz-Credential or X-Amz-Date parameter.');
  if (!Number.isInteger(expires) || expires < 1 || expires > maxExpiresSeconds) return bad('X-Amz-Expires must be less than a week (in seconds) that is 604800');
  if (!signedHeaders.includes('host')) return bad('Query-string authentication requires the host header to be signed.');
  const secret = credentials[accessKeyId];
  if (secret === undefined) return { status: 403, code: 'InvalidAccessKeyId', message: 'The AWS Access Key Id you provided does not exist in our records.' };

  const path = (url.pathname.split('/').map((segment) => escape(decodeSafely(segment))).join('/')) || '/';
  const query = [...q.entries()]
    .filter(([k]) => k !== 'X-Amz-Signature')
    .map(([k, v]) => [escape(k), escape(v)] as const)
    .sort(([a, av], [b, bv]) => (a < b ? -1 : a > b ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const headers = signedHeaders.map((name) => {
    const raw = req.headers[name];
    const value = Array.isArray(raw) ? raw.join(',') : (raw ?? '');
    return `${name}:${value.trim().replace(/\s+/g, ' ')}\n`;
  });
  const payloadHash = q.get('X-Amz-Content-Sha256') ?? 'UNSIGNED-PAYLOAD';
  const canonical = [req.method ?? 'GET', path, query, headers.join(''), signedHeaders.join(';'), payloadHash].join('\n');
  const scope = scopeParts.join('/');
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, hex(canonical)].join('\n');
  const [day, region, service, terminator] = scopeParts as [string, string, string, string];
  const key = hmac(hmac(hmac(hmac(`AWS4${secret}`, day), region), service), terminator);
  const expected = Buffer.from(hmac(key, stringToSign).toString('hex'));
  const received = Buffer.from(signature);
  if (received.length !== expected.length || !timingSafeEqual(received, expected)) {
    return { status: 403, code: 'SignatureDoesNotMatch', message: 'The request signature we calculated does not match the signature you provided. Check your key and signing method.' };
  }
  const [, y, mo, d, h, mi, s] = dateMatch;
  const signedAt = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  if (nowMs > signedAt + expires * 1000) return { status: 403, code: 'AccessDenied', message: 'Request has expired' };
  return undefined;
}
