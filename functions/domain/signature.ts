import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** Meta's header: `sha256=` and the 64 hex digits of HMAC-SHA256 over the raw body. */
const metaSignatureHeader = /^sha256=([0-9a-fA-F]{64})$/;

/** The `X-Hub-Signature-256` value Meta would send for this exact body. */
export function signMetaBody(rawBody: Buffer | string, appSecret: string): string {
  return `sha256=${createHmac('sha256', appSecret).update(rawBody).digest('hex')}`;
}

/** True when the header is Meta's HMAC of these exact bytes with this app secret (constant time). */
export function verifyMetaSignature(rawBody: Buffer | string, header: string | undefined, appSecret: string): boolean {
  // An empty secret would make anyone's signature "valid".
  if (header === undefined || appSecret.length === 0) return false;
  const match = metaSignatureHeader.exec(header.trim());
  if (!match?.[1]) return false;
  const received = Buffer.from(match[1], 'hex');
  const expected = createHmac('sha256', appSecret).update(rawBody).digest();
  return received.length === expected.length && timingSafeEqual(received, expected);
}

/** Constant-time equality of a received secret (Telegram's secret token, a verify token) with the expected one. */
export function secretTokensEqual(received: string | undefined, expected: string | undefined): boolean {
  if (received === undefined || expected === undefined || expected.length === 0) return false;
  // Comparing digests keeps the time independent of where, or whether, the lengths differ.
  const a = createHash('sha256').update(received, 'utf8').digest();
  const b = createHash('sha256').update(expected, 'utf8').digest();
  return timingSafeEqual(a, b) && received.length === expected.length;
}

/** A Telegram webhook secret token: 64 chars of [A-Za-z0-9_-] (Telegram allows 1-256). */
export function generateSecretToken(): string {
  return randomBytes(48).toString('base64url');
}

/** A Messenger webhook verify token for the GET handshake. */
export function generateVerifyToken(): string {
  return randomBytes(32).toString('base64url');
}
