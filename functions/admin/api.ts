import { randomUUID } from 'node:crypto';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { adminStore, chatStore, clock, deadLetterQueues, directory, failureLog, fileLinks, graphApi, membership, reports, secrets, supervision, surveyStore, telegramApi, wrapUp } from '../composition-root';
import { readEnv } from '../shared/env';
import { logger } from '../shared/logger';
import { adminHandler } from './app';

const env = readEnv('PUBLIC_API_URL');

/** `ANY /api/{proxy+}`: the management API, one function behind the JWT authorizer. */
export const handler = adminHandler({
  directory: directory(),
  admin: adminStore(),
  chats: chatStore(),
  secrets: secrets(),
  graph: graphApi(),
  telegram: telegramApi(),
  membership,
  supervision,
  clock,
  newId: randomUUID,
  publicApiUrl: env.PUBLIC_API_URL,
  fileLinks: fileLinks(),
  deadLetters: { failures: failureLog(), queues: deadLetterQueues() },
  reports: reports(),
  surveys: surveyStore(),
  wrapUp,
}).use(injectLambdaContext(logger));
