import middy from '@middy/core';
import { secretTokensEqual } from '../domain/signature';
import { parseTelegramUpdate } from '../domain/telegram';
import { secretNames } from '../domain/secret-names';
import { clock, webhookAdapters } from './webhook-adapters';
import { NotFound, OmnichatError, ValidationFailed } from '../domain/errors';
import { httpErrorsLoggedTo, jsonOf, text, webhookBody, type HttpEvent, type HttpResult } from '../shared/http';
import { logger } from './webhook-logger';
import { pathId, queueable } from './queueable';
import { answerWithin, webhookDeadlineMillis } from '../shared/deadline';

const { channels, inbound: inboundQueue, secrets: channelSecrets } = webhookAdapters();
const inbound = inboundQueue();

class BadSecretToken extends OmnichatError {
  constructor() {
    super('X-Telegram-Bot-Api-Secret-Token is missing or wrong.', { code: 'invalid_secret_token', status: 401 });
  }
}

/** Check the secret token in constant time, parse the update, enqueue it in its chat's message group. */
async function receiveTelegramUpdate(event: HttpEvent): Promise<HttpResult> {
  const channelId = pathId(event.pathParameters?.channelId, 'Telegram channel');
  const body = webhookBody(event);
  const channel = await channels.get(channelId);
  if (!channel || channel.type !== 'telegram') throw new NotFound('Telegram channel', channelId);
  const secretName = secretNames.telegramWebhookSecret(channelSecrets.prefix, channelId);
  const given = event.headers['x-telegram-bot-api-secret-token'];
  const expected = await channelSecrets.get(secretName);
  // a bot token rotation registers a new secret token: it is not refused while the old one stays cached
  if (!secretTokensEqual(given, expected) && !secretTokensEqual(given, await channelSecrets.reread(secretName))) {
    logger.warn('telegram secret token refused', { channelId });
    throw new BadSecretToken();
  }
  const parsed = parseTelegramUpdate(jsonOf(body), channelId, clock().toISOString());
  if (!parsed.ok) throw new ValidationFailed(parsed.issues.map((i) => ({ field: i.path || '(body)', message: i.message })), 'The body is not a Telegram update.');
  if (parsed.envelope) await inbound.enqueue(queueable([parsed.envelope], () => (parsed.envelope?.event.kind === 'edit' ? 'edited_message.text' : 'message.text')));
  // updates we do not handle are acknowledged so Telegram does not retry them, and counted here
  else logger.info('telegram update ignored', { channelId, ignoredKind: parsed.ignoredKind });
  return text(200, 'OK');
}

export const handler = logger.withLambdaContext(middy(receiveTelegramUpdate).use(httpErrorsLoggedTo(logger)).use(answerWithin(webhookDeadlineMillis)));
