import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { agentActions, socketNotifier } from '../composition-root';
import { logger } from '../shared/logger';
import { publishMetrics } from '../shared/observability';
import { frameHandler } from './frame-handler';

const actions = agentActions();
const notifier = socketNotifier();

export const handler = middy(frameHandler({ actions, notifier })).use(injectLambdaContext(logger)).use(publishMetrics());
