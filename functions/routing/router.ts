import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { SqsFifoPartialProcessorAsync, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, SQSEvent, SQSRecord, SQSBatchResponse } from 'aws-lambda';
import { inboundEnvelopeSchema } from '../domain/inbound';
import { adminStore, agentNotifier, automatedMessages, chatStore, clock, directory, dispatcher, eventBus, outboundQueue, secrets, socketNotifier, table } from '../adapters/wiring';
import { TelegramChatStore } from '../adapters/dynamodb/telegram-chats';
import { graphApi } from '../adapters/graph-api';
import { telegramApi } from '../adapters/telegram-api';
import { Ingest } from './ingest';
import { TelegramEvents } from './telegram-events';
import { Echoes } from './echoes';
import { Handover } from './handover';
import { Profiles } from './profiles';
import { Receipts } from './receipts';
import { logger } from '../shared/logger';

const automated = automatedMessages();
const ingest = new Ingest({
  directory: directory(),
  contacts: adminStore(),
  chats: chatStore(),
  dispatcher: dispatcher(),
  notifier: agentNotifier(),
  events: eventBus(),
  clock,
  receipts: new Receipts({ chats: chatStore(), notifier: socketNotifier() }),
  echoes: new Echoes({ chats: chatStore(), notifier: socketNotifier(), clock }),
  handover: new Handover({ chats: chatStore(), dispatcher: dispatcher(), automated, events: eventBus(), clock }),
  profiles: new Profiles({ chats: chatStore(), directory: directory(), graph: graphApi, secrets: secrets(), events: eventBus(), clock }),
  automated,
  telegram: new TelegramEvents({ chats: chatStore(), telegramChats: new TelegramChatStore(table(), clock), notifier: agentNotifier(), telegram: telegramApi, secrets: secrets() }),
});
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
