import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import * as z from 'zod';
import { automatedMessages, dispatcher } from '../adapters/wiring';
import { logger } from '../shared/logger';
import { publishMetrics } from '../shared/observability';

const routing = dispatcher();

const timerEvent = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('acceptTimeout'), chatId: z.string(), agentId: z.string(), version: z.number().int() }),
  z.object({ kind: z.literal('completionTimeout'), chatId: z.string(), token: z.string() }),
  z.object({ kind: z.literal('allAgentsBusy'), chatId: z.string() }),
]);

/** Target of every schedule. A timer armed for a state that has moved on changes nothing. */
async function fire(event: unknown): Promise<void> {
  const timer = timerEvent.parse(event);
  logger.info('timer fired', { ...timer });
  if (timer.kind === 'acceptTimeout') await routing.acceptTimedOut(timer.chatId, timer.agentId, timer.version);
  else if (timer.kind === 'completionTimeout') await routing.completionTimedOut(timer.chatId, timer.token);
  else await automatedMessages().busyTimerFired(timer.chatId);
}

export const handler = middy(fire).use(injectLambdaContext(logger)).use(publishMetrics());
