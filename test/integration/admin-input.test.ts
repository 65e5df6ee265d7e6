/**
 * The management API answers bad input with a 4xx that changes nothing: whatever the path, query
 * and body, over DynamoDB Local and the real SDK clients, it never answers 5xx.
 */
import { DynamoWrapUp } from '../../functions/adapters/dynamodb/wrap-up';
import { WrapUpService, allQuickReplies } from '../../functions/services/wrap-up';
import { randomUUID } from 'node:crypto';
import { Supervision } from '../../functions/services/supervision';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import fc from 'fast-check';
import { DynamoAdminStore } from '../../functions/adapters/dynamodb/admin-store';
import { GraphApi } from '../../functions/adapters/graph-api';
import { Secrets } from '../../functions/adapters/secrets';
import { TelegramApi } from '../../functions/adapters/telegram-api';
import { adminHandler, adminRoutes } from '../../functions/admin/app';
import type { AdminDeps } from '../../functions/admin/route-table';
import { createTestQueues, sqs, startAwsControlPlane, region } from '../support/aws';
import { DeadLetterQueues, FailureLog } from '../../functions/adapters/dead-letters';
import { startFakeGraph, type FakeGraph } from '../support/fake-graph';
import { startFakeTelegram, type FakeTelegram } from '../support/fake-telegram';
import { routingHarness, type RoutingHarness } from '../support/routing-harness';
import { adminEvent, errorAnswer } from './admin-requests';
import { type AdminStore } from '../../functions/domain/ports';

const pageToken = 'EAAG-page-token-0123456789';
const botToken = '123456:AAE-bot-token-abcdefghijklmnop';
let controlPlane: Awaited<ReturnType<typeof startAwsControlPlane>>;
let graph: FakeGraph;
let telegram: FakeTelegram;
let h: RoutingHarness;
let api: (method: string, path: string, body?: unknown, groups?: string[] | null) => Promise<{ status: number; body: unknown }>;
let chatId: string;

beforeAll(async () => {
  [controlPlane, graph, telegram] = await Promise.all([
    startAwsControlPlane(),
    startFakeGraph({ pages: { '105123': { name: 'Acme Support', token: pageToken } } }),
    startFakeTelegram({ bots: { [botToken]: { id: 123456, username: 'acme_bot', first_name: 'Acme' } } }),
  ]);
  h = await routingHarness();
  const queues = await createTestQueues();
  const failures = new FailureLog(h.table, () => new Date());
  const deps: AdminDeps = {
    directory: h.directory,
    admin: new DynamoAdminStore(h.table),
    chats: h.chats,
    secrets: new Secrets(new SecretsManagerClient({ endpoint: controlPlane.endpoint, region, credentials: { accessKeyId: 'l', secretAccessKey: 'l' } }), `t${randomUUID()}`),
    graph: new GraphApi({ baseUrl: graph.url }),
    telegram: new TelegramApi({ baseUrl: telegram.url }),
    membership: () => h.membership,
    supervision: () => new Supervision({ dispatcher: h.dispatcher, store: h.store, directory: h.directory, chats: h.chats, clock: h.clock }),
    wrapUp: () => {
      const store = new DynamoWrapUp(h.table);
      const admin = new DynamoAdminStore(h.table);
      return new WrapUpService({ store, history: store, chats: h.chats, directory: h.directory, quickReplies: () => allQuickReplies(admin), notifier: { notify: async () => undefined }, clock: () => new Date(), newId: randomUUID });
    },
    clock: () => new Date(),
    newId: randomUUID,
    publicApiUrl: 'https://api.example.com',
    fileLinks: { presentAll: async (_channelId, messages) => messages },
    deadLetters: {
      failures,
      queues: new DeadLetterQueues(
        sqs(),
        { inbound: { dlqUrl: queues.inbound.dlq.url, sourceUrl: queues.inbound.url }, outbound: { dlqUrl: queues.outbound.dlq.url, sourceUrl: queues.outbound.url } },
        failures,
      ),
    },
  };
  const handler = adminHandler(deps);
  api = async (method, path, body, groups) => {
    const result = await handler(adminEvent(method, path, body, groups), {} as never);
    return { status: result.statusCode ?? 0, body: result.body ? JSON.parse(result.body) : undefined };
  };
  // A few of everything, so lists have pages and ids exist.
  await h.queue({ id: 'q1' });
  await h.agent('ann', { connected: true });
  await h.agent('bob');
  chatId = await h.customerWrites('q1', randomUUID());
  await h.customerWrites('q1', randomUUID());
  await h.customerWrites('q1', randomUUID());
  expect((await api('POST', '/api/contacts', { name: 'Zoë 😀' })).status).toBe(201);
  expect((await api('POST', '/api/quick-replies', { language: 'pt', text: 'Olá 👍🏽' })).status).toBe(201);
});
afterAll(async () => {
  await Promise.all([controlPlane.stop(), graph.stop(), telegram.stop()]);
});

async function tableItems(): Promise<string> {
  const items: unknown[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await h.table.client.send(new ScanCommand({ TableName: h.table.name, ConsistentRead: true, ExclusiveStartKey: startKey }));
    items.push(...(page.Items ?? []));
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return JSON.stringify(items.map((i) => JSON.stringify(i)).sort());
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
const long = (n: number, c = 'a') => c.repeat(n);

/** Path ids as customers and attackers send them. */
const pathId = fc.oneof(
  fc.constantFrom('q1', 'ann', 'bob', 'nobody', '105123', 'cust-1'),
  fc.constant('CHAT').map(() => chatId),
  fc.constantFrom(long(129), long(2049), long(5000), long(700, 'é'), '%E0%A4%A', '%', '%ZZ', '%C0%AF', '%F0%9F%98', '%00', '%2F', 'a%20b', '😀', '👨‍👩‍👧', '𝕳', '..', '.', 'ACTION#x', 'a:b@c'),
  fc.string({ unit: 'grapheme', maxLength: 40 }).map(encodeURIComponent),
  fc.integer({ min: 129, max: 6000 }).map((n) => long(n)),
);

const keyValue = fc.oneof(fc.constantFrom('', 'QUEUE', 'AGENT', 'CHATS#waiting', 'CHATS#closed', 'AGENT#ann', 'CHAT#x', 'x', long(2049), long(1025)), fc.string(), fc.integer(), fc.constant(null), fc.constant({ S: 'QUEUE' }));
/** Tokens the API never gave out: `{}`, other lists' keys, keys of the wrong shape, junk. */
const forgedToken = fc.oneof(
  fc.constantFrom('e30', b64([]), b64('x'), b64(null), b64({ pk: 'QUEUE#q1' }), 'not base64!', '%%%', long(3000, 'A'), '=', b64({ pk: 'x', sk: 'y', kindPk: 'QUEUE', kindSk: 'z', extra: 'w' })),
  fc.record({ pk: keyValue, sk: keyValue, kindPk: keyValue, kindSk: keyValue }, { requiredKeys: [] }).map(b64),
  fc.record({ pk: keyValue, sk: keyValue, agentPk: keyValue, agentSk: keyValue }, { requiredKeys: [] }).map(b64),
  fc.jsonValue().map(b64),
  fc.string({ maxLength: 60 }),
);

const query = fc.oneof(
  { weight: 4, arbitrary: fc.record({ nextToken: forgedToken, limit: fc.constantFrom('1', '2', '50') }, { requiredKeys: ['nextToken'] }) },
  {
    weight: 2,
    arbitrary: fc.record(
      {
        nextToken: forgedToken,
        limit: fc.oneof(fc.constantFrom('0', '1', '2', '100', '101', '-1', '1.5', 'x', ''), fc.integer().map(String)),
        state: fc.constantFrom('bot', 'waiting', 'offered', 'assigned', 'closed', 'open', ''),
        queueId: pathId,
        agentId: pathId,
      },
      { requiredKeys: [] },
    ),
  },
  { weight: 1, arbitrary: fc.dictionary(fc.string({ maxLength: 10 }), fc.string({ maxLength: 20 }), { maxKeys: 3 }) },
);

const anyValue = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 30 }),
  fc.constantFrom('q1', 'ann', '105123', botToken, pageToken, 'messenger', 'telegram', 'en', 'pt-BR', 'https://chat.example.com', long(5000), 'javascript:alert(1)'),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.oneof(fc.constantFrom('q1', 'sellers', long(200)), fc.string()), { maxLength: 3 }),
  fc.dictionary(fc.constantFrom('users', 'groups', 'greeting', 'default', 'en'), fc.oneof(fc.string(), fc.array(fc.string(), { maxLength: 2 }))),
);
const fieldNames = ['displayName', 'groups', 'simultaneousChats', 'name', 'queueId', 'caption', 'detailType', 'type', 'appId', 'pageId', 'pageAccessToken', 'botToken', 'appSecret', 'verifyToken', 'language', 'text', 'contactId', 'email', 'phone', 'active', 'routingRule', 'members', 'languages', 'allAgentsBusyAfterSeconds', 'siteUrl', 'acceptTimeoutSeconds'] as const;
const body = fc.oneof(
  fc.constant(undefined),
  fc.dictionary(fc.constantFrom(...fieldNames), anyValue, { maxKeys: 5 }),
  fc.jsonValue({ maxDepth: 2 }),
);

const fill = (template: string, id: string, slash: boolean) => template.replace(/\{\w+\}/g, id) + (slash ? '/' : '');
const request = fc.record({
  route: fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...adminRoutes.map((r) => ({ method: r.method as string, path: r.path }))) },
    { weight: 1, arbitrary: fc.record({ method: fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'), path: fc.constantFrom(...adminRoutes.map((r) => r.path)) }) },
  ),
  id: pathId,
  slash: fc.boolean(),
  query,
  body,
}).map(({ route, id, slash, query: q, body: b }) => ({ method: route.method, path: fill(route.path, id, slash), query: q, body: b }));

function withQuery(path: string, q: Record<string, string>): string {
  const search = new URLSearchParams(q).toString();
  return search ? `${path}?${search}` : path;
}

describe('the management API under any input', () => {
  it('never answers 5xx, and a 4xx changes nothing', async () => {
    await fc.assert(
      fc.asyncProperty(request, async ({ method, path, query: q, body: b }) => {
        const before = await tableItems();
        const res = await api(method, withQuery(path, q), b);
        if (res.status >= 500) throw new Error(`${method} ${path} answered ${res.status}: ${JSON.stringify(res.body)}`);
        if (res.status >= 400) {
          errorAnswer.parse(res.body);
          expect(await tableItems()).toBe(before);
        }
      }),
      { numRuns: 300 },
    );
  }, 240_000);

  it.each(['/api/agents', '/api/queues', '/api/channels', '/api/messenger-apps', '/api/actions', '/api/quick-replies', '/api/contacts', '/api/chats', '/api/chats?state=waiting', '/api/chats?agentId=ann'])(
    'refuses a forged nextToken on %s with 400 invalid_token',
    async (list) => {
      const sep = list.includes('?') ? '&' : '?';
      for (const token of ['e30', b64({ pk: 'QUEUE#q1', sk: 'QUEUE', kindPk: 'SETTINGS', kindSk: 'x' }), b64({ pk: 'CHAT#x', sk: 'CHAT', agentPk: 'AGENT#bob', agentSk: 'CHAT#x' }), b64({ pk: 'a', sk: 'b', readyPk: 'c', readySk: 'd' })]) {
        const res = await api('GET', `${list}${sep}nextToken=${token}`);
        expect(res.status).toBe(400);
        expect(errorAnswer.parse(res.body).error).toMatchObject({ code: 'invalid_token', details: [{ field: 'nextToken' }] });
      }
    },
  );

  it('pages every list with the tokens it gives out', async () => {
    for (const list of ['/api/agents', '/api/chats', '/api/chats?state=waiting', '/api/chats?agentId=ann']) {
      const sep = list.includes('?') ? '&' : '?';
      const first = await api('GET', `${list}${sep}limit=1`);
      expect(first.status).toBe(200);
      const token = (first.body as { nextToken?: string }).nextToken;
      if (list === '/api/agents' || list === '/api/chats') expect(token).toBeDefined();
      if (token) expect((await api('GET', `${list}${sep}limit=1&nextToken=${token}`)).status).toBe(200);
    }
  });

  it('caps path ids: 400 naming the field, on every route with an id', async () => {
    for (const r of adminRoutes.filter((x) => x.path.includes('{'))) {
      const field = /\{(\w+)\}/.exec(r.path)?.[1] ?? '';
      const res = await api(r.method, r.path.replace(/\{\w+\}/g, long(5000)), r.method === 'GET' || r.method === 'DELETE' ? undefined : {});
      expect({ route: `${r.method} ${r.path}`, status: res.status }).toEqual({ route: `${r.method} ${r.path}`, status: 400 });
      expect(errorAnswer.parse(res.body).error.details?.map((d) => d.field)).toContain(field);
    }
  });

  it('answers a malformed percent escape in a path with 400 naming the field', async () => {
    const res = await api('GET', '/api/agents/%E0%A4%A');
    expect(res.status).toBe(400);
    expect(errorAnswer.parse(res.body).error.details).toEqual([{ field: 'agentId', message: expect.any(String) }]);
  });

  it('refuses every route to a caller whose one group name holds a comma', async () => {
    for (const r of adminRoutes) {
      const res = await api(r.method, r.path.replace(/\{\w+\}/g, 'q1'), undefined, ['agents,chat-admins']);
      expect({ route: `${r.method} ${r.path}`, status: res.status }).toEqual({ route: `${r.method} ${r.path}`, status: 403 });
    }
    expect((await api('GET', '/api/agents', undefined, ['agents', 'chat-admins'])).status).toBe(200);
  });
});
