import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { Context, SQSEvent, SQSRecord, SQSBatchResponse } from 'aws-lambda';
import * as z from 'zod/mini';
import { inboundEnvelopeSchema } from '../domain/inbound';
import { OmnichatError } from '../domain/errors';
import { idsInBody, processFifoBatch } from '../adapters/fifo-batch';
import { withInvocationMemo } from '../adapters/invocation-memo';
import type { FailureIds } from '../adapters/dead-letters';
import { chatIntake, failureLog } from '../composition-root';
import { logger } from '../shared/logger';
import { publishMetrics } from '../shared/observability';
import { recordedMetrics } from '../shared/instrument';
import { productMetrics } from '../shared/metric-names';

const intake = chatIntake();

/** Whatever ids a body carries, read leniently: a body that fails the envelope schema is still named. */
const envelopeIds = z.object({
  channelType: z.catch(z.optional(z.string()), undefined),
  channelKey: z.catch(z.optional(z.string()), undefined),
  conversationKey: z.catch(z.optional(z.string()), undefined),
  deliveryId: z.catch(z.optional(z.string()), undefined),
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
  const outcome = await intake.handle(envelope);
  if (envelope.event.kind === 'message' && outcome === 'stored') recordedMetrics.count(productMetrics.inboundMessages);
  logger.info('inbound event', { kind: envelope.event.kind, channelType: envelope.channelType, outcome });
}

/**
 * Consumes the inbound FIFO queue; a failing conversation holds back only its own message group.
 * Each failure is logged at ERROR and recorded with its ids so admins find it among the dead letters.
 */
async function route(event: SQSEvent, context: Context): Promise<SQSBatchResponse> {
  // a batch reads each channel, queue and the settings once (adapters/invocation-memo.ts)
  return withInvocationMemo(() => processFifoBatch(event, context, routeRecord, { source: 'inbound', failures: failureLog(), describe: idsOf }));
}

export const handler = middy(route).use(injectLambdaContext(logger)).use(publishMetrics());
