import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import * as z from 'zod/mini';
import { checkFileLink, fileLinkKey } from '../domain/file-links';
import { secretNames } from '../domain/secret-names';
import { TelegramApiError } from '../domain/platforms';
import { clock, secrets, telegramApi } from '../composition-root';
import { detailsFromIssues, NotFound, OmnichatError, ValidationFailed } from '../domain/errors';
import { httpErrors, type HttpEvent, type HttpResult } from '../shared/http';
import { logger } from '../shared/logger';

const channelSecrets = secrets();

/** A Lambda answer is at most 6 MB, and the file travels base64-encoded. */
const maxFileBytes = 4 * 1024 * 1024;

/** Types a browser may show inline; anything else (HTML, SVG, scripts) is only ever downloaded. */
const inlineTypes: Record<string, string> = {
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  png: 'image/png',
  gif: 'image/gif',
  webp: 'image/webp',
  mp4: 'video/mp4',
  mov: 'video/quicktime',
  oga: 'audio/ogg',
  ogg: 'audio/ogg',
  mp3: 'audio/mpeg',
  m4a: 'audio/mp4',
  pdf: 'application/pdf',
};

const linkQuery = z.object({
  expires: z.coerce.number().check(z.int(), z.positive()),
  signature: z.string().check(z.regex(/^[A-Za-z0-9_-]{43}$/, 'Not a link signature.')),
});

class InvalidFileLink extends OmnichatError {
  constructor(message: string, status: 403 | 410) {
    super(message, { code: status === 410 ? 'link_expired' : 'invalid_link', status });
  }
}

/**
 * Serves a Telegram attachment to an agent through a signed, expiring link: checks the HMAC,
 * asks the Bot API where the file is (`getFile`) and passes its bytes on. The bot token stays here.
 */
async function serveTelegramFile(event: HttpEvent): Promise<HttpResult> {
  const channelId = event.pathParameters?.channelId ?? '';
  const fileId = event.pathParameters?.fileId ?? '';
  const query = linkQuery.safeParse(event.queryStringParameters ?? {});
  if (!query.success) throw new ValidationFailed(detailsFromIssues(query.error.issues), 'The link is incomplete.');
  // An unknown channel looks like a forged link: the answer says nothing about which channels exist.
  const token = await channelSecrets.get(secretNames.channelToken(channelSecrets.prefix, channelId));
  const check = token ? checkFileLink({ channelId, fileId, ...query.data, key: fileLinkKey(token), now: clock() }) : 'forged';
  if (check === 'forged') throw new InvalidFileLink('The link is not valid.', 403);
  if (check === 'expired' || !token) throw new InvalidFileLink('The link has expired; open the chat again for a fresh one.', 410);

  const file = await fileFromTelegram(token, fileId);
  const name = file.path.split('/').pop() ?? 'file';
  const inline = inlineTypes[name.split('.').pop()?.toLowerCase() ?? ''];
  return {
    statusCode: 200,
    headers: {
      'content-type': inline ?? 'application/octet-stream',
      'content-disposition': `${inline ? 'inline' : 'attachment'}; filename="${name.replace(/[^\w.-]/g, '_')}"`,
      'cache-control': `private, max-age=${Math.max(0, query.data.expires - Math.floor(clock().getTime() / 1000))}`,
      'x-content-type-options': 'nosniff',
      'content-security-policy': "default-src 'none'; sandbox",
    },
    body: file.body.toString('base64'),
    isBase64Encoded: true,
  };
}

async function fileFromTelegram(token: string, fileId: string): Promise<{ path: string; body: Buffer }> {
  try {
    const file = await telegramApi().getFile(token, { file_id: fileId });
    if ((file.file_size ?? 0) > maxFileBytes) throw new OmnichatError(`The file is larger than ${maxFileBytes} bytes.`, { code: 'file_too_large', status: 413 });
    if (!file.file_path) throw new NotFound('Telegram file', fileId);
    const { body } = await telegramApi().downloadFile(token, file.file_path, maxFileBytes);
    return { path: file.file_path, body };
  } catch (error) {
    if (!(error instanceof TelegramApiError)) throw error;
    logger.warn('telegram file unavailable', { method: error.method, code: error.telegramCode, description: error.description });
    if (error.telegramCode === 413) throw new OmnichatError(`The file is larger than ${maxFileBytes} bytes.`, { code: 'file_too_large', status: 413, cause: error });
    if (error.telegramCode === 400 || error.telegramCode === 404) throw new OmnichatError('Telegram no longer has this file.', { code: 'not_found', status: 404, cause: error });
    throw new OmnichatError('The Bot API did not hand over the file; try again.', { code: 'platform_unavailable', status: 502, cause: error });
  }
}

export const handler = middy(serveTelegramFile).use(injectLambdaContext(logger)).use(httpErrors());
