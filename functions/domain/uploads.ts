import * as z from 'zod/mini';
import type { ChannelType } from './model';

/**
 * Agents' attachments: the console uploads the file straight to the attachment bucket through a
 * presigned PUT, then sends the message naming the object. Stored messages keep `s3:<key>`;
 * agents get a short-lived signed GET link when shown, and the sender uploads the bytes to the
 * platform. Pure rules only; the bucket is behind the `AttachmentStore` port.
 */
export const uploadScheme = 's3:';

export const attachmentKinds = ['image', 'video', 'audio', 'file'] as const;
export type AttachmentKind = (typeof attachmentKinds)[number];

const mib = 1024 * 1024;
/** What each platform takes as an uploaded file (Messenger 25 MB; Telegram photos 10 MB, other files 50 MB). */
export const platformLimits = {
  messenger: { any: 25 * mib },
  telegram: { photo: 10 * mib, document: 50 * mib },
} as const;

/** How long a presigned upload URL works, and a signed download link. */
export const uploadUrlSeconds = 300;
export const downloadLinkSeconds = 3600;

/** A content type as browsers give it (`image/jpeg`, `application/vnd.ms-excel`), parameters refused. */
export const contentTypePattern = /^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}\/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}$/;

export function kindOf(contentType: string): AttachmentKind {
  const major = contentType.split('/')[0]?.toLowerCase();
  return major === 'image' || major === 'video' || major === 'audio' ? major : 'file';
}

/** Telegram shows these as photos (`sendPhoto`); any other file, and photos over 10 MB, go as documents. */
const telegramPhotoTypes = new Set(['image/jpeg', 'image/png', 'image/webp']);
export function telegramMethodFor(contentType: string, size: number): 'sendPhoto' | 'sendDocument' {
  return telegramPhotoTypes.has(contentType.toLowerCase()) && size <= platformLimits.telegram.photo ? 'sendPhoto' : 'sendDocument';
}

/** The largest upload a channel of this type takes for this content type. */
export function maxUploadBytes(channelType: ChannelType): number {
  return channelType === 'messenger' ? platformLimits.messenger.any : platformLimits.telegram.document;
}

/** Objects of one chat live under its prefix; a key from another chat is refused at `send`. */
export function uploadKeyPrefix(chatId: string): string {
  return `uploads/${encodeURIComponent(chatId)}/`;
}

export function uploadKeyOf(url: string): string | undefined {
  if (!url.startsWith(uploadScheme)) return undefined;
  const key = url.slice(uploadScheme.length);
  return key.length > 0 ? key : undefined;
}

/** The attachment object the `upload` reply carries and `send` gives back. */
export const uploadedAttachmentSchema = z.object({
  type: z.enum(attachmentKinds),
  key: z.string().check(z.minLength(1), z.maxLength(512)),
  name: z.string().check(z.minLength(1), z.maxLength(256)),
  contentType: z.string().check(z.regex(contentTypePattern, 'Not a content type like image/jpeg.')),
  size: z.number().check(z.int(), z.gte(1)),
});
export type UploadedAttachment = z.infer<typeof uploadedAttachmentSchema>;

/** The attachment bucket. */
export interface AttachmentStore {
  /** A URL the client PUTs the bytes to, with exactly these headers, until `expiresAt`. */
  presignUpload(input: { key: string; contentType: string; size: number; expiresInSeconds: number }): Promise<{ url: string; headers: Record<string, string>; expiresAt: string }>;
  /** A GET link that downloads the object under `name`. */
  presignDownload(key: string, name: string | undefined, expiresInSeconds: number): Promise<string>;
  /** The object's size and type, undefined when nothing was uploaded under the key. */
  head(key: string): Promise<{ size: number; contentType: string } | undefined>;
  /** The object's bytes (refused over `maxBytes`). */
  read(key: string, maxBytes: number): Promise<{ body: Uint8Array; contentType: string }>;
}

/** A filename for a Content-Disposition header: ASCII fallback and the UTF-8 original (RFC 6266). */
export function contentDisposition(name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]|["\\]/gu, '_');
  const encoded = encodeURIComponent(name).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}
