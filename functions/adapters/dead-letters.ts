import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  type Message,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { SQSRecord } from 'aws-lambda';
import * as z from 'zod/mini';
import type { Page, PageRequest } from '../domain/ports';
import { indexKeys, ttlAfter } from './dynamodb/keys';
import { partitionPage } from './dynamodb/page-tokens';
import type { Table } from './dynamodb/table';

/**
 * Dead letters: SQS messages a consumer could not process, kept in the queue's DLQ after
 * `maxReceiveCount` receives. SQS moves the message itself but not the reason, so the consumer
 * records each failure here (ids, error, first seen, attempts) and admins read the error from
 * it. The DLQ stays the truth of what is waiting: a redrive takes messages from the DLQ,
 * sends them back to their source queue and only then deletes them from the DLQ and forgets
 * their record.
 *
 * Key layout (one item per failing SQS message; SQS keeps the message id when it moves a
 * message to the DLQ):
 *
 *   DEADLETTER#<queue>#<messageId> | DEADLETTER   failure record (TTL); kindPk DEADLETTERS#<queue>,
 *                                                 kindSk <firstSeenAt>#<messageId> once its last
 *                                                 receive failed, i.e. once it goes to the DLQ
 */
export const deadLetterSources = ['inbound', 'outbound'] as const;
export type DeadLetterSource = (typeof deadLetterSources)[number];

/** A DLQ keeps messages 14 days; a record outlives its message by a day. */
const keepSeconds = 15 * 24 * 3600;
/** Errors are kept short: a stack or a huge validation report would not help the list. */
const errorChars = 2000;

const keyOf = (source: DeadLetterSource, messageId: string) => ({ pk: `DEADLETTER#${source}#${messageId}`, sk: 'DEADLETTER' });
/** The byKind partition listing a queue's dead letters, oldest first. */
const deadLetterPartition = (source: DeadLetterSource) => indexKeys.kind(`DEADLETTERS#${source}`);

/** Ids that name what a failing message was about; which ones a queue carries depends on the queue. */
export interface FailureIds {
  /** The SQS message id (kept when SQS moves the message to the DLQ). */
  messageId: string;
  /** The FIFO message group: the conversation (inbound) or the chat (outbound). */
  messageGroupId?: string;
  platform?: string;
  channelKey?: string;
  conversation?: string;
  deliveryId?: string;
  chatId?: string;
  outboundMessageId?: string;
}

export const deadLetterItem = z.object({
  pk: z.string(),
  sk: z.string(),
  queue: z.enum(deadLetterSources),
  messageId: z.string(),
  messageGroupId: z.optional(z.string()),
  platform: z.optional(z.string()),
  channelKey: z.optional(z.string()),
  conversation: z.optional(z.string()),
  deliveryId: z.optional(z.string()),
  chatId: z.optional(z.string()),
  outboundMessageId: z.optional(z.string()),
  error: z.string(),
  firstSeenAt: z.string(),
  lastFailedAt: z.string(),
  attempts: z.number().check(z.int()),
  /** True once the last receive failed: SQS moves the message to the DLQ on its next receive. */
  dead: z.boolean(),
});
export type DeadLetterItem = z.infer<typeof deadLetterItem>;

/** Failure records in the table. */
export class FailureLog {
  constructor(
    private readonly table: Table,
    private readonly clock: () => Date,
  ) {}

  /**
   * Records that a receive of this message failed. `attempts` is SQS's receive count; `dead`
   * marks the last receive, which puts the record in the admins' list.
   */
  async failed(source: DeadLetterSource, ids: FailureIds, error: string, attempts: number, dead: boolean): Promise<void> {
    const now = this.clock().toISOString();
    const key = keyOf(source, ids.messageId);
    const fields: Record<string, unknown> = {
      queue: source,
      ...Object.fromEntries(Object.entries(ids).filter(([, v]) => v !== undefined && v !== '')),
      error: error.slice(0, errorChars),
      lastFailedAt: now,
      attempts,
      dead,
      ttl: ttlAfter(this.clock(), keepSeconds),
    };
    const names: Record<string, string> = { '#firstSeenAt': 'firstSeenAt' };
    const values: Record<string, unknown> = { ':now': now };
    const sets = ['#firstSeenAt = if_not_exists(#firstSeenAt, :now)'];
    for (const [i, [name, value]] of Object.entries(fields).entries()) {
      names[`#f${i}`] = name;
      values[`:f${i}`] = value;
      sets.push(`#f${i} = :f${i}`);
    }
    let update = `SET ${sets.join(', ')}`;
    if (dead) {
      // kindSk keeps the first failure's time: a later failure of the same message does not reorder the list
      names['#kindPk'] = 'kindPk';
      names['#kindSk'] = 'kindSk';
      values[':kindPk'] = deadLetterPartition(source);
      values[':kindSk'] = `${now}#${ids.messageId}`;
      update += ', #kindPk = :kindPk, #kindSk = if_not_exists(#kindSk, :kindSk)';
    }
    await this.table.update({ ...key, update, names, values });
  }

  /** The message went through after all (or was redriven): its record goes. */
  async forget(source: DeadLetterSource, messageId: string): Promise<void> {
    const key = keyOf(source, messageId);
    await this.table.delete(key.pk, key.sk);
  }

  /** Dead letters of one queue, first failed first; a token of another queue's list is `InvalidNextToken`. */
  list(source: DeadLetterSource, page: PageRequest): Promise<Page<DeadLetterItem>> {
    return partitionPage(this.table, deadLetterItem, { index: 'byKind', pk: deadLetterPartition(source), whole: true }, page);
  }

  async get(source: DeadLetterSource, messageId: string): Promise<DeadLetterItem | undefined> {
    const key = keyOf(source, messageId);
    return this.table.get(deadLetterItem, key.pk, key.sk, true);
  }
}

export interface QueuePair {
  /** The dead-letter queue. */
  dlqUrl: string;
  /** Where its messages came from, and go back to on a redrive. */
  sourceUrl: string;
}

export interface RedriveResult {
  /** Message ids taken from the DLQ, sent back to the source queue and deleted from the DLQ. */
  redriven: string[];
  /** Selected ids not found in the DLQ (already redriven, or held behind a message not selected). */
  notFound: string[];
}

/**
 * Puts dead letters back on their source queue. Each message is sent with its own group
 * (order per conversation holds) and a deduplication id derived from its DLQ message id, so a
 * redrive repeated after a failed delete is dropped by SQS; the router stores a platform
 * message once in any case. The message leaves the DLQ only after the send succeeded.
 */
export class DeadLetterQueues {
  constructor(
    private readonly sqs: SQSClient,
    private readonly pairs: Record<DeadLetterSource, QueuePair>,
    private readonly failures: FailureLog,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Redrives every message of the DLQ, or those whose ids are given. Stops when the DLQ has
   * nothing more to give or after `budgetMs` (an admin request must answer).
   */
  async redrive(source: DeadLetterSource, ids: readonly string[] | undefined, budgetMs = 10_000): Promise<RedriveResult> {
    const pair = this.pairs[source];
    const wanted = ids ? new Set(ids) : undefined;
    const redriven: string[] = [];
    const held: Message[] = [];
    const deadline = this.now() + budgetMs;
    try {
      while (this.now() < deadline && (!wanted || wanted.size > 0)) {
        const received = await this.sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: pair.dlqUrl,
            MaxNumberOfMessages: 10,
            WaitTimeSeconds: 0,
            // hidden long enough to send and delete; released at the end when not selected
            VisibilityTimeout: Math.ceil(budgetMs / 1000) + 20,
            MessageSystemAttributeNames: ['All'],
            MessageAttributeNames: ['All'],
          }),
        );
        const messages = received.Messages ?? [];
        if (messages.length === 0) break;
        for (const message of messages) {
          const id = message.MessageId ?? '';
          if (wanted && !wanted.has(id)) {
            held.push(message);
            continue;
          }
          await this.sendBack(pair, message);
          await this.sqs.send(new DeleteMessageCommand({ QueueUrl: pair.dlqUrl, ReceiptHandle: message.ReceiptHandle }));
          await this.failures.forget(source, id);
          wanted?.delete(id);
          redriven.push(id);
        }
      }
    } finally {
      await this.release(pair.dlqUrl, held);
    }
    return { redriven, notFound: wanted ? [...wanted] : [] };
  }

  private async sendBack(pair: QueuePair, message: Message): Promise<void> {
    const group = message.Attributes?.MessageGroupId;
    await this.sqs.send(
      new SendMessageCommand({
        QueueUrl: pair.sourceUrl,
        MessageBody: message.Body ?? '',
        ...(message.MessageAttributes && Object.keys(message.MessageAttributes).length > 0 ? { MessageAttributes: message.MessageAttributes } : {}),
        ...(group ? { MessageGroupId: group, MessageDeduplicationId: `redrive-${message.MessageId ?? ''}` } : {}),
      }),
    );
  }

  /** Messages received but not selected become visible again at once. */
  private async release(dlqUrl: string, messages: Message[]): Promise<void> {
    for (let i = 0; i < messages.length; i += 10) {
      const batch = messages.slice(i, i + 10);
      await this.sqs.send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: dlqUrl,
          Entries: batch.map((m, n) => ({ Id: String(n), ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 0 })),
        }),
      );
    }
  }
}

/** SQS's receive count of a record (1 on the first receive). */
export function receiveCountOf(record: SQSRecord): number {
  const count = Number(record.attributes.ApproximateReceiveCount);
  return Number.isFinite(count) && count > 0 ? count : 1;
}
