import { startFakeGraph, type FakeGraph } from '../support/fake-graph';
import { eventually, startLocalRuntime, type ApiResponse, type LocalRuntime } from '../support/runtime';

jest.setTimeout(60_000);

const appSecret = 'e2e-app-secret-7d1f0c2a9b';
const pageToken = 'EAAG-e2e-page-token-51c9e07a';
let graph: FakeGraph;
let local: LocalRuntime;
let admin: string;
let agent: string;
const answers: ApiResponse[] = [];

async function api(method: string, path: string, body?: unknown, token: string | undefined = admin): Promise<ApiResponse> {
  const res = await local.api(method, path, body, token);
  answers.push(res);
  return res;
}

function field(res: ApiResponse): string[] {
  const body = res.body as { error?: { details?: { field: string }[] } };
  return (body.error?.details ?? []).map((d) => d.field);
}

function errorCode(res: ApiResponse): string | undefined {
  return (res.body as { error?: { code?: string } }).error?.code;
}

beforeAll(async () => {
  graph = await startFakeGraph({ pages: { '105123': { name: 'Acme Support', token: pageToken } } });
  local = await startLocalRuntime({ env: { GRAPH_API_URL: graph.url } });
  [admin, agent] = await Promise.all([local.token('root', ['chat-admins'], 'Root'), local.token('ann', ['agents'], 'Ann')]);
});

afterAll(async () => {
  await local?.stop();
  await graph?.stop();
});

describe('management API on the local runtime', () => {
  it('answers 401 without a token, 403 to an agent and 200 to a chat admin', async () => {
    expect((await api('GET', '/api/settings', undefined, '')).status).toBe(401);
    expect((await api('GET', '/api/settings', undefined, 'not.a.jwt')).status).toBe(401);
    expect((await api('GET', '/api/settings', undefined, agent)).status).toBe(403);
    expect((await api('GET', '/api/settings')).status).toBe(200);
  });

  it('sets up a Messenger channel end to end: queue, agent, Meta app, Page, activation, connection test', async () => {
    const queue = await api('POST', '/api/queues', { name: 'Support', routingRule: 'available-agent', completionTimeoutSeconds: 900, members: { users: [], groups: ['agents'] } });
    expect(queue.status).toBe(201);
    const queueId = (queue.body as { id: string }).id;

    const agentPut = await api('PUT', '/api/agents/ann', { displayName: 'Ann', groups: ['agents'] });
    expect(agentPut.body).toMatchObject({ id: 'ann', queues: [queueId], status: 'offline', load: 0, connected: false });

    const app = await api('POST', '/api/messenger-apps', { appId: '444555666777888', appSecret });
    expect(app.status).toBe(201);
    expect(app.body).toMatchObject({ callbackUrl: `${local.baseUrl}/webhooks/messenger/444555666777888` });

    // Meta's handshake works with the verify token the API generated.
    const verifyToken = (app.body as { verifyToken: string }).verifyToken;
    const handshake = await fetch(`${local.baseUrl}/webhooks/messenger/444555666777888?hub.mode=subscribe&hub.verify_token=${verifyToken}&hub.challenge=42`);
    expect(await handshake.text()).toBe('42');

    const channel = await api('POST', '/api/channels', { type: 'messenger', appId: '444555666777888', pageId: '105123', pageAccessToken: pageToken });
    expect(channel.status).toBe(201);
    const channelId = (channel.body as { id: string }).id;
    expect(channel.body).toMatchObject({ name: 'Acme Support', active: false, queueId: null, provisioningState: 'running' });

    const active = await api('PATCH', `/api/channels/${channelId}`, { active: true, queueId });
    expect(active.body).toMatchObject({ active: true, queueId });
    expect((await api('POST', `/api/channels/${channelId}/test`)).body).toEqual({ ok: true, detail: 'Connected to Page Acme Support.' });

    expect(errorCode(await api('DELETE', `/api/queues/${queueId}`))).toBe('queue_in_use');
    expect(errorCode(await api('DELETE', '/api/messenger-apps/444555666777888'))).toBe('app_in_use');
    const listed = await api('GET', '/api/channels?limit=10');
    expect((listed.body as { items: unknown[] }).items).toHaveLength(1);
  });

  it('names the bad field, answers 404 for what does not exist and 400 for a token Meta refuses', async () => {
    expect(field(await api('POST', '/api/queues', { name: 'X', routingRule: 'round-robin' }))).toEqual(['routingRule']);
    expect(field(await api('PATCH', '/api/settings', { acceptTimeoutSeconds: 1 }))).toEqual(['acceptTimeoutSeconds']);
    expect((await api('GET', '/api/queues/does-not-exist')).status).toBe(404);
    expect((await api('GET', '/api/chats/does-not-exist')).status).toBe(404);
    const refused = await api('POST', '/api/channels', { type: 'messenger', appId: '444555666777888', pageId: '105999', pageAccessToken: 'EAAG-wrong-token-123' });
    expect(refused.status).toBe(400);
    expect(errorCode(refused)).toBe('invalid_token');
  });

  it('answers input alone with a 4xx, never a 5xx: bad escapes, forged page tokens, long ids, a comma in a group name', async () => {
    // API Gateway refuses a path whose percent escapes do not decode, before any route runs.
    const escape = await api('GET', '/api/agents/%E0%A4%A');
    expect({ status: escape.status, body: escape.body }).toEqual({ status: 400, body: { message: 'Bad Request' } });
    expect((await api('POST', '/webhooks/telegram/%E0%A4%A', {})).status).toBe(400);
    const forged = await api('GET', '/api/agents?nextToken=e30');
    expect([forged.status, errorCode(forged), field(forged)]).toEqual([400, 'invalid_token', ['nextToken']]);
    const long = await api('GET', `/api/agents/${'a'.repeat(5000)}`);
    expect([long.status, field(long)]).toEqual([400, ['agentId']]);
    const commaGroup = await local.token('mallory', ['agents,chat-admins'], 'Mallory');
    expect((await api('GET', '/api/settings', undefined, commaGroup)).status).toBe(403);
  });

  it('serves its OpenAPI document', async () => {
    const res = await api('GET', '/api/openapi.json');
    expect(res.body).toMatchObject({ openapi: '3.1.0', paths: expect.objectContaining({ '/api/channels/{channelId}/test': expect.any(Object) }) });
  });

  it('names in every log line the function that wrote it, even while functions run concurrently', async () => {
    // when the admin API and the Messenger handshake run at the same time, many times over
    await Promise.all(
      Array.from({ length: 12 }, (_, i) => [
        api('GET', `/api/agents?limit=${(i % 5) + 1}`),
        fetch(`${local.baseUrl}/webhooks/messenger/444555666777888?hub.mode=subscribe&hub.verify_token=wrong-token-${i}&hub.challenge=${i}`).then((r) => r.arrayBuffer()),
      ]).flat(),
    );
    // then each line names its own function
    const linesNow = () =>
      local
        .output()
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as { message?: string; function_name?: string });
    const refusedNow = () => linesNow().filter((l) => l.message === 'webhook verification refused');
    await eventually(async () => (refusedNow().length >= 12 ? true : undefined));
    const admin = linesNow().filter((l) => l.message === 'admin request');
    expect(admin.length).toBeGreaterThanOrEqual(12);
    expect(new Set(admin.map((l) => l.function_name))).toEqual(new Set(['omnichat-local-admin-api']));
    expect(new Set(refusedNow().map((l) => l.function_name))).toEqual(new Set(['omnichat-local-ingest-messenger-handshake']));
  });

  it('never shows a secret in an answer or a log line', async () => {
    // the child's log lines are part of what is searched
    expect(local.output()).toContain('admin request');
    const everything = JSON.stringify(answers.map((a) => a.body)) + local.output();
    expect(everything).not.toContain(appSecret);
    expect(everything).not.toContain(pageToken);
    expect(everything).not.toContain('EAAG-wrong-token-123');
  });
});
