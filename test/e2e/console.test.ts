import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { chromiumArgs, chromiumPath } from '../support/chromium';
import { startDemo, type Demo } from '../support/demo';
import { signMetaBody } from '../../functions/domain/signature';
import { projectRoot } from '../support/runtime';

/**
 * The agent console and the customer simulator in headless Chromium, against `npm run demo`:
 * a customer writes, the agent is offered the chat, accepts, replies, and the customer sees it.
 */

describe('the agent console with the customer simulator', () => {
  let demo: Demo;
  let browser: BrowserContext;
  let profileDir: string;
  let agentPage: Page;
  let customerPage: Page;
  /** What Chromium reports the CSP blocked: the console must need nothing it forbids. */
  const cspViolations: string[] = [];

  beforeAll(async () => {
    profileDir = mkdtempSync(join(tmpdir(), 'omnichat-chromium-'));
    [demo, browser] = await Promise.all([
      startDemo(),
      chromium.launchPersistentContext(profileDir, { executablePath: chromiumPath(), headless: true, args: chromiumArgs, viewport: { width: 1200, height: 720 } }),
    ]);
    agentPage = await browser.newPage();
    customerPage = await browser.newPage();
    for (const page of [agentPage, customerPage]) page.on('console', (m) => m.text().includes('Content Security Policy') && cspViolations.push(m.text()));
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    if (demo && demo.child.exitCode === null) {
      const exited = new Promise((r) => demo.child.once('exit', r));
      demo.child.kill('SIGTERM');
      await exited;
    }
    rmSync(profileDir, { recursive: true, force: true });
  }, 30_000);

  it('offers a customer’s message with a countdown, and the accepted chat’s reply reaches the customer', async () => {
    // given Alice's console is open (signed in from the link's token) and she is active
    await agentPage.goto(demo.alice);
    await agentPage.locator('#connection[data-state="open"]').waitFor();
    await agentPage.locator('#status-toggle[data-status="active"]').waitFor();
    expect(agentPage.url()).not.toContain('token=');

    // when a customer writes from the simulator
    await customerPage.goto(`${demo.baseUrl}/simulator`);
    await customerPage.locator('#identity input[name="name"]').fill('Maria Silva');
    await customerPage.locator('#identity input[name="name"]').dispatchEvent('change');
    await customerPage.locator('#composer input[name="text"]').fill('Hello, my order #4417 is late');
    await customerPage.locator('#composer button').click();

    // then Alice is offered the chat with a running countdown, and hears the chime
    const offer = agentPage.locator('.offer', { hasText: 'Maria Silva' });
    await offer.waitFor({ timeout: 15_000 });
    await expect(offer.locator('.countdown').textContent()).resolves.toMatch(/^[12]:\d\d$/);
    expect(Number(await agentPage.evaluate(() => document.body.dataset.chimes))).toBeGreaterThanOrEqual(1);

    // when she accepts, the chat opens with the customer's name, channel and message
    await offer.locator('button.accept').click();
    await agentPage.locator('#chat-customer', { hasText: 'Maria Silva' }).waitFor();
    await expect(agentPage.locator('#chat-meta').textContent()).resolves.toContain('messenger');
    await agentPage.locator('.message.in', { hasText: 'Hello, my order #4417 is late' }).waitFor();
    await expect(agentPage.locator('.offer').count()).resolves.toBe(0);

    // and she answers with a quick reply of the chat's language, then a typed line
    const quickReplies = agentPage.locator('#quick-replies button');
    await expect(quickReplies.count()).resolves.toBe(3);
    await quickReplies.first().click();
    await agentPage.locator('#composer button').click();
    await agentPage.locator('#composer textarea').fill('Your parcel leaves today.');
    await agentPage.locator('#composer textarea').press('Enter');

    // then both replies are shown as sent, and the customer sees them in the simulator
    await agentPage.locator('.message.out[data-status="sent"]', { hasText: 'Your parcel leaves today.' }).waitFor({ timeout: 15_000 });
    await customerPage.locator('.bubble.page', { hasText: 'Hi! Thanks for writing, how can I help?' }).waitFor({ timeout: 15_000 });
    await customerPage.locator('.bubble.page', { hasText: 'Your parcel leaves today.' }).waitFor({ timeout: 15_000 });
    await expect(agentPage.locator('.message.out').count()).resolves.toBe(2);
    await expect(agentPage.locator('#messages').textContent()).resolves.not.toMatch(/null|undefined/);

    mkdirSync(join(projectRoot, 'test-results'), { recursive: true });
    await agentPage.screenshot({ path: join(projectRoot, 'test-results', 'console.png') });
    await customerPage.screenshot({ path: join(projectRoot, 'test-results', 'simulator.png') });
  });

  it('recovers by itself after the network drops, showing what the customer wrote meanwhile', async () => {
    // given the chat above is open; the network goes away and the socket with it
    await agentPage.context().setOffline(true);
    await agentPage.evaluate(() => (window as unknown as { omnichatSocket?: WebSocket }).omnichatSocket?.close());
    await agentPage.locator('#connection[data-state="closed"]').waitFor();

    // when the customer writes twice meanwhile (from outside the browser)
    const psid = await customerPage.evaluate(() => JSON.parse(localStorage.getItem('omnichat.simulator.customer') ?? '{}').psid as string);
    for (const text of ['Are you there?', 'I am still waiting']) {
      const res = await fetch(`${demo.baseUrl}/sandbox/simulate`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ kind: 'message', psid, name: 'Maria Silva', text }) });
      expect(res.status).toBe(200);
    }

    // then, back online, the console reconnects, syncs, and shows both messages once
    await agentPage.context().setOffline(false);
    await agentPage.locator('#connection[data-state="open"]').waitFor({ timeout: 30_000 });
    await agentPage.locator('.message.in', { hasText: 'I am still waiting' }).waitFor({ timeout: 15_000 });
    await expect(agentPage.locator('.message.in', { hasText: 'Are you there?' }).count()).resolves.toBe(1);

    // and closing the chat from the console closes it
    await agentPage.locator('#close-chat').click();
    await agentPage.locator('.notice', { hasText: 'Chat closed (agent)' }).waitFor();
  }, 60_000);

  it('shows a message the webhook did not keep as not delivered, keeps it to send again, and a kept one as sent', async () => {
    // given the sandbox reports that the webhook answered 503 (as when the inbound queue is down)
    await customerPage.goto(`${demo.baseUrl}/simulator`);
    await customerPage.route('**/sandbox/simulate', (route) =>
      route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify({ webhookStatus: 503, delivered: false }) }),
    );
    const text = 'Is anyone there? 😀 👍🏽 🇵🇹 👨‍👩‍👧 𝕳';
    // when the customer sends
    await customerPage.locator('#composer input[name="text"]').fill(text);
    await customerPage.locator('#composer button').click();
    // then the simulator says it was not delivered, and the text waits in the composer
    await customerPage.locator('#problem:not([hidden])', { hasText: 'Not delivered: the webhook answered 503' }).waitFor();
    await customerPage.waitForFunction((expected) => document.querySelector<HTMLInputElement>('#composer input[name="text"]')?.value === expected, text, { timeout: 5_000 });
    await expect(customerPage.locator('.bubble.customer[data-status="sent"]', { hasText: text }).count()).resolves.toBe(0);

    // when the webhook keeps it the second time
    await customerPage.unroute('**/sandbox/simulate');
    await customerPage.locator('#composer button').click();
    // then the bubble is shown as sent, emoji intact, and the notice is gone
    await customerPage.locator('.bubble.customer[data-status="sent"]', { hasText: text }).waitFor({ timeout: 15_000 });
    await customerPage.locator('#problem[hidden]').waitFor({ state: 'attached' });
    await expect(customerPage.locator('#composer input[name="text"]').inputValue()).resolves.toBe('');
  }, 60_000);

  it('opens a chat too long for one frame and loads its earlier messages from the top of the conversation', async () => {
    // given a customer who wrote 25 messages of 1,900 CJK characters and emoji before anyone accepted
    const psid = String(7_100_000_000 + randomBytes(3).readUIntBE(0, 3));
    const texts = Array.from({ length: 25 }, (_, i) => `${'長い話です。한국어 문장、中文句子。'.repeat(95)} 😀👍🏽🇵🇹👨‍👩‍👧𝕳 #${i + 1}`);
    for (const text of texts) {
      const res = await fetch(`${demo.baseUrl}/sandbox/simulate`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ kind: 'message', psid, name: 'Kenji Long', text }) });
      expect(res.status).toBe(200);
    }
    const offer = agentPage.locator('.offer', { hasText: 'Kenji Long' });
    await offer.waitFor({ timeout: 30_000 });
    // every message is stored before she accepts (the router takes them in order)
    const chatId = await offer.getAttribute('data-chat-id');
    const tokenRes = await fetch(`${demo.baseUrl}/dev/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ sub: 'admin', groups: ['chat-admins'] }) });
    const { token } = (await tokenRes.json()) as { token: string };
    for (let stored = 0, n = 0; stored < 25 && n < 240; n++) {
      const res = await fetch(`${demo.baseUrl}/api/chats/${chatId}`, { headers: { authorization: `Bearer ${token}` } });
      stored = ((await res.json()) as { messages?: unknown[] }).messages?.length ?? 0;
      if (stored < 25) await new Promise((r) => setTimeout(r, 500));
    }

    // when Alice accepts it
    await offer.locator('button.accept').click();
    await agentPage.locator('#chat-customer', { hasText: 'Kenji Long' }).waitFor();
    await agentPage.locator('.message.in', { hasText: '#25' }).waitFor({ timeout: 15_000 });

    // then the newest messages show with a control to load the earlier ones, which she uses until there are none
    const earlier = agentPage.locator('#load-earlier');
    await earlier.waitFor();
    for (let n = 0; n < 30 && (await earlier.count()) > 0; n++) {
      const shown = await agentPage.locator('.message.in').count();
      await earlier.click();
      await agentPage.waitForFunction((before) => document.querySelectorAll('.message.in').length > before || !document.getElementById('load-earlier'), shown);
    }
    await expect(earlier.count()).resolves.toBe(0);
    // each message's own text (its first node; the time follows it)
    const shown = await agentPage.$$eval('.message.in', (items) => items.map((li) => li.firstChild?.textContent ?? ''));
    expect(shown).toEqual(texts);
    await agentPage.screenshot({ path: join(projectRoot, 'test-results', 'console-history.png') });
  }, 120_000);

  it('serves a strict CSP, and shows an attachment that is not an http(s) link as text, never as a link', async () => {
    // the console and the simulator come with a CSP that runs only their own files
    for (const path of ['/console/', '/simulator']) {
      const res = await fetch(`${demo.baseUrl}${path}`);
      const csp = res.headers.get('content-security-policy') ?? '';
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("default-src 'none'");
      expect(csp).not.toContain('unsafe-inline');
    }
    expect(cspViolations).toEqual([]);

    // given the Meta app's secret is one this test knows (an admin rotates it)
    const admin = (await (await fetch(`${demo.baseUrl}/dev/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ sub: 'root', groups: ['chat-admins'] }) })).json()) as { token: string };
    const appSecret = `e2e-${randomBytes(12).toString('hex')}`;
    const rotated = await fetch(`${demo.baseUrl}/api/messenger-apps/100000000000001`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${admin.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ appSecret }),
    });
    expect(rotated.status).toBe(200);

    // when the customer sends a javascript: attachment and an https one
    const psid = await customerPage.evaluate(() => JSON.parse(localStorage.getItem('omnichat.simulator.customer') ?? '{}').psid as string);
    const timestamp = Date.now();
    const raw = JSON.stringify({
      object: 'page',
      entry: [
        {
          id: '200000000000001',
          time: timestamp,
          messaging: [
            {
              sender: { id: psid },
              recipient: { id: '200000000000001' },
              timestamp,
              message: {
                mid: `m_e2e_${timestamp}`,
                text: 'Here is my receipt 🧾',
                attachments: [
                  { type: 'file', payload: { url: 'javascript:document.body.dataset.pwned=1' }, title: 'receipt.pdf' },
                  { type: 'image', payload: { url: 'https://cdn.example.com/photo😀.jpg' } },
                ],
              },
            },
          ],
        },
      ],
    });
    const webhook = await fetch(`${demo.baseUrl}/webhooks/messenger/100000000000001`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-hub-signature-256': signMetaBody(raw, appSecret) }, body: raw });
    expect(webhook.status).toBe(200);

    // then Alice, accepting the chat, sees the javascript: URL as text and the https one as a link
    const offer = agentPage.locator('.offer', { hasText: 'Maria Silva' });
    await offer.waitFor({ timeout: 15_000 });
    await offer.locator('button.accept').click();
    const message = agentPage.locator('.message.in', { hasText: 'Here is my receipt 🧾' });
    await message.waitFor({ timeout: 15_000 });
    await expect(message.locator('.attachment', { hasText: 'javascript:document.body.dataset.pwned=1' }).count()).resolves.toBe(1);
    await expect(message.locator('a').count()).resolves.toBe(1);
    await expect(message.locator('a').getAttribute('href')).resolves.toBe('https://cdn.example.com/photo%F0%9F%98%80.jpg');
    await expect(agentPage.locator('a[href^="javascript:" i]').count()).resolves.toBe(0);
    await message.locator('.attachment', { hasText: 'receipt.pdf' }).click();
    expect(await agentPage.evaluate(() => document.body.dataset.pwned)).toBeUndefined();
    expect(cspViolations).toEqual([]);
  }, 60_000);
});
