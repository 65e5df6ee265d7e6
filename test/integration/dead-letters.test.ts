import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DeleteMessageCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { DeadLetterQueues, FailureLog } from '../../functions/adapters/dead-letters';
import { Table } from '../../functions/adapters/dynamodb/table';
import { heldBackError, processFifoBatch, unfinishedError } from '../../functions/adapters/fifo-batch';
import { InvalidNextToken } from '../../functions/domain/errors';
import { createTestQueues, createTestTable, dynamodb, sqs } from '../support/aws';

/** Failure records in DynamoDB Local and redrives between queues of the SQS emulator, over the real SDK clients. */
const context = { getRemainingTimeInMillis: () => 30_000 } as unknown as Context;

function record(messageId: string, group: string, receiveCount: number, body: string): SQSRecord {
  return {
    messageId,
    receiptHandle: `rh-${messageId}`,
    body,
    attributes: { ApproximateReceiveCount: String(receiveCount), SentTimestamp: '0', SenderId: 'x', ApproximateFirstReceiveTimestamp: '0', MessageGroupId: group },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:q.fifo',
    awsRegion: 'us-east-1',
  };
}

describe('dead letters against DynamoDB Local and the SQS emulator', () => {
  it('runs the conversations of a batch side by side, each in its own order, and a failure holds back only its own', async () => {
    const table = new Table(DynamoDBDocumentClient.from(dynamodb(), { marshallOptions: { removeUndefinedValues: true } }), await createTestTable());
    const failures = new FailureLog(table, () => new Date());
    const describe = (r: SQSRecord) => ({ messageId: r.messageId, messageGroupId: r.attributes.MessageGroupId, conversation: r.attributes.MessageGroupId });
    const order: string[] = [];
    let bStarted = () => {};
    const bHasStarted = new Promise<void>((resolve) => (bStarted = resolve));
    const handle = async (r: SQSRecord) => {
      order.push(`start ${r.messageId}`);
      // conversation A's first message waits until conversation B's has started: run one after the other, this batch never ends
      if (r.messageId === 'a1') await bHasStarted;
      if (r.messageId === 'b1') bStarted();
      if (r.body.includes('poison')) throw new Error(`cannot read ${r.body}`);
      order.push(`end ${r.messageId}`);
    };
    const response = await processFifoBatch(
      { Records: [record('a1', 'conv-a', 1, 'Olá 👋🏽'), record('a2', 'conv-a', 1, 'poison 😀'), record('a3', 'conv-a', 1, 'after'), record('b1', 'conv-b', 1, 'Привет'), record('b2', 'conv-b', 1, '你好')] },
      context,
      handle,
      { source: 'inbound', failures, describe },
    );
    expect(response.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual(['a2', 'a3']);
    // each conversation in its order: a2 only after a1 ended, b2 only after b1 ended; a3 never started
    expect(order.indexOf('start a2')).toBeGreaterThan(order.indexOf('end a1'));
    expect(order.indexOf('start b2')).toBeGreaterThan(order.indexOf('end b1'));
    expect(order).not.toContain('start a3');
    expect(await failures.get('inbound', 'a3')).toMatchObject({ error: heldBackError });
  });

  it('records a failing message with its ids and error, lists it only after its last attempt, and forgets it once it goes through', async () => {
    const table = new Table(DynamoDBDocumentClient.from(dynamodb(), { marshallOptions: { removeUndefinedValues: true } }), await createTestTable());
    const failures = new FailureLog(table, () => new Date());
    const describe = (r: SQSRecord) => ({ messageId: r.messageId, messageGroupId: r.attributes.MessageGroupId, conversation: r.attributes.MessageGroupId });
    const handle = async (r: SQSRecord) => {
      if (r.body.includes('poison')) throw new Error(`cannot read ${r.body}`);
    };
    const batch = (receive: number): SQSEvent => ({
      Records: [record('a1', 'conv-a', receive, 'poison 😀'), record('a2', 'conv-a', receive, 'good'), record('b1', 'conv-b', receive, 'good 🇵🇹')],
    });

    const first = await processFifoBatch(batch(1), context, handle, { source: 'inbound', failures, describe });
    expect(first.batchItemFailures.map((f) => f.itemIdentifier)).toEqual(['a1', 'a2']);
    expect(await failures.get('inbound', 'a1')).toMatchObject({ error: 'Error: cannot read poison 😀', attempts: 1, dead: false, conversation: 'conv-a' });
    expect(await failures.get('inbound', 'a2')).toMatchObject({ error: heldBackError, dead: false });
    expect((await failures.list('inbound', { limit: 10 })).items).toEqual([]);

    const last = await processFifoBatch(batch(5), context, handle, { source: 'inbound', failures, describe });
    expect(last.batchItemFailures.map((f) => f.itemIdentifier)).toEqual(['a1', 'a2']);
    const listed = (await failures.list('inbound', { limit: 10 })).items;
    expect(listed.map((i) => [i.messageId, i.attempts, i.dead])).toEqual(
      expect.arrayContaining([['a1', 5, true], ['a2', 5, true]]),
    );
    expect(listed.find((i) => i.messageId === 'a1')?.error).toBe('Error: cannot read poison 😀');
    // page by page with the store's tokens; a token of the inbound list is refused by the outbound one
    const firstPage = await failures.list('inbound', { limit: 1 });
    expect(firstPage.items).toHaveLength(1);
    expect(firstPage.next).toEqual(expect.any(String));
    const rest = await failures.list('inbound', { limit: 10, after: firstPage.next });
    expect([...firstPage.items, ...rest.items].map((i) => i.messageId)).toEqual(listed.map((i) => i.messageId));
    expect(rest.next).toBeUndefined();
    await expect(failures.list('outbound', { limit: 10, after: firstPage.next })).rejects.toMatchObject({ code: 'invalid_token', status: 400, details: [{ field: 'nextToken' }] });
    await expect(failures.list('inbound', { limit: 10, after: 'e30' })).rejects.toBeInstanceOf(InvalidNextToken);
    // the good message of the other conversation was never recorded, and a1's first failure time is kept
    expect(await failures.get('inbound', 'b1')).toBeUndefined();

    // a message that failed before and goes through on a later receive leaves no record
    await processFifoBatch({ Records: [record('c1', 'conv-c', 1, 'poison')] }, context, handle, { source: 'inbound', failures, describe });
    expect(await failures.get('inbound', 'c1')).toBeDefined();
    await processFifoBatch({ Records: [record('c1', 'conv-c', 2, 'fixed')] }, context, handle, { source: 'inbound', failures, describe });
    expect(await failures.get('inbound', 'c1')).toBeUndefined();

    // a last attempt that never finishes (timeout) still leaves its record
    const never = processFifoBatch({ Records: [record('d1', 'conv-d', 5, 'slow')] }, context, () => new Promise<void>(() => undefined), { source: 'inbound', failures, describe });
    void never;
    await new Promise((r) => setTimeout(r, 500));
    expect(await failures.get('inbound', 'd1')).toMatchObject({ error: unfinishedError, dead: true });
  }, 60_000);

  it('redrives selected or all dead letters to the source queue in order per group, deleting them only once sent, never twice', async () => {
    const client = sqs();
    const queues = await createTestQueues();
    const table = new Table(DynamoDBDocumentClient.from(dynamodb(), { marshallOptions: { removeUndefinedValues: true } }), await createTestTable());
    const failures = new FailureLog(table, () => new Date());
    const dlq = new DeadLetterQueues(client, { inbound: { dlqUrl: queues.inbound.dlq.url, sourceUrl: queues.inbound.url }, outbound: { dlqUrl: queues.outbound.dlq.url, sourceUrl: queues.outbound.url } }, failures);
    const bodies = ['Привет 1', 'Привет 2 👍🏽', 'مرحبا 3', '你好 4'];
    const ids: string[] = [];
    for (const [i, body] of bodies.entries()) {
      const out = await client.send(new SendMessageCommand({ QueueUrl: queues.inbound.dlq.url, MessageBody: body, MessageGroupId: i < 2 ? 'g1' : `g${i}`, MessageDeduplicationId: `d${i}` }));
      ids.push(out.MessageId ?? '');
      await failures.failed('inbound', { messageId: out.MessageId ?? '' }, 'boom', 5, true);
    }
    const depth = async (url: string) =>
      Number((await client.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessages'] }))).Attributes?.ApproximateNumberOfMessages);

    const selected = await dlq.redrive('inbound', [ids[2] ?? '', 'missing']);
    expect(selected).toEqual({ redriven: [ids[2]], notFound: ['missing'] });
    expect(await depth(queues.inbound.dlq.url)).toBe(3);
    expect(await failures.get('inbound', ids[2] ?? '')).toBeUndefined();

    const rest = await dlq.redrive('inbound', undefined);
    expect(rest.redriven.sort()).toEqual([ids[0], ids[1], ids[3]].sort());
    expect(await depth(queues.inbound.dlq.url)).toBe(0);
    expect((await failures.list('inbound', { limit: 10 })).items).toEqual([]);
    expect(await dlq.redrive('inbound', undefined)).toEqual({ redriven: [], notFound: [] });

    const back: { body: string; group: string }[] = [];
    // read back as a consumer does: a group's next message comes once the one before is deleted
    for (let i = 0; i < 10 && back.length < 4; i += 1) {
      const got = await client.send(new ReceiveMessageCommand({ QueueUrl: queues.inbound.url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, VisibilityTimeout: 30, MessageSystemAttributeNames: ['MessageGroupId'] }));
      for (const m of got.Messages ?? []) {
        back.push({ body: m.Body ?? '', group: m.Attributes?.MessageGroupId ?? '' });
        await client.send(new DeleteMessageCommand({ QueueUrl: queues.inbound.url, ReceiptHandle: m.ReceiptHandle }));
      }
    }
    expect(back.filter((m) => m.group === 'g1').map((m) => m.body)).toEqual(['Привет 1', 'Привет 2 👍🏽']);
    expect(back.map((m) => m.body).sort()).toEqual([...bodies].sort());
  }, 60_000);
});
