import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { Context, SQSEvent, SQSRecord, SQSBatchResponse } from 'aws-lambda';
import * as z from 'zod';
import { inboundEnvelopeSchema } from '../domain/inbound';
import { OmnichatError } from '../domain/errors';
import { idsInBody, processFifoBatch } from '../adapters/fifo-batch';
import type { FailureIds } from '../adapters/dead-letters';
import { adminStore, agentNotifier, failureLog, automatedMessages, chatStore, clock, directory, dispatcher, eventBus, outboundQueue, secrets, socketNotifier, table } from '../composition-root';
import { TelegramChatStore } from '../adapters/dynamodb/telegram-chats';
import { graphApi } from '../adapters/graph-api';
import { telegramApi } from '../adapters/telegram-api';
import { ChatIntake } from '../services/chat-intake';
import { TelegramEvents } from '../services/telegram-events';
import { Echoes } from '../services/echoes';
import { Handover } from '../services/handover';
import { Profiles } from '../services/profiles';
import { Receipts } from '../services/receipts';
import { logger } from '../shared/logger';
import { publishMetrics } from '../shared/observability';
import { recordedMetrics } from '../shared/instrument';
import { productMetrics } from '../shared/metric-names';

const automated = automatedMessages();
const ingest = new ChatIntake({
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

/** Whatever ids a body carries, read leniently: a body that fails the envelope schema is still named. */
const envelopeIds = z.object({
  channelType: z.string().optional().catch(undefined),
  channelKey: z.string().optional().catch(undefined),
  conversationKey: z.string().optional().catch(undefined),
  deliveryId: z.string().optional().catch(undefined),
});

function idsOf(record: SQSRecord): FailureIds {
  const ids = idsInBody(record, envelopeIds);
  return {
    messageId: record.messageId,
    messageGroupId: record.attributes.MessageGroupId,
    platform: ids.channelType,
    channelKey: ids.channelKey,
    conversation: ids.conversationKey,
    deliveryId: ids.deliveryId,
  };
}

/**
 * A record is not started with less time than this left: it is handed back for a retry, with
 * the rest of its group, instead of the function timing out and the whole batch, the records
 * already routed included, coming back. Above the worst case of one record's SDK calls.
 */
const reserveMillis = 12_000;

class OutOfTime extends OmnichatError {
  constructor(remaining: number) {
    super(`Only ${remaining} ms left; the record is handed back.`, { code: 'out_of_time', status: 503 });
  }
}

/** One inbound event; a poison record fails alone and ends in the DLQ after its retries. */
async function routeRecord(record: SQSRecord, context?: Context): Promise<void> {
  const remaining = context?.getRemainingTimeInMillis?.();
  if (remaining !== undefined && remaining < reserveMillis) throw new OutOfTime(remaining);
  const envelope = inboundEnvelopeSchema.parse(JSON.parse(record.body));
  const outcome = await ingest.handle(envelope);
  if (envelope.event.kind === 'message' && outcome === 'stored') recordedMetrics.count(productMetrics.inboundMessages);
  logger.info('inbound event', { kind: envelope.event.kind, channelType: envelope.channelType, outcome });
}

/**
 * Consumes the inbound FIFO queue; a failing conversation holds back only its own message group.
 * Each failure is logged at ERROR and recorded with its ids so admins find it among the dead letters.
 */
async function route(event: SQSEvent, context: Context): Promise<SQSBatchResponse> {
  return processFifoBatch(event, context, routeRecord, { source: 'inbound', failures: failureLog(), describe: idsOf });
}

export const handler = middy(route).use(injectLambdaContext(logger)).use(publishMetrics());
