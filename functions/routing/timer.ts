import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { withInvocationMemo } from '../adapters/invocation-memo';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { automatedMessages, dispatcher, timers, waitingLine } from '../composition-root';
import { timerMessage } from '../adapters/timer-queue';
import { logger } from '../shared/logger';
import { publishMetrics } from '../shared/observability';

const routing = dispatcher();

/**
 * One timer message: sent on if it is not due yet (timers longer than SQS's 15-minute delay),
 * otherwise fired. Delivery is at least once; every decision checks the version or token the
 * timer carries, so a duplicate or a timer whose state has moved on changes nothing.
 */
async function fireRecord(record: SQSRecord): Promise<void> {
  try {
    await fireTimer(record);
  } catch (error) {
    logger.error('timer failed; it will be retried, then dead-lettered', {
      messageId: record.messageId,
      attempts: Number(record.attributes.ApproximateReceiveCount),
      error: error instanceof Error ? error.message : String(error),
    });
    throw error;
  }
}

async function fireTimer(record: SQSRecord): Promise<void> {
  const message = timerMessage.parse(JSON.parse(record.body));
  const { timer } = message;
  if ((await timers().receive(message)) === 'hopped') {
    logger.info('timer not due yet, sent on', { ...timer, at: message.at });
    return;
  }
  logger.info('timer fired', { ...timer, at: message.at });
  if (timer.kind === 'acceptTimeout') await routing.acceptTimedOut(timer.chatId, timer.agentId, timer.version);
  else if (timer.kind === 'completionTimeout') await routing.completionTimedOut(timer.chatId, timer.token);
  else if (timer.kind === 'inactivityTimeout') await routing.inactivityTimedOut(timer.chatId, timer.heldSince);
  else if (timer.kind === 'queueOpens') await waitingLine().queueOpened(timer.queueId);
  else if (timer.kind === 'maxWait') await waitingLine().maxWaitReached(timer.chatId, timer.queueId);
  else if (timer.kind === 'positionInLine') await waitingLine().positionDue(timer.chatId, timer.queueId);
  else await automatedMessages().busyTimerFired(timer.chatId);
}

/** Consumes the timer queue; a failing timer is retried alone and ends in the timer DLQ after its retries. */
async function fire(event: SQSEvent, context: Context): Promise<SQSBatchResponse> {
  // a processor per call: it holds the batch, and the local runtime's pollers run batches at once
  return withInvocationMemo(() => processPartialResponse(event, fireRecord, new BatchProcessor(EventType.SQS), { context, throwOnFullBatchFailure: false }));
}

export const handler = middy(fire).use(injectLambdaContext(logger)).use(publishMetrics());
