import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DemoSandbox, demo } from '../../local/demo';

/**
 * The demo's sandbox over real HTTP, in front of a webhook that answers what the test says: a
 * customer line is `sent` only when the webhook answered 200, otherwise `failed` with the status.
 */
describe('the demo sandbox', () => {
  let server: Server;
  let baseUrl: string;
  let webhookStatus = 200;
  const posted: string[] = [];
  const sandbox = new DemoSandbox();

  beforeAll(async () => {
    server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      void sandbox.routes(req, res, url).then((handled) => {
        if (handled) return;
        let body = '';
        req.on('data', (chunk: Buffer) => (body += chunk.toString()));
        req.on('end', () => {
          if (url.pathname === `/webhooks/messenger/${demo.appId}`) posted.push(body);
          res.writeHead(webhookStatus, { 'content-type': 'text/plain' });
          res.end(webhookStatus === 200 ? 'EVENT_RECEIVED' : 'Temporarily unavailable');
        });
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    sandbox.useBaseUrl(baseUrl);
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const simulate = async (text: string) => {
    const res = await fetch(`${baseUrl}/sandbox/simulate`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ kind: 'message', psid: '712345678901234', name: 'Марта 🌻', text }) });
    return { status: res.status, body: (await res.json()) as { webhookStatus: number; delivered: boolean } };
  };
  const conversation = async () => {
    const res = await fetch(`${baseUrl}/sandbox/conversation?psid=712345678901234`);
    return ((await res.json()) as { messages: { text: string; status?: string; webhookStatus?: number }[] }).messages;
  };

  it('reports a delivery the webhook refused as failed, with its status, and a kept one as sent', async () => {
    webhookStatus = 503;
    expect(await simulate('Olá 😀 👍🏽 🇵🇹 👨‍👩‍👧 𝕳')).toEqual({ status: 200, body: { webhookStatus: 503, delivered: false } });
    webhookStatus = 200;
    expect(await simulate('again 👨‍👩‍👧')).toEqual({ status: 200, body: { webhookStatus: 200, delivered: true } });
    expect(await conversation()).toEqual([
      expect.objectContaining({ text: 'Olá 😀 👍🏽 🇵🇹 👨‍👩‍👧 𝕳', status: 'failed', webhookStatus: 503 }),
      expect.objectContaining({ text: 'again 👨‍👩‍👧', status: 'sent' }),
    ]);
    // the emoji reached the webhook as they were written
    expect(posted[0]).toContain('Olá 😀 👍🏽 🇵🇹 👨‍👩‍👧 𝕳');
  });

  it('reports an unreachable webhook as failed with status 0', async () => {
    const offline = new DemoSandbox();
    offline.useBaseUrl('http://127.0.0.1:9');
    expect(await offline.simulate({ kind: 'message', psid: '712345678901235', name: 'Ana', text: 'hello?' })).toBe(0);
    expect(offline.lines).toEqual([expect.objectContaining({ text: 'hello?', status: 'failed', webhookStatus: 0 })]);
  });
});
