import middy from '@middy/core';
import { isMessengerVerification } from '../domain/messenger';
import { webhookAdapters } from './webhook-adapters';
import { httpErrorsLoggedTo, text, type HttpEvent, type HttpResult } from '../shared/http';
import { logger } from './webhook-logger';
import { pathId } from './queueable';
import { answerWithin, webhookDeadlineMillis } from '../shared/deadline';

const apps = webhookAdapters().directory;

/** Meta's subscription handshake: echo `hub.challenge` when the verify token matches. */
async function verifySubscription(event: HttpEvent): Promise<HttpResult> {
  const app = await apps.messengerApp(pathId(event.pathParameters?.appId, 'Meta app'));
  const challenge = app ? isMessengerVerification(event.queryStringParameters, app.verifyToken) : null;
  if (challenge === null) {
    logger.warn('webhook verification refused', { appId: event.pathParameters?.appId, knownApp: Boolean(app) });
    return text(403, 'Forbidden');
  }
  return text(200, challenge);
}

export const handler = logger.withLambdaContext(middy(verifySubscription).use(httpErrorsLoggedTo(logger)).use(answerWithin(webhookDeadlineMillis)));
