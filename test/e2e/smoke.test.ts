/**
 * `npm run smoke` against the local runtime with dev tokens: every step passes, the channel is put back
 * and the throwaway queue deleted; a wrong app secret fails the webhook step, exits 1, and still cleans up.
 */
import { spawn } from 'node:child_process';
import { startFakeGraph, type FakeGraph } from '../support/fake-graph';
import { nodeBinary, projectRoot, startLocalRuntime, type LocalRuntime } from '../support/runtime';

const appId = '333444555666777';
const appSecret = 'smoke-app-secret-0123456789abcdef';
const pageId = '106000000000042';
const pageToken = 'EAAG-smoke-page-token';

function runSmoke(args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolveRun) => {
    const child = spawn(nodeBinary, ['--disable-warning=ExperimentalWarning', '--import', 'tsx', 'bin/smoke.ts', ...args], { cwd: projectRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code) => resolveRun({ code, output }));
  });
}

describe('npm run smoke against the local runtime', () => {
  let local: LocalRuntime;
  let graph: FakeGraph;
  let admin: string;
  let agentToken: string;
  let channelId: string;
  let homeQueueId: string;

  const flags = (secret: string) => [
    '--api', local.baseUrl, '--ws', local.wsUrl, '--admin-token', admin, '--agent-token', agentToken,
    '--app-id', appId, '--app-secret', secret, '--page-id', pageId, '--timeout-seconds', '20',
  ];

  beforeAll(async () => {
    graph = await startFakeGraph({ pages: { [pageId]: { name: 'Smoke Page', token: pageToken } } });
    local = await startLocalRuntime({ env: { GRAPH_API_URL: graph.url } });
    admin = await local.token('admin', ['chat-admins'], 'Admin');
    agentToken = await local.token('smoky', ['agents'], 'Smoky Agent');
    expect((await local.api('POST', '/api/messenger-apps', { appId, appSecret }, admin)).status).toBe(201);
    expect((await local.api('PUT', '/api/agents/smoky', { displayName: 'Smoky Agent', groups: ['agents'] }, admin)).status).toBe(200);
    const queue = await local.api('POST', '/api/queues', { name: 'Home', routingRule: 'available-agent', completionTimeoutSeconds: null, members: { users: [], groups: ['agents'] } }, admin);
    homeQueueId = (queue.body as { id: string }).id;
    const channel = await local.api('POST', '/api/channels', { type: 'messenger', appId, pageId, pageAccessToken: pageToken }, admin);
    expect(channel.status).toBe(201);
    channelId = (channel.body as { id: string }).id;
    expect((await local.api('PATCH', `/api/channels/${channelId}`, { queueId: homeQueueId, active: true }, admin)).status).toBe(200);
  }, 90_000);

  afterAll(async () => {
    await local?.stop();
    await graph?.stop();
  });

  const queueNames = async () => ((await local.api('GET', '/api/queues', undefined, admin)).body as { items: { name: string }[] }).items.map((q) => q.name);

  it('passes every step, one line each, and leaves the stack as it found it', async () => {
    // when
    const { code, output } = await runSmoke(flags(appSecret));
    // then
    expect({ code, output }).toMatchObject({ code: 0 });
    for (const step of ['signed webhook accepted', 'chatOffered received on the agent socket', 'chat accepted and closed', 'channel restored', 'throwaway queue deleted']) {
      expect(output).toMatch(new RegExp(`^ok {4}${step}`, 'm'));
    }
    expect(output).not.toContain('FAIL');
    expect(await queueNames()).toEqual(['Home']);
    const channel = await local.api('GET', `/api/channels/${channelId}`, undefined, admin);
    expect(channel.body).toMatchObject({ queueId: homeQueueId, active: true });
  }, 120_000);

  it('fails on a webhook signed with the wrong secret, exits 1, and still cleans up', async () => {
    // when
    const { code, output } = await runSmoke(flags('not-the-app-secret'));
    // then
    expect(code).toBe(1);
    expect(output).toMatch(/^FAIL {2}signed webhook accepted: webhook answered 401/m);
    expect(output).toMatch(/^ok {4}throwaway queue deleted/m);
    expect(await queueNames()).toEqual(['Home']);
  }, 120_000);

  it('names the missing flags and exits non-zero', async () => {
    const { code, output } = await runSmoke(['--api', 'http://127.0.0.1:9']);
    expect(code).toBe(2);
    expect(output).toContain('missing --ws, --admin-token');
  });
});
