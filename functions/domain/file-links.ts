import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Telegram attachments are stored as `tg-file:<file_id>`; agents get a short-lived link to our
 * backend instead, signed with HMAC-SHA256 and an expiry, so the bot token never reaches a client.
 */
export const telegramFileScheme = 'tg-file:';

/** How long a file link works: long enough to open a chat's pictures, short enough not to be shared for good. */
export const fileLinkTtlSeconds = 3600;

/** The path of the file route, as API Gateway declares it. */
export const fileRoutePath = '/files/telegram/{channelId}/{fileId}';

/** The Telegram file id of an attachment URL, if it is one of ours. */
export function telegramFileIdOf(url: string): string | undefined {
  if (!url.startsWith(telegramFileScheme)) return undefined;
  const id = url.slice(telegramFileScheme.length);
  return id.length > 0 ? id : undefined;
}

/**
 * A channel's link-signing key, derived from its bot token: no other secret to keep, and
 * rotating the token voids every link still out.
 */
export function fileLinkKey(botToken: string): Buffer {
  return createHmac('sha256', botToken).update('omnichat telegram file link v1').digest();
}

function signatureOf(key: Buffer, channelId: string, fileId: string, expires: number): Buffer {
  return createHmac('sha256', key).update(`${channelId}\n${fileId}\n${expires}`).digest();
}

/** A link to the file route valid until `now` + `ttlSeconds`. */
export function signFileLink(input: { baseUrl: string; channelId: string; fileId: string; key: Buffer; now: Date; ttlSeconds?: number }): string {
  const expires = Math.floor(input.now.getTime() / 1000) + (input.ttlSeconds ?? fileLinkTtlSeconds);
  const signature = signatureOf(input.key, input.channelId, input.fileId, expires).toString('base64url');
  const path = fileRoutePath.replace('{channelId}', encodeURIComponent(input.channelId)).replace('{fileId}', encodeURIComponent(input.fileId));
  return `${input.baseUrl.replace(/\/+$/, '')}${path}?expires=${expires}&signature=${signature}`;
}

export type FileLinkCheck = 'valid' | 'expired' | 'forged';

/** Checks a link's signature (constant time) and expiry. */
export function checkFileLink(input: { channelId: string; fileId: string; expires: number; signature: string; key: Buffer; now: Date }): FileLinkCheck {
  const expected = signatureOf(input.key, input.channelId, input.fileId, input.expires);
  const received = Buffer.from(input.signature, 'base64url');
  if (received.length !== expected.length || !timingSafeEqual(received, expected)) return 'forged';
  return input.now.getTime() / 1000 < input.expires ? 'valid' : 'expired';
}
