import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import * as z from 'zod/mini';
import { idsInBody, processFifoBatch } from '../adapters/fifo-batch';
import { withInvocationMemo } from '../adapters/invocation-memo';
import type { FailureIds } from '../adapters/dead-letters';
import { outboundJobSchema } from '../domain/model';
import { delivery, failureLog, retryAfter, telegramPacer } from '../composition-root';
import { queues } from '../shared/resources';
import { logger } from '../shared/logger';
import { publishMetrics } from '../shared/observability';
import { recordedMetrics } from '../shared/instrument';
import { productMetrics } from '../shared/metric-names';

const pacer = telegramPacer();
const retries = retryAfter();
const deliveries = delivery();


/** The chat and message a job names, read leniently so a malformed body is still named. */
const jobIds = z.object({ chatId: z.catch(z.optional(z.string()), undefined), messageId: z.catch(z.optional(z.string()), undefined) });

function idsOf(record: SQSRecord): FailureIds {
  const ids = idsInBody(record, jobIds);
  return { messageId: record.messageId, messageGroupId: record.attributes.MessageGroupId, chatId: ids.chatId, outboundMessageId: ids.messageId };
}

async function sendRecord(record: SQSRecord): Promise<void> {
  const job = outboundJobSchema.parse(JSON.parse(record.body));
  // the last receive before the DLQ reports the failure to the agent instead of retrying
  const final = Number(record.attributes.ApproximateReceiveCount) >= queues.maxReceiveCount;
  const { threadControl, ...message } = job;
  const outcome = await retries.watch(record, () => deliveries.deliver(threadControl ? { ...message, threadControl } : message, { final }));
  if (outcome === 'failed') recordedMetrics.count(productMetrics.failedSends);
  logger.info('outbound message', { chatId: job.chatId, messageId: job.messageId, outcome });
}

/** Consumes the outbound FIFO queue: one chat's replies leave in order. */
async function send(event: SQSEvent, context: Context): Promise<SQSBatchResponse> {
  // pauses end well before the function times out
  pacer.waitNoLaterThan(Date.now() + context.getRemainingTimeInMillis() - 5000);
  const response = await withInvocationMemo(() => processFifoBatch(event, context, sendRecord, { source: 'outbound', failures: failureLog(), describe: idsOf }));
  await retries.apply(event, response);
  return response;
}

export const handler = middy(send).use(injectLambdaContext(logger)).use(publishMetrics());
