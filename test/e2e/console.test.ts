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
  /** A customer writes to the sandbox Page; the webhook must keep it. */
  const simulate = async (psid: string, name: string, text: string, locale?: string) => {
    const res = await fetch(`${demo.baseUrl}/sandbox/simulate`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ kind: 'message', psid, name, text, ...(locale ? { locale } : {}) }) });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ webhookStatus: 200, delivered: true });
  };
  /** What the sandbox Page sent to a customer (texts, uploaded files) and its sender actions. */
  const conversation = async (psid: string) =>
    (await (await fetch(`${demo.baseUrl}/sandbox/conversation?psid=${psid}`)).json()) as {
      messages: { from: string; text: string; attachment?: { type: string; name: string; contentType: string; size: number } }[];
      senderActions: { action: string }[];
    };
  const adminToken = async () => ((await (await fetch(`${demo.baseUrl}/dev/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ sub: 'admin', groups: ['chat-admins'] }) })).json()) as { token: string }).token;
  const admin = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${demo.baseUrl}${path}`, { method, headers: { authorization: `Bearer ${await adminToken()}`, ...(body ? { 'content-type': 'application/json' } : {}) }, ...(body ? { body: JSON.stringify(body) } : {}) });
    return { status: res.status, body: (await res.json().catch(() => undefined)) as Record<string, unknown> };
  };
  /** Alice closes a chat she holds from the console (no outcome, no tags). */
  const closeChat = async (chatId: string) => {
    await agentPage.locator(`.chat-item[data-chat-id="${chatId}"]`).click();
    await agentPage.locator('#close-chat').click();
    await agentPage.locator('#close-confirm').click();
    await agentPage.locator('.notice', { hasText: 'Chat closed (agent)' }).waitFor({ timeout: 15_000 });
  };
  /** Retries an assertion until it holds (every 250 ms, up to `ms`), then fails with its last error. */
  const eventually = async (check: () => Promise<void>, ms = 20_000) => {
    for (const until = Date.now() + ms; ; ) {
      try {
        return await check();
      } catch (error) {
        if (Date.now() > until) throw error;
        await new Promise((r) => setTimeout(r, 250));
      }
    }
  };
  const newPsid = () => String(7_300_000_000 + randomBytes(3).readUIntBE(0, 3));
  /** A new customer writes and Alice accepts the offer: the chat's id. */
  const acceptedChat = async (name: string, text: string, locale?: string) => {
    const psid = newPsid();
    await simulate(psid, name, text, locale);
    const offer = agentPage.locator('.offer', { hasText: name });
    await offer.waitFor({ timeout: 15_000 });
    const chatId = (await offer.getAttribute('data-chat-id'))!;
    await offer.locator('button.accept').click();
    await agentPage.locator(`#chat[data-chat-id="${chatId}"]`).waitFor({ timeout: 15_000 });
    return { psid, chatId };
  };

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
    await agentPage.locator('#status-control[data-status="active"]').waitFor();
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
    // (the chat's own list, rendered for it by the API)
    await agentPage.waitForFunction(() => document.querySelectorAll('#quick-replies button').length === 3);
    await quickReplies.first().click();
    await agentPage.locator('#composer button[type="submit"]').click();
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
    // (every state the indicator takes is recorded: the closed one may last only one backoff)
    await agentPage.evaluate(() => {
      const seen: string[] = [];
      (window as unknown as { connectionStates: string[] }).connectionStates = seen;
      const indicator = document.getElementById('connection')!;
      new MutationObserver(() => seen.push(indicator.dataset.state ?? '')).observe(indicator, { attributes: true, attributeFilter: ['data-state'] });
    });
    await agentPage.context().setOffline(true);
    await agentPage.evaluate(() => (window as unknown as { omnichatSocket?: WebSocket }).omnichatSocket?.close());
    await agentPage.waitForFunction(() => (window as unknown as { connectionStates: string[] }).connectionStates.includes('closed'));

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
    // (closing asks first)
    await agentPage.locator('#close-dialog[open]').waitFor();
    await agentPage.locator('#close-confirm').click();
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

  it('offers a chat with the first message and the time waited; the customer panel shows who writes, in their own language', async () => {
    // given Alice's console is open afresh, with no chat open (she closes those of the tests above)
    await agentPage.goto('about:blank');
    await agentPage.goto(demo.alice);
    await agentPage.locator('#connection[data-state="open"]').waitFor();
    // (the snapshot shows the chats of the tests above)
    await agentPage.locator('.chat-item').first().waitFor();
    // (and takes, then closes, what the tests above left waiting: an offer at a time)
    for (let n = 0; n < 10 && (await agentPage.locator('.offer').count()) > 0; n++) {
      await agentPage.locator('.offer button.accept').first().click();
      await agentPage.waitForFunction((left) => document.querySelectorAll('.offer').length < left, n + 1 > 0 ? await agentPage.locator('.offer').count() : 0).catch(() => undefined);
    }
    for (let n = 0; n < 10 && (await agentPage.locator('.chat-item:not(.closed)').count()) > 0; n++) {
      await agentPage.locator('.chat-item:not(.closed)').first().click();
      await agentPage.locator('#close-chat').click();
      await agentPage.locator('#close-confirm').click();
      await agentPage.locator('.notice', { hasText: 'Chat closed' }).waitFor();
    }
    // when a customer whose Messenger is in European Portuguese writes
    const psid = String(7_200_000_000 + randomBytes(3).readUIntBE(0, 3));
    await simulate(psid, 'Inês Duarte', 'Olá! A minha encomenda 😀 👍🏽 não chegou', 'pt_PT');

    // then her offer card shows the first message and a running wait, and the title counts it
    const offer = agentPage.locator('.offer', { hasText: 'Inês Duarte' });
    await offer.waitFor({ timeout: 15_000 });
    await expect(offer.locator('.first-message').textContent()).resolves.toBe('Olá! A minha encomenda 😀 👍🏽 não chegou');
    const waited = offer.locator('.waited');
    await expect(waited.textContent()).resolves.toMatch(/^\d+:\d\d$/);
    await agentPage.waitForFunction(() => /^\(\d+\) Omnichat/.test(document.title));
    // the wait runs
    const first = await waited.textContent();
    await agentPage.waitForFunction((before) => document.querySelector('.offer .waited')?.textContent !== before, first, { timeout: 5_000 });

    // when she accepts, the customer panel shows name, channel, language and contact, and the day is marked
    await offer.locator('button.accept').click();
    await agentPage.locator('#chat-customer', { hasText: 'Inês Duarte' }).waitFor();
    await expect(agentPage.locator('#customer-name').textContent()).resolves.toBe('Inês Duarte');
    await expect(agentPage.locator('#customer-channel').textContent()).resolves.toBe('messenger');
    await expect(agentPage.locator('#customer-language').textContent()).resolves.toContain('pt-PT');
    await expect(agentPage.locator('#chat-meta').textContent()).resolves.toContain('pt-PT');
    await expect(agentPage.locator('#customer-contact').textContent()).resolves.not.toBe('');
    await expect(agentPage.locator('#messages .day-separator').first().textContent()).resolves.toBe('Today');
    await expect(agentPage.locator('#messages .day-separator').count()).resolves.toBe(1);

    // when the tab is hidden and she allowed notifications, a new message notifies her and counts in the title
    await browser.grantPermissions(['notifications'], { origin: demo.baseUrl });
    await agentPage.evaluate(() => {
      Object.defineProperty(document, 'hidden', { configurable: true, get: () => true });
      Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'hidden' });
      document.dispatchEvent(new Event('visibilitychange'));
    });
    await simulate(psid, 'Inês Duarte', 'Está alguém aí? 🇵🇹', 'pt_PT');
    await agentPage.locator('.message.in', { hasText: 'Está alguém aí? 🇵🇹' }).waitFor({ timeout: 15_000 });
    await agentPage.waitForFunction(() => Number(document.body.dataset.notifications ?? 0) >= 1);
    await agentPage.waitForFunction(() => /^\(1\) Omnichat/.test(document.title));
    // and coming back to the tab reads it
    await agentPage.evaluate(() => {
      delete (document as unknown as Record<string, unknown>).hidden;
      delete (document as unknown as Record<string, unknown>).visibilityState;
      document.dispatchEvent(new Event('visibilitychange'));
    });
    await agentPage.waitForFunction(() => document.title === 'Omnichat — agent console');
  }, 60_000);

  it('sets the status with a control whose chosen state is plain', async () => {
    const control = agentPage.locator('#status-control');
    await expect(control.locator('button[aria-checked="true"]').textContent()).resolves.toContain('Active');
    await control.locator('button[data-value="inactive"]').click();
    await agentPage.locator('#status-control[data-status="inactive"]').waitFor();
    await expect(control.locator('button[aria-checked="true"]').textContent()).resolves.toContain('Inactive');
    await control.locator('button[data-value="active"]').click();
    await agentPage.locator('#status-control[data-status="active"]').waitFor();
  });

  it('transfers to an agent picked by live status, and the note reaches them on the offer and the chat', async () => {
    // given Bob is online and active, and Alice has Inês's chat open
    const bobPage = await browser.newPage();
    try {
      await bobPage.goto(demo.bob);
      await bobPage.locator('#status-control[data-status="active"]').waitFor();
      await agentPage.locator('#chat-customer', { hasText: 'Inês Duarte' }).waitFor();

      // when she opens the transfer dialog, Bob is listed as active with his load
      await agentPage.locator('#transfer').click();
      const bob = agentPage.locator('#transfer-agents li[data-id="bob"]');
      await bob.waitFor();
      await expect(bob.textContent()).resolves.toMatch(/Bob Agent.*active · 0\/\d+/);
      // and his status is live: Bob goes inactive, the picker says so within its refresh
      await bobPage.locator('#status-control button[data-value="inactive"]').click();
      await agentPage.locator('#transfer-agents li[data-id="bob"] [data-status="inactive"]').waitFor({ timeout: 12_000 });
      await bobPage.locator('#status-control button[data-value="active"]').click();
      await agentPage.locator('#transfer-agents li[data-id="bob"] [data-status="active"]').waitFor({ timeout: 12_000 });
      // the queues are there too, with their backlog
      await agentPage.locator('#transfer-form input[value="queue"]').check();
      await expect(agentPage.locator('#transfer-queues li').first().textContent()).resolves.toMatch(/\d+ waiting/);
      await agentPage.locator('#transfer-form input[value="agent"]').check();

      // when she picks Bob and leaves a note
      await bob.click();
      await agentPage.locator('#transfer-form textarea[name="note"]').fill('Wants a refund — order 4417 👍🏽');
      await agentPage.locator('#transfer-submit').click();

      // then Bob's offer carries the note and the first message, and so does the chat once he accepts
      const offer = bobPage.locator('.offer', { hasText: 'Inês Duarte' });
      await offer.waitFor({ timeout: 15_000 });
      await expect(offer.locator('.offer-note').textContent()).resolves.toBe('Note from Alice Agent: Wants a refund — order 4417 👍🏽');
      await expect(offer.locator('.first-message').textContent()).resolves.toContain('Olá! A minha encomenda');
      await offer.locator('button.accept').click();
      await bobPage.locator('#chat-customer', { hasText: 'Inês Duarte' }).waitFor();
      await expect(bobPage.locator('#transfer-note').textContent()).resolves.toBe('Note from Alice Agent: Wants a refund — order 4417 👍🏽');
      // and Alice's chat is marked as transferred away
      await agentPage.locator('.notice', { hasText: 'Chat closed (transfer)' }).waitFor();
    } finally {
      await bobPage.close();
    }
  }, 60_000);

  // Zoë's first chat: quick reply with her first name, typing and seen, a file, a private note; then closed with an outcome
  let zoe: { psid: string; chatId: string };

  it('puts a quick reply with the customer’s first name in the composer; typing and seen reach Messenger', async () => {
    // given an admin adds a quick reply with the customer's first name
    const added = await admin('POST', '/api/quick-replies', { language: 'en', text: 'Hello {customerFirstName} 👋, I am looking into it now.' });
    expect(added.status).toBeLessThan(300);
    // when Zoë writes and Alice accepts (opening the chat marks it seen)
    zoe = await acceptedChat('Zoë Ångström-Nørgaard', 'Hej! My parcel 📦 never came');
    // then the quick reply shows filled in with her first name, and goes to her as such
    const reply = agentPage.locator('#quick-replies button', { hasText: 'Hello Zoë 👋' });
    await reply.waitFor();
    await reply.click();
    await expect(agentPage.locator('#composer textarea').inputValue()).resolves.toBe('Hello Zoë 👋, I am looking into it now.');
    await agentPage.locator('#composer textarea').press('End');
    await agentPage.locator('#composer textarea').pressSequentially(' 😀');
    await agentPage.locator('#composer textarea').press('Enter');
    await agentPage.locator('.message.out[data-status="sent"]', { hasText: 'Hello Zoë 👋, I am looking into it now. 😀' }).waitFor({ timeout: 15_000 });
    await eventually(async () => expect((await conversation(zoe.psid)).messages.map((m) => m.text)).toContain('Hello Zoë 👋, I am looking into it now. 😀'));
    // and Messenger was told she saw the message and was typing
    const actions = (await conversation(zoe.psid)).senderActions.map((a) => a.action);
    expect(actions).toContain('mark_seen');
    expect(actions).toContain('typing_on');
  }, 60_000);

  it('attaches a file, which reaches the customer on Messenger as an uploaded attachment', async () => {
    // when Alice picks a photo with a non-ASCII name
    const jpeg = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), randomBytes(2048), Buffer.from([0xff, 0xd9])]);
    await agentPage.locator('#attach-file').setInputFiles({ name: 'fotografía 📷.jpg', mimeType: 'image/jpeg', buffer: jpeg });
    // then her chat shows it sent, with its name
    await agentPage.locator('.message.out[data-status="sent"] .attachment', { hasText: 'fotografía 📷.jpg' }).waitFor({ timeout: 20_000 });
    // and the Send API received the bytes as an image upload under that name
    await eventually(async () =>
      expect((await conversation(zoe.psid)).messages.find((m) => m.attachment)?.attachment).toEqual({ type: 'image', name: 'fotografía 📷.jpg', contentType: 'image/jpeg', size: jpeg.length }),
    );
    expect(cspViolations).toEqual([]);
  }, 60_000);

  it('keeps a private note in the conversation, marked private, and never sends it to the customer', async () => {
    const text = 'VIP — call back tomorrow 😀 Ελληνικά עברית';
    // when Alice switches the composer to a private note and writes
    await agentPage.locator('#compose-mode input[value="note"]').check();
    await expect(agentPage.locator('#composer-submit').textContent()).resolves.toBe('Add note');
    await expect(agentPage.locator('#attach').isVisible()).resolves.toBe(false);
    await agentPage.locator('#composer textarea').fill(text);
    await agentPage.locator('#composer textarea').press('Enter');
    // then it shows once in the conversation, marked private, and not as a message
    const note = agentPage.locator('#messages .note', { hasText: text });
    await note.waitFor({ timeout: 15_000 });
    await expect(note.locator('.note-label').textContent()).resolves.toBe('🔒 Private note · Alice Agent');
    await expect(agentPage.locator('#messages .note').count()).resolves.toBe(1);
    await expect(agentPage.locator('.message', { hasText: 'call back tomorrow' }).count()).resolves.toBe(0);
    // and a fresh console shows it too
    await agentPage.locator('#compose-mode input[value="reply"]').check();
    await agentPage.goto('about:blank');
    await agentPage.goto(demo.alice);
    await agentPage.locator(`.chat-item[data-chat-id="${zoe.chatId}"]`).click();
    await agentPage.locator('#messages .note', { hasText: text }).waitFor({ timeout: 15_000 });
    // and the customer never got it
    const sent = (await conversation(zoe.psid)).messages.map((m) => m.text).join('\n');
    expect(sent).not.toContain('call back tomorrow');
  }, 60_000);

  it('closes after confirmation with an outcome and tags; a queue that needs an outcome refuses a close without one', async () => {
    // given the demo queue needs an outcome, and has one
    const queueId = (await admin('GET', `/api/chats/${zoe.chatId}`)).body.queueId as string;
    const resolved = await admin('POST', '/api/dispositions', { label: 'Resolved ✅', queueId });
    expect(resolved.status).toBe(201);
    expect((await admin('PATCH', `/api/queues/${queueId}`, { dispositionRequired: true })).status).toBe(200);
    try {
      await agentPage.locator(`.chat-item[data-chat-id="${zoe.chatId}"]`).click();
      // when Alice closes without choosing one, the dialog says why and the chat stays open
      await agentPage.locator('#close-chat').click();
      await agentPage.locator('#close-dialog[open]').waitFor();
      await agentPage.locator('#disposition-field select option', { hasText: 'Resolved ✅' }).waitFor({ state: 'attached' });
      await agentPage.locator('#close-confirm').click();
      await agentPage.locator('#close-error', { hasText: 'needs an outcome' }).waitFor({ timeout: 15_000 });
      await expect(agentPage.locator('#close-dialog').getAttribute('open')).resolves.not.toBeNull();
      await expect(agentPage.locator('.notice', { hasText: 'Chat closed' }).count()).resolves.toBe(0);
      // when she chooses it and tags the chat, it closes
      await agentPage.locator('#disposition-field select').selectOption({ label: 'Resolved ✅' });
      await agentPage.locator('#close-form input[name="tags"]').fill('Ελληνικά, refund 💶, refund 💶');
      await agentPage.locator('#close-confirm').click();
      await agentPage.locator('.notice', { hasText: 'Chat closed (agent)' }).waitFor({ timeout: 15_000 });
      await agentPage.locator('#close-dialog:not([open])').waitFor({ state: 'attached' });
      // and the chat keeps the outcome and the tags, once each
      const chat = (await admin('GET', `/api/chats/${zoe.chatId}`)).body;
      expect(chat.disposition).toEqual({ id: resolved.body.id, label: 'Resolved ✅' });
      expect(chat.tags).toEqual(['Ελληνικά', 'refund 💶']);
    } finally {
      await admin('PATCH', `/api/queues/${queueId}`, { dispositionRequired: false });
    }
  }, 60_000);

  it('lists the customer’s earlier chats in the panel, and links the customer to a new or a found contact', async () => {
    // when Zoë writes again, her new chat shows the first one with its date, channel, outcome and last message
    await simulate(zoe.psid, 'Zoë Ångström-Nørgaard', 'Me again 🙂 one more question');
    const offer = agentPage.locator('.offer', { hasText: 'Zoë Ångström-Nørgaard' });
    await offer.waitFor({ timeout: 15_000 });
    const chatId = (await offer.getAttribute('data-chat-id'))!;
    await offer.locator('button.accept').click();
    await agentPage.locator(`#chat[data-chat-id="${chatId}"]`).waitFor();
    const earlier = agentPage.locator(`#earlier-chat-list li[data-chat-id="${zoe.chatId}"]`);
    await earlier.waitFor({ timeout: 15_000 });
    await expect(earlier.locator('.badge.messenger').textContent()).resolves.toBe('messenger');
    await expect(earlier.locator('.disposition').textContent()).resolves.toBe('Resolved ✅');
    await expect(earlier.locator('time').getAttribute('datetime')).resolves.toMatch(/^\d{4}-\d\d-\d\dT/);
    await expect(earlier.locator('.preview').textContent()).resolves.toContain('📎');
    await expect(agentPage.locator('#earlier-chat-list li').count()).resolves.toBe(1);

    // when she creates a contact for Zoë from the panel (the name is filled in)
    await expect(agentPage.locator('#customer-contact').textContent()).resolves.toBe('no contact linked');
    await agentPage.locator('#contact-link-open').click();
    await agentPage.locator('#contact-create-open').click();
    await expect(agentPage.locator('#contact-create input[name="name"]').inputValue()).resolves.toBe('Zoë Ångström-Nørgaard');
    await agentPage.locator('#contact-create input[name="email"]').fill('zoe@example.com');
    await agentPage.locator('#contact-create button[type="submit"]').click();
    // then the chat is linked to it
    await agentPage.locator('#customer-contact', { hasText: 'Zoë Ångström-Nørgaard · zoe@example.com' }).waitFor({ timeout: 15_000 });
    const created = (await admin('GET', `/api/chats/${chatId}`)).body.contactId as string;
    expect(created).toEqual(expect.any(String));

    // when she finds another contact by a few letters and links the chat to it instead
    const other = await admin('POST', '/api/contacts', { name: 'Ζωή Παπαδοπούλου', phone: '+30 210 555 0101' });
    expect(other.status).toBe(201);
    await agentPage.locator('#contact-link-open').click();
    await agentPage.locator('#contact-search input[name="query"]').fill('Παπα');
    const found = agentPage.locator(`#contact-results li[data-contact-id="${other.body.id}"]`);
    await found.waitFor({ timeout: 15_000 });
    await found.locator('button.link-contact').click();
    await agentPage.locator('#customer-contact', { hasText: 'Ζωή Παπαδοπούλου' }).waitFor({ timeout: 15_000 });
    expect((await admin('GET', `/api/chats/${chatId}`)).body.contactId).toBe(other.body.id);
    await closeChat(chatId);
  }, 60_000);

  it('fits a 390 px wide phone: no sideways scrolling, the list and the conversation one at a time', async () => {
    // given Alice holds a chat of her own (the one above went to Bob)
    const { chatId } = await acceptedChat('Ngozi Okonkwo-Adebayo', 'Good evening 🌙 is my refund on its way? ' + 'ẹ ọ ṣ '.repeat(20));
    await agentPage.setViewportSize({ width: 390, height: 844 });
    try {
      await agentPage.goto('about:blank');
      await agentPage.goto(demo.alice);
      await agentPage.locator('#connection[data-state="open"]').waitFor();
      const overflow = () => agentPage.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      await expect(overflow()).resolves.toBeLessThanOrEqual(0);
      // the list first; a chat opens full width with a way back
      await agentPage.locator('.sidebar').waitFor({ state: 'visible' });
      await agentPage.locator('.chat-item').first().click();
      await agentPage.locator('#chat').waitFor({ state: 'visible' });
      await expect(agentPage.locator('.sidebar').isVisible()).resolves.toBe(false);
      await expect(overflow()).resolves.toBeLessThanOrEqual(0);
      const box = await agentPage.locator('#composer').boundingBox();
      expect(box!.x + box!.width).toBeLessThanOrEqual(390);
      // the customer panel opens in place
      await agentPage.locator('#customer-toggle').click();
      await agentPage.locator('#customer-panel').waitFor({ state: 'visible' });
      await expect(overflow()).resolves.toBeLessThanOrEqual(0);
      await agentPage.screenshot({ path: join(projectRoot, 'test-results', 'console-390.png') });
      await agentPage.locator('#back-to-list').click();
      await agentPage.locator('.sidebar').waitFor({ state: 'visible' });
      await expect(agentPage.locator('#chat').isVisible()).resolves.toBe(false);
    } finally {
      await agentPage.setViewportSize({ width: 1200, height: 720 });
    }
    await closeChat(chatId);
  }, 60_000);
  // last: it rotates the Meta app's secret, so the sandbox's own signature no longer passes after it
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
