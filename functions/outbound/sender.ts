import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { SqsFifoPartialProcessorAsync, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import * as z from 'zod';
import { graphApi } from '../adapters/graph-api';
import { chatStore, directory, eventBus, secrets, socketNotifier } from '../adapters/wiring';
import { queues } from '../shared/resources';
import { logger } from '../shared/logger';
import { Delivery } from './delivery';
import { MessengerSender } from './messenger-sender';

const delivery = new Delivery({
  chats: chatStore(),
  directory: directory(),
  secrets: secrets(),
  senders: { messenger: new MessengerSender(graphApi) },
  notifier: socketNotifier(),
  events: eventBus(),
  graph: graphApi,
});
const processor = new SqsFifoPartialProcessorAsync();

const outboundJob = z.object({
  chatId: z.string(),
  messageId: z.string(),
  sentAt: z.string(),
  threadControl: z.object({ action: z.literal('pass'), targetAppId: z.string(), metadata: z.string().optional() }).optional(),
});

async function sendRecord(record: SQSRecord): Promise<void> {
  const job = outboundJob.parse(JSON.parse(record.body));
  // the last receive before the DLQ reports the failure to the agent instead of retrying
  const final = Number(record.attributes.ApproximateReceiveCount) >= queues.maxReceiveCount;
  const { threadControl, ...message } = job;
  const outcome = await delivery.deliver(threadControl ? { ...message, threadControl } : message, { final });
  logger.info('outbound message', { chatId: job.chatId, messageId: job.messageId, outcome });
}

/** Consumes the outbound FIFO queue: one chat's replies leave in order. */
async function send(event: SQSEvent, context: Context): Promise<SQSBatchResponse> {
  return processPartialResponse(event, sendRecord, processor, { context, skipGroupOnError: true, throwOnFullBatchFailure: false });
}

export const handler = middy(send).use(injectLambdaContext(logger));
