import middy from '@middy/core';
import { parseMessengerWebhook } from '../domain/messenger';
import { verifyMetaSignature } from '../domain/signature';
import { secretNames } from '../domain/secret-names';
import { clock, webhookAdapters } from './webhook-adapters';
import { OmnichatError, ValidationFailed, NotFound } from '../domain/errors';
import { httpErrorsLoggedTo, jsonOf, text, webhookBody, type HttpEvent, type HttpResult } from '../shared/http';
import { logger } from './webhook-logger';
import { pathId, queueable } from './queueable';
import { answerWithin, webhookDeadlineMillis } from '../shared/deadline';

const { messengerApps, inbound: inboundQueue, secrets: appSecrets } = webhookAdapters();
const inbound = inboundQueue();

async function isRegisteredApp(appId: string): Promise<boolean> {
  return (await messengerApps.get(appId)) !== undefined;
}

class BadSignature extends OmnichatError {
  constructor() {
    super('X-Hub-Signature-256 is missing or does not match the body.', { code: 'invalid_signature', status: 401 });
  }
}

/** Verify the signature over the raw bytes, parse every entry and event, enqueue, acknowledge. */
async function receiveMessengerWebhook(event: HttpEvent): Promise<HttpResult> {
  const appId = pathId(event.pathParameters?.appId, 'Meta app');
  const body = webhookBody(event);
  if (!(await isRegisteredApp(appId))) throw new NotFound('Meta app', appId);
  const secretName = secretNames.messengerAppSecret(appSecrets.prefix, appId);
  const appSecret = await appSecrets.get(secretName);
  if (!appSecret) throw new OmnichatError(`The app secret of ${appId} is missing.`, { code: 'app_secret_missing', status: 500 });
  const signature = event.headers['x-hub-signature-256'];
  // a secret an admin just rotated is not refused for as long as the old one stays cached
  let signed = verifyMetaSignature(body, signature, appSecret);
  if (!signed) {
    const rotated = await appSecrets.reread(secretName);
    signed = rotated !== undefined && verifyMetaSignature(body, signature, rotated);
  }
  if (!signed) {
    logger.warn('webhook signature refused', { appId });
    throw new BadSignature();
  }
  const parsed = parseMessengerWebhook(jsonOf(body), clock().toISOString());
  if (!parsed.ok) throw new ValidationFailed(parsed.issues.map((i) => ({ field: i.path || '(body)', message: i.message })), 'The webhook body is not a Messenger page event.');
  await inbound.enqueue(queueable(parsed.envelopes, (i) => `${parsed.paths[i] ?? 'entry'}.message.text`));
  logger.info('webhook accepted', { appId, events: parsed.envelopes.length, ignored: parsed.ignored });
  return text(200, 'EVENT_RECEIVED');
}

export const handler = logger.withLambdaContext(middy(receiveMessengerWebhook).use(httpErrorsLoggedTo(logger)).use(answerWithin(webhookDeadlineMillis)));
