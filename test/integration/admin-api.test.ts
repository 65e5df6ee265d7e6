import { randomUUID } from 'node:crypto';
import { Supervision } from '../../functions/services/supervision';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { z } from 'zod';
import { DynamoAdminStore } from '../../functions/adapters/dynamodb/admin-store';
import { ChannelDeletedMeanwhile, DynamoChatStore } from '../../functions/adapters/dynamodb/chats';
import { GraphApi } from '../../functions/adapters/graph-api';
import { Secrets } from '../../functions/adapters/secrets';
import { secretNames } from '../../functions/domain/secret-names';
import { TelegramApi } from '../../functions/adapters/telegram-api';
import { adminHandler } from '../../functions/admin/app';
import { telegramWebhookSecretName } from '../../functions/admin/channels';
import type { AdminDeps } from '../../functions/admin/route-table';
import type { RoutedChat } from '../../functions/domain/model';
import { startAwsControlPlane, region } from '../support/aws';
import { graphErrors, startFakeGraph, type FakeGraph } from '../support/fake-graph';
import { startFakeTelegram, type FakeTelegram } from '../support/fake-telegram';
import { routingHarness, type RoutingHarness } from '../support/routing-harness';
import { runningChannel } from '../support/routing-rig';
import { adminEvent, errorAnswer } from './admin-requests';
import { type AdminStore } from '../../functions/domain/ports';

const pageToken = 'EAAG-page-token-0123456789';
const botToken = '123456:AAE-bot-token-abcdefghijklmnop';
let controlPlane: Awaited<ReturnType<typeof startAwsControlPlane>>;
let graph: FakeGraph;
let telegram: FakeTelegram;

beforeAll(async () => {
  [controlPlane, graph, telegram] = await Promise.all([
    startAwsControlPlane(),
    startFakeGraph({ pages: { '105123': { name: 'Acme Support', token: pageToken } } }),
    startFakeTelegram({ bots: { [botToken]: { id: 123456, username: 'acme_bot', first_name: 'Acme' } } }),
  ]);
});
afterAll(async () => {
  await Promise.all([controlPlane.stop(), graph.stop(), telegram.stop()]);
});

async function setup(settings: { simultaneousChats?: number } = {}) {
  const h = await routingHarness(settings);
  const secrets = new Secrets(new SecretsManagerClient({ endpoint: controlPlane.endpoint, region, credentials: { accessKeyId: 'l', secretAccessKey: 'l' } }), `t${randomUUID()}`);
  const admin = new DynamoAdminStore(h.table);
  const deps: AdminDeps = {
    directory: h.directory,
    admin,
    chats: h.chats,
    secrets,
    graph: new GraphApi({ baseUrl: graph.url }),
    telegram: new TelegramApi({ baseUrl: telegram.url }),
    membership: () => h.membership,
    supervision: () => new Supervision({ dispatcher: h.dispatcher, store: h.store, directory: h.directory, chats: h.chats, clock: h.clock }),
    clock: () => new Date(),
    newId: randomUUID,
    publicApiUrl: 'https://api.example.com',
    fileLinks: { presentAll: async (_channelId, messages) => messages },
  };
  const handler = adminHandler(deps);
  const api = async (method: string, path: string, body?: unknown, groups?: string[] | null) => {
    const result = await handler(adminEvent(method, path, body, groups), {} as never);
    return { status: result.statusCode ?? 0, body: result.body ? JSON.parse(result.body) : undefined };
  };
  /** A customer's chat on a channel, as the router opens it. */
  const openChatOn = async (channelId: string, queueId: string | null = null, customerId: string = randomUUID()) => {
    const chat = newRoutedChat(channelId, { queueId, customer: { id: customerId, name: 'Pat' }, channelType: 'messenger' });
    await h.chats.openChat(chat, { message: { id: randomUUID(), chatId: chat.id, direction: 'in', text: 'hi there', sentAt: chat.createdAt, status: 'received' } });
    return chat;
  };
  return { h, api, admin, secrets, openChatOn };
}

/** A customer's chat on a channel, as the router opens it (state `bot`: nothing routes it). */
function newRoutedChat(channelId: string, given: Partial<RoutedChat> = {}): RoutedChat {
  const now = new Date().toISOString();
  return {
    id: randomUUID(),
    channelId,
    channelType: 'telegram',
    queueId: null,
    state: 'bot',
    agentId: null,
    customer: { id: randomUUID(), name: 'Дарья' },
    contactId: null,
    language: null,
    createdAt: now,
    lastMessageAt: now,
    version: 1,
    offeredTo: [],
    skipped: [],
    ...given,
  };
}

function code(body: unknown): string {
  return errorAnswer.parse(body).error.code;
}

describe('settings', () => {
  it('routes a waiting chat at once when simultaneousChats grows', async () => {
    // given ann at her limit of one chat, and a second chat waiting
    const { h, api } = await setup({ simultaneousChats: 1 });
    await h.queue({ id: 'q1' });
    await h.agent('ann', { connected: true });
    await h.customerWrites('q1');
    await h.customerWrites('q1');
    expect(h.offersTo('ann')).toHaveLength(1);
    // when
    const res = await api('PATCH', '/api/settings', { simultaneousChats: 2, siteUrl: 'https://chat.example.com/' });
    // then
    expect(res.body).toEqual({ simultaneousChats: 2, acceptTimeoutSeconds: 300, siteUrl: 'https://chat.example.com' });
    expect(h.offersTo('ann')).toHaveLength(2);
  });
});

describe('agents', () => {
  it('registers an agent into the queues of their groups and shows live status, load and connection', async () => {
    const { h, api } = await setup();
    await h.queue({ id: 'sales', members: { users: [], groups: ['sellers'] } });
    const put = await api('PUT', '/api/agents/ann', { displayName: 'Ann', groups: ['sellers'], simultaneousChats: 3 });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ id: 'ann', queues: ['sales'], status: 'offline', load: 0, connected: false, simultaneousChats: 3 });
    await h.dispatcher.connected('ann', 'conn-1');
    const got = await api('GET', '/api/agents/ann');
    expect(got.body).toMatchObject({ status: 'active', connected: true });
    const list = await api('GET', '/api/agents');
    expect(list.body.items.map((a: { id: string }) => a.id)).toEqual(['ann']);
  });

  it('refuses to remove an agent who holds a chat, and removes an idle one with their memberships', async () => {
    const { h, api } = await setup();
    await h.queue({ id: 'q1' });
    await h.agent('ann', { connected: true });
    await h.agent('bob');
    await h.customerWrites('q1');
    expect((await api('DELETE', '/api/agents/ann')).body.error.code).toBe('agent_has_chats');
    expect((await api('DELETE', '/api/agents/bob')).status).toBe(204);
    expect((await api('GET', '/api/agents/bob')).status).toBe(404);
    const left = await h.table.queryPartition(z.object({ sk: z.string() }), { pk: 'AGENT#bob', consistent: true });
    expect(left.items).toEqual([]);
  });
});

describe('queues', () => {
  it('creates, pages through, changes and deletes queues, keeping agents’ membership in step', async () => {
    const { h, api } = await setup();
    await h.agent('ann');
    const created = await api('POST', '/api/queues', { name: 'Sales', routingRule: 'all-agents', members: { users: ['ann'], groups: [] } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: 'Sales', routingRule: 'all-agents', completionTimeoutSeconds: null });
    const id: string = created.body.id;
    expect((await h.directory.agentItem('ann'))?.queues).toEqual([id]);
    await api('POST', '/api/queues', { name: 'Support', routingRule: 'available-agent', completionTimeoutSeconds: 600 });

    const first = await api('GET', '/api/queues?limit=1');
    expect(first.body.items).toHaveLength(1);
    const second = await api('GET', `/api/queues?limit=1&nextToken=${first.body.nextToken}`);
    expect(second.body.items[0].name).toBe('Support');

    const patched = await api('PATCH', `/api/queues/${id}`, { members: { users: [], groups: [] }, completionTimeoutSeconds: 60 });
    expect(patched.body).toMatchObject({ id, name: 'Sales', completionTimeoutSeconds: 60 });
    expect((await h.directory.agentItem('ann'))?.queues).toEqual([]);

    expect((await api('DELETE', `/api/queues/${id}`)).status).toBe(204);
    expect((await api('GET', `/api/queues/${id}`)).status).toBe(404);
  });

  it('refuses to delete a queue a channel is linked to', async () => {
    const { api } = await setup();
    const queue = await api('POST', '/api/queues', { name: 'Sales', routingRule: 'all-agents' });
    await api('POST', '/api/messenger-apps', { appId: '444555', appSecret: 'app-secret-123456' });
    const channel = await api('POST', '/api/channels', { type: 'messenger', appId: '444555', pageId: '105123', pageAccessToken: pageToken });
    await api('PATCH', `/api/channels/${channel.body.id}`, { queueId: queue.body.id });
    const res = await api('DELETE', `/api/queues/${queue.body.id}`);
    expect(res.status).toBe(409);
    expect(code(res.body)).toBe('queue_in_use');
  });
});

describe('Meta apps and Messenger channels', () => {
  it('registers an app once, with a callback URL under siteUrl, keeping the secret in Secrets Manager', async () => {
    const { api, secrets } = await setup();
    await api('PATCH', '/api/settings', { siteUrl: 'https://chat.example.com' });
    const res = await api('POST', '/api/messenger-apps', { appId: '444555', appSecret: 'app-secret-123456', verifyToken: 'my-verify-token' });
    expect(res.body).toMatchObject({ appId: '444555', verifyToken: 'my-verify-token', callbackUrl: 'https://chat.example.com/webhooks/messenger/444555' });
    expect(await secrets.get(secretNames.messengerAppSecret(secrets.prefix, '444555'))).toBe('app-secret-123456');
    const again = await api('POST', '/api/messenger-apps', { appId: '444555', appSecret: 'another-secret-99' });
    expect(again.status).toBe(409);
    expect(await secrets.get(secretNames.messengerAppSecret(secrets.prefix, '444555'))).toBe('app-secret-123456');
    const rotated = await api('PATCH', '/api/messenger-apps/444555', { rotateVerifyToken: true, appSecret: 'rotated-secret-1' });
    expect(rotated.body.verifyToken).not.toBe('my-verify-token');
    expect(await secrets.get(secretNames.messengerAppSecret(secrets.prefix, '444555'))).toBe('rotated-secret-1');
  });

  it('connects a Page named from the Graph API, inactive and without a queue, token in Secrets Manager', async () => {
    const { api, secrets } = await setup();
    expect((await api('POST', '/api/channels', { type: 'messenger', appId: '444555', pageId: '105123', pageAccessToken: pageToken })).status).toBe(404);
    await api('POST', '/api/messenger-apps', { appId: '444555', appSecret: 'app-secret-123456' });
    const bad = await api('POST', '/api/channels', { type: 'messenger', appId: '444555', pageId: '105123', pageAccessToken: 'EAAG-wrong-token-000' });
    expect(bad.status).toBe(400);
    expect(code(bad.body)).toBe('invalid_token');
    expect(bad.body.error.message).toContain('Error validating access token');
    const res = await api('POST', '/api/channels', { type: 'messenger', appId: '444555', pageId: '105123', pageAccessToken: pageToken });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ type: 'messenger', name: 'Acme Support', active: false, queueId: null, provisioningState: 'running', lastError: null });
    expect(JSON.stringify(res.body)).not.toContain(pageToken);
    expect(await secrets.get(secretNames.channelToken(secrets.prefix, res.body.id))).toBe(pageToken);
    expect((await api('POST', '/api/channels', { type: 'messenger', appId: '444555', pageId: '105123', pageAccessToken: pageToken })).status).toBe(409);
  });

  it('activates a channel only with a queue that exists', async () => {
    const { api } = await setup();
    await api('POST', '/api/messenger-apps', { appId: '444555', appSecret: 'app-secret-123456' });
    const channel = (await api('POST', '/api/channels', { type: 'messenger', appId: '444555', pageId: '105123', pageAccessToken: pageToken })).body;
    expect(code((await api('PATCH', `/api/channels/${channel.id}`, { active: true })).body)).toBe('channel_needs_queue');
    expect((await api('PATCH', `/api/channels/${channel.id}`, { queueId: 'no-such-queue' })).status).toBe(404);
    const queue = (await api('POST', '/api/queues', { name: 'Sales', routingRule: 'all-agents' })).body;
    const res = await api('PATCH', `/api/channels/${channel.id}`, { active: true, queueId: queue.id, language: 'en', humanAgentTag: true });
    expect(res.body).toMatchObject({ active: true, queueId: queue.id, language: 'en', humanAgentTag: true });
  });

  it('marks a channel failed when the test finds its token invalidated, and running again after rotation', async () => {
    const { api } = await setup();
    await api('POST', '/api/messenger-apps', { appId: '444555', appSecret: 'app-secret-123456' });
    const channel = (await api('POST', '/api/channels', { type: 'messenger', appId: '444555', pageId: '105123', pageAccessToken: pageToken })).body;
    expect((await api('POST', `/api/channels/${channel.id}/test`)).body).toEqual({ ok: true, detail: 'Connected to Page Acme Support.' });
    graph.reply(graphErrors.tokenInvalid);
    const failed = await api('POST', `/api/channels/${channel.id}/test`);
    expect(failed.body.ok).toBe(false);
    const read = (await api('GET', `/api/channels/${channel.id}`)).body;
    expect(read).toMatchObject({ provisioningState: 'failed', lastError: expect.stringContaining('190') });
    const rotated = await api('PATCH', `/api/channels/${channel.id}`, { pageAccessToken: pageToken });
    expect(rotated.body).toMatchObject({ provisioningState: 'running', lastError: null });
  });

  it('refuses to delete a channel with chats, and to delete an app a channel uses; deletes an unused channel and its token', async () => {
    const { api, secrets, openChatOn } = await setup();
    await api('POST', '/api/messenger-apps', { appId: '444555', appSecret: 'app-secret-123456' });
    const channel = (await api('POST', '/api/channels', { type: 'messenger', appId: '444555', pageId: '105123', pageAccessToken: pageToken })).body;
    expect(code((await api('DELETE', '/api/messenger-apps/444555')).body)).toBe('app_in_use');
    await openChatOn(channel.id);
    const refused = await api('DELETE', `/api/channels/${channel.id}`);
    expect(refused.status).toBe(409);
    expect(code(refused.body)).toBe('channel_has_chats');

    graph.setPage('105124', { name: 'Acme Two', token: `${pageToken}-2` });
    const unused = (await api('POST', '/api/channels', { type: 'messenger', appId: '444555', pageId: '105124', pageAccessToken: `${pageToken}-2` })).body;
    expect((await api('DELETE', `/api/channels/${unused.id}`)).status).toBe(204);
    expect(await secrets.get(secretNames.channelToken(secrets.prefix, unused.id))).toBeUndefined();
    expect((await api('GET', `/api/channels/${unused.id}`)).status).toBe(404);
  });
});

describe('Telegram channels', () => {
  it('needs siteUrl, checks the bot token, and sets the webhook with a secret token kept in Secrets Manager', async () => {
    const { api, secrets } = await setup();
    expect(code((await api('POST', '/api/channels', { type: 'telegram', botToken })).body)).toBe('site_url_missing');
    await api('PATCH', '/api/settings', { siteUrl: 'https://chat.example.com' });
    const bad = await api('POST', '/api/channels', { type: 'telegram', botToken: '999999:AAE-not-a-known-bot-token' });
    expect(code(bad.body)).toBe('invalid_token');
    const res = await api('POST', '/api/channels', { type: 'telegram', botToken });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ type: 'telegram', name: 'acme_bot', botUsername: 'acme_bot', active: false });
    const webhook = telegram.webhooks.get(botToken);
    expect(webhook?.url).toBe(`https://chat.example.com/webhooks/telegram/${res.body.id}`);
    expect(webhook?.secretToken).toBe(await secrets.get(telegramWebhookSecretName(secrets.prefix, res.body.id)));
    expect(await secrets.get(secretNames.channelToken(secrets.prefix, res.body.id))).toBe(botToken);
  });
});

describe('chat actions, quick replies, contacts and chats', () => {
  it('manages chat actions of an existing queue', async () => {
    const { api } = await setup();
    expect((await api('POST', '/api/actions', { caption: 'Ticket', queueId: 'nope', detailType: 'TicketRequested' })).status).toBe(404);
    const queue = (await api('POST', '/api/queues', { name: 'Sales', routingRule: 'all-agents' })).body;
    const created = await api('POST', '/api/actions', { caption: 'Ticket', queueId: queue.id, detailType: 'TicketRequested' });
    expect(created.status).toBe(201);
    const patched = await api('PATCH', `/api/actions/${created.body.id}`, { caption: 'Open a ticket' });
    expect(patched.body).toMatchObject({ caption: 'Open a ticket', detailType: 'TicketRequested', queueId: queue.id });
    expect((await api('GET', '/api/actions')).body.items).toHaveLength(1);
    expect((await api('DELETE', `/api/actions/${created.body.id}`)).status).toBe(204);
    expect((await api('DELETE', `/api/actions/${created.body.id}`)).status).toBe(404);
  });

  it('keeps quick replies per language', async () => {
    const { api } = await setup();
    const created = await api('POST', '/api/quick-replies', { language: 'en', text: 'Thanks for waiting!' });
    expect(created.body).toMatchObject({ language: 'en', text: 'Thanks for waiting!', queueId: null });
    expect((await api('GET', '/api/quick-replies')).body.items).toHaveLength(1);
    expect((await api('DELETE', `/api/quick-replies/${created.body.id}`)).status).toBe(204);
    expect((await api('GET', '/api/quick-replies')).body.items).toEqual([]);
  });

  it('links a chat and its customer to a contact', async () => {
    const { api, admin, openChatOn } = await setup();
    const chat = await openChatOn('channel-1', null, 'psid-7');
    const contact = (await api('POST', '/api/contacts', { name: 'Pat Doe', email: 'pat@example.com' })).body;
    expect((await api('POST', `/api/chats/${chat.id}/contact`, { contactId: 'missing' })).status).toBe(404);
    const linked = await api('POST', `/api/chats/${chat.id}/contact`, { contactId: contact.id });
    expect(linked.body).toMatchObject({ id: chat.id, contactId: contact.id });
    expect(await admin.contactOfCustomer('channel-1', 'psid-7')).toBe(contact.id);
    expect((await api('GET', `/api/chats/${chat.id}`)).body).toMatchObject({ contactId: contact.id, messages: [expect.objectContaining({ text: 'hi there' })] });
  });

  it('lists chats by state, by agent, and across states page by page', async () => {
    const { h, api, openChatOn } = await setup();
    await h.queue({ id: 'q1' });
    await h.agent('ann', { connected: true });
    const offered = await h.customerWrites('q1');
    const botChat = await openChatOn('channel-1');
    expect((await api('GET', '/api/chats?state=bot')).body.items.map((c: { id: string }) => c.id)).toEqual([botChat.id]);
    expect((await api('GET', '/api/chats?state=offered&queueId=q1')).body.items.map((c: { id: string }) => c.id)).toEqual([offered]);
    await h.dispatcher.accept('ann', offered);
    expect((await api('GET', '/api/chats?agentId=ann')).body.items.map((c: { id: string }) => c.id)).toEqual([offered]);
    const first = await api('GET', '/api/chats?limit=1');
    const second = await api('GET', `/api/chats?limit=1&nextToken=${first.body.nextToken}`);
    expect([first.body.items[0].id, second.body.items[0].id]).toEqual([offered, botChat.id]);
    const third = second.body.nextToken ? await api('GET', `/api/chats?limit=1&nextToken=${second.body.nextToken}`) : undefined;
    expect(third?.body.items ?? []).toEqual([]);
  });
});

describe('lists and unique creates, as the stores decide them', () => {
  it('walks every chat once across states, in listing order, at any page size, and refuses one list’s token on another', async () => {
    const { h, api, openChatOn } = await setup();
    await h.queue({ id: 'q1' });
    await h.agent('ann', { connected: true });
    const offered = await h.customerWrites('q1');
    const bots = [await openChatOn('channel-1'), await openChatOn('channel-1'), await openChatOn('channel-1')]
      .sort((a, b) => `${a.createdAt}#${a.id}`.localeCompare(`${b.createdAt}#${b.id}`))
      .map((c) => c.id);
    for (const limit of [1, 2, 3, 4, 5]) {
      const seen: string[] = [];
      let token: string | undefined;
      do {
        const res = await api('GET', `/api/chats?limit=${limit}${token ? `&nextToken=${token}` : ''}`);
        expect(res.status).toBe(200);
        expect(res.body.items.length).toBeLessThanOrEqual(limit);
        seen.push(...res.body.items.map((c: { id: string }) => c.id));
        token = res.body.nextToken;
      } while (token);
      expect({ limit, seen }).toEqual({ limit, seen: [offered, ...bots] });
    }

    const allStates = (await api('GET', '/api/chats?limit=1')).body.nextToken as string;
    const botPage = (await api('GET', '/api/chats?state=bot&limit=1')).body.nextToken as string;
    await api('POST', '/api/queues', { name: 'Sales 💼', routingRule: 'all-agents' });
    await api('POST', '/api/queues', { name: 'Vendas 🇵🇹', routingRule: 'all-agents' });
    const queuePage = (await api('GET', '/api/queues?limit=1')).body.nextToken as string;
    for (const [list, token] of [
      ['/api/chats?state=bot', allStates],
      ['/api/chats?agentId=ann', allStates],
      ['/api/chats?state=waiting', botPage],
      ['/api/agents', queuePage],
      ['/api/chats', queuePage],
    ] as const) {
      const sep = list.includes('?') ? '&' : '?';
      const res = await api('GET', `${list}${sep}nextToken=${token}`);
      expect({ list, status: res.status, code: res.body.error?.code, fields: res.body.error?.details?.map((d: { field: string }) => d.field) }).toEqual({
        list,
        status: 400,
        code: 'invalid_token',
        fields: ['nextToken'],
      });
    }
    // each list still reads its own tokens
    expect((await api('GET', `/api/chats?limit=1&nextToken=${allStates}`)).status).toBe(200);
    expect((await api('GET', `/api/chats?state=bot&limit=1&nextToken=${botPage}`)).body.items).toHaveLength(1);
    expect((await api('GET', `/api/queues?limit=1&nextToken=${queuePage}`)).body.items).toHaveLength(1);
  });

  it('lets exactly one of concurrent creates of the same Meta app or Page win; the others answer 409 and keep nothing', async () => {
    const { api, h, secrets } = await setup();
    const apps = await Promise.all(Array.from({ length: 4 }, (_, i) => api('POST', '/api/messenger-apps', { appId: '777888', appSecret: `app-secret-😀-${i}` })));
    expect(apps.map((r) => r.status).sort()).toEqual([201, 409, 409, 409]);
    for (const r of apps.filter((x) => x.status === 409)) expect(code(r.body)).toBe('app_exists');

    const channels = await Promise.all(Array.from({ length: 4 }, () => api('POST', '/api/channels', { type: 'messenger', appId: '777888', pageId: '105123', pageAccessToken: pageToken })));
    expect(channels.map((r) => r.status).sort()).toEqual([201, 409, 409, 409]);
    for (const r of channels.filter((x) => x.status === 409)) expect(code(r.body)).toBe('page_in_use');
    // besides the channel the harness's customers write through
    const listed = ((await api('GET', '/api/channels')).body.items as { id: string }[]).filter((c) => c.id !== 'channel-1');
    expect(listed.map((c) => c.id)).toEqual([channels.find((r) => r.status === 201)?.body.id]);
    expect((await h.directory.channelOfPage('105123'))?.id).toBe(listed[0]?.id);
    expect(await secrets.get(secretNames.channelToken(secrets.prefix, listed[0]?.id ?? ''))).toBe(pageToken);
  });

  it('a chat opening and its channel being deleted at once: the table lets one of them happen, never a chat on a deleted channel', async () => {
    const { h, admin } = await setup();
    const outcomes = { deleted: 0, kept: 0 };
    for (let round = 0; round < 16; round++) {
      const channelId = `race-${round}-${randomUUID()}`;
      await h.directory.createChannel(runningChannel(channelId, { type: 'telegram', name: 'Бот поддержки 🤖' }));
      // a fresh store, as a fresh function instance: it has marked no channel yet
      const chats = new DynamoChatStore(h.table);
      const chat = newRoutedChat(channelId);
      const [opened, deleted] = await Promise.all([
        chats.openChat(chat, { message: { id: randomUUID(), chatId: chat.id, direction: 'in', text: 'Привет! Есть кто? 👋', sentAt: chat.createdAt, status: 'received' } }).catch((error: unknown) => error),
        admin.deleteChannel({ id: channelId }),
      ]);
      const stored = await h.table.get(z.looseObject({ pk: z.string() }), `CHAT#${chat.id}`, 'CHAT', true);
      if (deleted === 'deleted') {
        outcomes.deleted++;
        expect(opened).toBeInstanceOf(ChannelDeletedMeanwhile);
        expect(stored).toBeUndefined();
        expect(await h.directory.channel(channelId)).toBeUndefined();
      } else {
        outcomes.kept++;
        expect(deleted).toBe('hasChats');
        expect(opened).toBe(true);
        expect(await h.directory.channel(channelId)).toBeDefined();
        expect(await admin.channelHasChats(channelId)).toBe(true);
        // no byChannel entry: the channel's CHATS item says it has chats
        expect(stored).toBeDefined();
        expect(stored?.channelPk).toBeUndefined();
      }
    }
    expect(outcomes.deleted + outcomes.kept).toBe(16);
  });

  it('reports a taken Meta app or Page as a lost create at the store', async () => {
    const { h } = await setup();
    const app = { appId: '999000', verifyToken: 'verify-token-1', createdAt: new Date().toISOString() };
    expect(await h.directory.createMessengerApp(app)).toBe('done');
    expect(await h.directory.createMessengerApp({ ...app, verifyToken: 'verify-token-2' })).toBe('lost');
    expect((await h.directory.messengerApp('999000'))?.verifyToken).toBe('verify-token-1');
    const channel = {
      id: randomUUID(),
      type: 'messenger' as const,
      name: 'Página 🇧🇷',
      active: false,
      queueId: null,
      language: null,
      provisioningState: 'running' as const,
      lastError: null,
      humanAgentTag: false,
      appId: '999000',
      pageId: '55501',
      createdAt: new Date().toISOString(),
    };
    expect(await h.directory.createChannel(channel)).toBe('done');
    const other = { ...channel, id: randomUUID() };
    expect(await h.directory.createChannel(other)).toBe('lost');
    expect(await h.directory.channel(other.id)).toBeUndefined();
    expect((await h.directory.channelOfPage('55501'))?.id).toBe(channel.id);
  });
});
