import { randomBytes, randomUUID } from 'node:crypto';
import { DynamoDBClient, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { GetQueueAttributesCommand, GetQueueUrlCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { z } from 'zod';
import { unfinishedError } from '../../functions/adapters/fifo-batch';
import { messageGroupOf } from '../../functions/domain/inbound';
import { signMetaBody } from '../../functions/domain/signature';
import { startFakeGraph, type FakeGraph } from '../support/fake-graph';
import { eventually, startLocalRuntime, type LocalRuntime } from '../support/runtime';

/**
 * Records the router cannot process, through the local runtime with its three concurrent
 * pollers on the inbound queue: each reaches the DLQ after its retries, none is lost, good
 * messages beside them are stored once and in order, admins see the error and redrive them.
 */
const appId = '551234567890123';
const appSecret = 'app-secret-dead-letters-0123456789';
const pageId = '109876543210001';
const brokenPageId = '109876543210002';
const pageToken = 'EAAG-page-token-dead-letters';
const region = 'us-east-1';
const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };

const deadLetter = z.object({
  id: z.string(),
  queue: z.string(),
  platform: z.string().nullable(),
  channelKey: z.string().nullable(),
  conversation: z.string().nullable(),
  deliveryId: z.string().nullable(),
  error: z.string(),
  firstSeenAt: z.string(),
  attempts: z.number(),
});
const deadLetterList = z.object({ items: z.array(deadLetter), nextToken: z.string().optional() });
const chatList = z.object({ items: z.array(z.object({ id: z.string(), customer: z.object({ id: z.string() }) })), nextToken: z.string().optional() });
const chatWithMessages = z.object({ messages: z.array(z.object({ text: z.string().optional(), direction: z.string() })) });

/** What customers write: every script, emoji with modifiers, flags, families, astral letters, long texts. */
const texts = ['Olá, preciso de ajuda 🇵🇹', 'Привет! 👍🏽', 'مرحبا، طلبي لم يصل', '你好，我的订单 📦', 'Family plan 👨‍👩‍👧 please', '𝕳𝖊𝖑𝖑𝖔 😀', 'नमस्ते', 'x'.repeat(1800)];

describe('dead letters through the local runtime', () => {
  let local: LocalRuntime;
  let graph: FakeGraph;
  let admin: string;
  let sqs: SQSClient;
  let ddb: DynamoDBClient;
  let inboundUrl: string;
  let dlqUrl: string;
  const prefix = `d${randomBytes(4).toString('hex')}-`;
  const tableName = `${prefix}omnichat`;
  let clock = Date.now() - 60_000;

  const webhook = async (page: string, psid: string, mid: string, text: string, at = ++clock): Promise<void> => {
    const body = JSON.stringify({
      object: 'page',
      entry: [{ id: page, time: at, messaging: [{ sender: { id: psid }, recipient: { id: page }, timestamp: at, message: { mid, text } }] }],
    });
    const res = await fetch(`${local.baseUrl}/webhooks/messenger/${appId}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-hub-signature-256': signMetaBody(body, appSecret) },
      body,
    });
    expect(res.status).toBe(200);
  };

  /** An envelope a webhook of another version might have queued: its timestamp is not a number. */
  const poison = async (psid: string, mid: string): Promise<void> => {
    const envelope = {
      channelType: 'messenger' as const,
      channelKey: pageId,
      conversationKey: psid,
      receivedAt: new Date().toISOString(),
      deliveryId: mid,
      event: { kind: 'message', platformMessageId: mid, timestamp: 'yesterday', customer: { id: psid }, text: 'Não consigo pagar 😞' },
    };
    await sqs.send(
      new SendMessageCommand({ QueueUrl: inboundUrl, MessageBody: JSON.stringify(envelope), MessageGroupId: messageGroupOf(envelope), MessageDeduplicationId: mid }),
    );
  };

  const deadLetters = async (): Promise<z.infer<typeof deadLetter>[]> => {
    const all: z.infer<typeof deadLetter>[] = [];
    let token: string | undefined;
    do {
      const res = await local.api('GET', `/api/dead-letters?limit=4${token ? `&nextToken=${token}` : ''}`, undefined, admin);
      expect(res.status).toBe(200);
      const page = deadLetterList.parse(res.body);
      all.push(...page.items);
      token = page.nextToken;
    } while (token);
    return all;
  };

  const dlqDepth = async (): Promise<number> => {
    const out = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlqUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }));
    return Number(out.Attributes?.ApproximateNumberOfMessages ?? 0) + Number(out.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0);
  };

  /** Every chat of the channel's customers, with the texts of its incoming messages. */
  const conversations = async (): Promise<Map<string, string[][]>> => {
    const found = new Map<string, string[][]>();
    let token: string | undefined;
    do {
      const res = await local.api('GET', `/api/chats?limit=100${token ? `&nextToken=${token}` : ''}`, undefined, admin);
      const page = chatList.parse(res.body);
      for (const chat of page.items) {
        const read = chatWithMessages.parse((await local.api('GET', `/api/chats/${chat.id}`, undefined, admin)).body);
        const inbound = read.messages.filter((m) => m.direction === 'in').map((m) => m.text ?? '');
        found.set(chat.customer.id, [...(found.get(chat.customer.id) ?? []), inbound]);
      }
      token = page.nextToken;
    } while (token);
    return found;
  };

  beforeAll(async () => {
    graph = await startFakeGraph({ pages: { [pageId]: { name: 'Acme Support', token: pageToken }, [brokenPageId]: { name: 'Acme Porto', token: pageToken } } });
    local = await startLocalRuntime({ env: { GRAPH_API_URL: graph.url, OMNICHAT_RESOURCE_PREFIX: prefix } });
    admin = await local.token('admin', ['chat-admins'], 'Admin');
    const endpoints = z.object({ dynamodb: z.string(), sqs: z.string() }).parse(await (await fetch(`${local.baseUrl}/dev/endpoints`)).json());
    sqs = new SQSClient({ endpoint: endpoints.sqs, region, credentials });
    ddb = new DynamoDBClient({ endpoint: endpoints.dynamodb, region, credentials });
    const urlOf = async (name: string) => {
      const url = new URL((await sqs.send(new GetQueueUrlCommand({ QueueName: name }))).QueueUrl ?? '');
      return `${new URL(endpoints.sqs).origin}${url.pathname}`;
    };
    inboundUrl = await urlOf(`${prefix}omnichat-inbound.fifo`);
    dlqUrl = await urlOf(`${prefix}omnichat-inbound-dlq.fifo`);

    expect((await local.api('POST', '/api/messenger-apps', { appId, appSecret }, admin)).status).toBe(201);
    const queue = await local.api('POST', '/api/queues', { name: 'Support', routingRule: 'available-agent', completionTimeoutSeconds: null, members: { users: [], groups: ['agents'] } }, admin);
    const queueId = (queue.body as { id: string }).id;
    for (const page of [pageId, brokenPageId]) {
      const channel = await local.api('POST', '/api/channels', { type: 'messenger', appId, pageId: page, pageAccessToken: pageToken }, admin);
      expect(channel.status).toBe(201);
      expect((await local.api('PATCH', `/api/channels/${(channel.body as { id: string }).id}`, { queueId, active: true }, admin)).status).toBe(200);
    }
  }, 90_000);

  afterAll(async () => {
    sqs?.destroy();
    ddb?.destroy();
    await local?.stop();
    await graph?.stop();
  });

  it('sends exactly the 10 poison records to the DLQ with their error, and stores every good message once, in order, with 3 pollers', async () => {
    const customers = Array.from({ length: 8 }, (_, i) => `70000000000${i}`);
    const sent = new Map<string, string[]>(customers.map((c) => [c, []]));
    const poisonIds: string[] = [];
    // good messages of 8 conversations, interleaved; 7 poison records in conversations of their own
    for (let round = 0; round < 5; round += 1) {
      for (const [n, customer] of customers.entries()) {
        const text = `${texts[(n + round) % texts.length] ?? ''} #${round}`;
        await webhook(pageId, customer, `m_${customer}_${round}`, text);
        sent.get(customer)?.push(text);
      }
      if (round < 4) {
        for (const k of round === 0 ? [0, 1, 2, 3] : [round + 3]) {
          const mid = `m_poison_own_${k}_${randomUUID()}`;
          poisonIds.push(mid);
          await poison(`80000000000${k}`, mid);
        }
      }
    }
    // and 3 poison records at the end of good conversations: nothing of theirs comes after them
    for (const customer of customers.slice(0, 3)) {
      const mid = `m_poison_tail_${customer}_${randomUUID()}`;
      poisonIds.push(mid);
      await poison(customer, mid);
    }
    expect(poisonIds).toHaveLength(10);

    const listed = await eventually(async () => {
      const items = await deadLetters();
      return items.length >= 10 && (await dlqDepth()) >= 10 ? items : undefined;
    }, 120_000, 500);
    // a while longer: nothing else arrives late, nothing listed leaves
    await new Promise((r) => setTimeout(r, 6_000));
    expect(await dlqDepth()).toBe(10);
    const final = await deadLetters();
    expect(final).toHaveLength(10);
    expect(final.map((d) => d.deliveryId).sort()).toEqual([...poisonIds].sort());
    expect(listed.map((d) => d.id).sort()).toEqual(final.map((d) => d.id).sort());
    for (const d of final) {
      expect(d).toMatchObject({ queue: 'inbound', platform: 'messenger', channelKey: pageId, attempts: 5 });
      expect(d.error).toMatch(/timestamp/);
      expect(d.conversation).toMatch(/^[78]0{10}\d$/);
      expect(Number.isNaN(Date.parse(d.firstSeenAt))).toBe(false);
    }

    const stored = await conversations();
    for (const customer of customers) expect(stored.get(customer)).toEqual([sent.get(customer)]);
    expect(local.output()).not.toContain('batchItemFailures named a message outside the batch');
    expect(local.output()).toMatch(/"level":"ERROR".*"message":"message failed its last attempt and goes to the dead-letter queue"/);
  }, 240_000);

  it('lists a record that failed on a broken item with its error, and after the fix stores it once on redrive', async () => {
    // an operator's bad manual edit: the Page's mapping no longer names a channel id
    const pageKey = { pk: { S: `PAGE#${brokenPageId}` }, sk: { S: 'PAGE' } };
    const before = await ddb.send(new UpdateItemCommand({ TableName: tableName, Key: pageKey, UpdateExpression: 'SET channelId = :n', ExpressionAttributeValues: { ':n': { N: '42' } }, ReturnValues: 'UPDATED_OLD' }));
    const channelId = before.Attributes?.channelId?.S ?? '';
    expect(channelId).not.toBe('');

    const customer = '7100000000001';
    const text = 'Bom dia! A encomenda chegou partida 📦💔';
    await webhook(brokenPageId, customer, 'm_broken_page_1', text);
    // the last receive is listed before its work starts (a timeout still leaves a reason), so the
    // list is read once the message is in the DLQ and that receive has recorded how it failed
    const dead = await eventually(async () => {
      if ((await dlqDepth()) !== 11) return undefined;
      const found = (await deadLetters()).find((d) => d.deliveryId === 'm_broken_page_1');
      return found && found.error !== unfinishedError ? found : undefined;
    }, 120_000, 500);
    expect(dead).toMatchObject({ platform: 'messenger', channelKey: brokenPageId, conversation: customer, attempts: 5 });
    expect(dead.error).toMatch(/channelId/);

    // the operator repairs the item and redrives that one message; the other ten stay
    await ddb.send(new UpdateItemCommand({ TableName: tableName, Key: pageKey, UpdateExpression: 'SET channelId = :c', ExpressionAttributeValues: { ':c': { S: channelId } } }));
    const redrive = await local.api('POST', '/api/dead-letters/redrive', { ids: [dead.id, 'not-in-the-dlq'] }, admin);
    expect(redrive.status).toBe(200);
    expect(redrive.body).toEqual({ redriven: [dead.id], notFound: ['not-in-the-dlq'] });
    expect(await dlqDepth()).toBe(10);
    expect((await deadLetters()).map((d) => d.id)).not.toContain(dead.id);

    const chats = await eventually(async () => {
      const found = (await conversations()).get(customer);
      return found?.[0]?.length ? found : undefined;
    }, 30_000, 250);
    expect(chats).toEqual([[text]]);

    // the same message once more (a second webhook delivery from Meta) is still stored once
    await webhook(brokenPageId, customer, 'm_broken_page_1', text);
    await new Promise((r) => setTimeout(r, 3_000));
    expect((await conversations()).get(customer)).toEqual([[text]]);
    expect(await dlqDepth()).toBe(10);
  }, 240_000);

  it('redrives everything left, and a second redrive finds nothing', async () => {
    const before = await deadLetters();
    const all = await local.api('POST', '/api/dead-letters/redrive', {}, admin);
    expect(all.status).toBe(200);
    expect((all.body as { redriven: string[] }).redriven.sort()).toEqual(before.map((d) => d.id).sort());
    expect(await deadLetters()).toEqual([]);
    const again = await local.api('POST', '/api/dead-letters/redrive', { queue: 'inbound' }, admin);
    expect(again.body).toEqual({ redriven: [], notFound: [] });
    // still poison: each comes back to the list after its retries, with a fresh message id
    const back = await eventually(async () => {
      const items = await deadLetters();
      return items.length === before.length ? items : undefined;
    }, 120_000, 500);
    expect(back.map((d) => d.deliveryId).sort()).toEqual(before.map((d) => d.deliveryId).sort());
  }, 240_000);

  it('Chatwoot #6046, duplicate conversations from Meta retries: the same first message delivered several times at once opens ONE chat', async () => {
    const customer = '7200000000001';
    const text = 'Olá! Primeira mensagem 👋🏽';
    // Meta retries at once through the webhook, and twice more past SQS's deduplication window (as fresh queue messages)
    const at = ++clock;
    await Promise.all(Array.from({ length: 5 }, () => webhook(pageId, customer, 'm_retried_first', text, at)));
    for (const n of [1, 2]) {
      const envelope = {
        channelType: 'messenger' as const,
        channelKey: pageId,
        conversationKey: customer,
        receivedAt: new Date().toISOString(),
        deliveryId: 'm_retried_first',
        event: { kind: 'message', platformMessageId: 'm_retried_first', timestamp: at, customer: { id: customer }, text },
      };
      await sqs.send(new SendMessageCommand({ QueueUrl: inboundUrl, MessageBody: JSON.stringify(envelope), MessageGroupId: messageGroupOf(envelope), MessageDeduplicationId: `late-retry-${n}` }));
    }
    await eventually(async () => ((await conversations()).get(customer) ? true : undefined), 30_000, 250);
    await new Promise((r) => setTimeout(r, 4_000));
    expect((await conversations()).get(customer)).toEqual([[text]]);
  }, 120_000);

  it('names the bad field of a redrive request and lists nothing for an unknown queue', async () => {
    const bad = await local.api('POST', '/api/dead-letters/redrive', { ids: [] }, admin);
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain('ids');
    const unknown = await local.api('GET', '/api/dead-letters?queue=timers', undefined, admin);
    expect(unknown.status).toBe(400);
    expect(JSON.stringify(unknown.body)).toContain('queue');
    const agent = await local.token('alice', ['agents'], 'Alice');
    expect((await local.api('GET', '/api/dead-letters', undefined, agent)).status).toBe(403);
  });
});
