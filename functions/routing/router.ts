import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { SqsFifoPartialProcessorAsync, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, SQSEvent, SQSRecord, SQSBatchResponse } from 'aws-lambda';
import { inboundEnvelopeSchema } from '../domain/inbound';
import { adminStore, chatStore, clock, directory, dispatcher, eventBus, socketNotifier, timers } from '../adapters/wiring';
import { Ingest } from './ingest';
import { logger } from '../shared/logger';

const ingest = new Ingest({ directory: directory(), contacts: adminStore(), chats: chatStore(), dispatcher: dispatcher(), notifier: socketNotifier(), timers: timers(), events: eventBus(), clock });
const processor = new SqsFifoPartialProcessorAsync();

/** One inbound event; a poison record fails alone and ends in the DLQ after its retries. */
async function routeRecord(record: SQSRecord): Promise<void> {
  const envelope = inboundEnvelopeSchema.parse(JSON.parse(record.body));
  const outcome = await ingest.handle(envelope);
  logger.info('inbound event', { kind: envelope.event.kind, channelType: envelope.channelType, outcome });
}

/** Consumes the inbound FIFO queue; a failing conversation holds back only its own message group. */
async function route(event: SQSEvent, context: Context): Promise<SQSBatchResponse> {
  return processPartialResponse(event, routeRecord, processor, { context, skipGroupOnError: true, throwOnFullBatchFailure: false });
}

export const handler = middy(route).use(injectLambdaContext(logger));
