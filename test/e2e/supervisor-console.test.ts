import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { chromiumArgs, chromiumPath } from '../support/chromium';
import { startDemo, type Demo } from '../support/demo';
import { connectAgent, eventually, projectRoot, type AgentSocket } from '../support/runtime';

/**
 * The supervisor page in headless Chromium, against `npm run demo` (a queue "Demo support" with
 * Alice and Bob): a supervisor signs in, watches the live numbers move when a customer writes,
 * reassigns, watches and closes chats, sets an agent inactive, and sees today's report charted.
 * Alice and Bob are agents on WebSockets from the test, as the agent console would be.
 */

interface Frame extends Record<string, unknown> {
  type?: string;
  chatId?: string;
}

describe('the supervisor page', () => {
  let demo: Demo;
  let browser: BrowserContext;
  let profileDir: string;
  let page: Page;
  const agents: Record<'alice' | 'bob', AgentSocket | undefined> = { alice: undefined, bob: undefined };
  const names = { alice: 'Alice Agent', bob: 'Bob Agent' } as const;
  /** What Chromium reports the CSP blocked: the page (and uPlot) must need nothing it forbids. */
  const cspViolations: string[] = [];
  const psid = String(7_200_000_000 + randomBytes(3).readUIntBE(0, 3));
  const customer = 'Zoë Nakamura 中村 🇵🇹';
  /** The chat the customer opened, and who holds it. */
  let chatId = '';
  let queueId = '';
  let firstAgent: 'alice' | 'bob' = 'alice';
  let otherAgent: 'alice' | 'bob' = 'bob';

  const token = async (sub: string, groups: string[], name?: string) => {
    const res = await fetch(`${demo.baseUrl}/dev/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ sub, groups, ...(name ? { name } : {}) }) });
    return ((await res.json()) as { token: string }).token;
  };
  const customerWrites = async (text: string, from = psid, name = customer) => {
    const res = await fetch(`${demo.baseUrl}/sandbox/simulate`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ kind: 'message', psid: from, name, text }) });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { delivered: boolean }).delivered).toBe(true);
  };
  /** The next frame of `type` about `chat`, skipping others. */
  const frameAbout = async (socket: AgentSocket, type: string, chat: string, timeoutMs = 15_000): Promise<Frame> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const frame = (await socket.next(type, Math.max(1, deadline - Date.now()))) as Frame;
      const about = frame.chatId ?? (frame.chat as { id?: string } | undefined)?.id;
      if (about === chat) return frame;
    }
  };
  const events = async (detailType: string) => {
    const res = await fetch(`${demo.baseUrl}/dev/events`);
    const { events: all } = (await res.json()) as { events: { detailType: string; detail: Record<string, unknown> }[] };
    return all.filter((e) => e.detailType === detailType);
  };
  const cell = (row: string, field: string) => page.locator(`${row} [data-field="${field}"]`);
  const chatRow = () => page.locator(`#chats tr[data-chat-id="${chatId}"]`);

  beforeAll(async () => {
    profileDir = mkdtempSync(join(tmpdir(), 'omnichat-chromium-'));
    [demo, browser] = await Promise.all([
      startDemo(),
      chromium.launchPersistentContext(profileDir, { executablePath: chromiumPath(), headless: true, args: chromiumArgs, viewport: { width: 1280, height: 900 } }),
    ]);
    page = await browser.newPage();
    page.on('console', (m) => m.text().includes('Content Security Policy') && cspViolations.push(m.text()));
    page.on('pageerror', (e) => cspViolations.push(`page error: ${e.message}`));
    // an admin registers the supervisor as an agent in no queue, so Sam may open the socket to watch chats
    const admin = await token('admin', ['chat-admins'], 'Ada Admin');
    const registered = await fetch(`${demo.baseUrl}/api/agents/sam`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${admin}` },
      body: JSON.stringify({ displayName: 'Sam Supervisor', groups: ['supervisors'] }),
    });
    expect(registered.status).toBe(200);
    // a second queue with hours that never open (no weekly interval): the page shows it closed
    const night = await fetch(`${demo.baseUrl}/api/queues`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${admin}` },
      body: JSON.stringify({ name: 'Night line 🌙', routingRule: 'available-agent', completionTimeoutSeconds: null, members: { users: [], groups: [] } }),
    });
    expect(night.ok).toBe(true);
    const nightId = ((await night.json()) as { id: string }).id;
    const hours = await fetch(`${demo.baseUrl}/api/queues/${nightId}/hours`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${admin}` },
      body: JSON.stringify({ timeZone: 'Europe/Lisbon', weekly: [], closures: [] }),
    });
    expect(hours.status).toBe(200);
    // Alice and Bob connect and take chats
    const wsBase = `${demo.baseUrl.replace(/^http/, 'ws')}/ws`;
    for (const id of ['alice', 'bob'] as const) {
      const socket = await connectAgent(`${wsBase}?token=${encodeURIComponent(await token(id, ['agents'], names[id]))}`);
      agents[id] = socket;
      socket.send({ action: 'sync', requestId: 'sync' });
      const snapshot = await socket.next('snapshot', 10_000);
      if (snapshot.status !== 'active') {
        socket.send({ action: 'setStatus', status: 'active' });
        await socket.next('statusChanged', 10_000);
      }
    }
  }, 120_000);

  afterAll(async () => {
    for (const socket of Object.values(agents)) await socket?.close();
    await browser?.close();
    if (demo && demo.child.exitCode === null) {
      const exited = new Promise((r) => demo.child.once('exit', r));
      demo.child.kill('SIGTERM');
      await exited;
    }
    rmSync(profileDir, { recursive: true, force: true });
  }, 30_000);

  it('signs a supervisor in and shows live queues and agents that change by themselves when a customer writes', async () => {
    // given a supervisor signs in on the supervisor page
    await page.goto(`${demo.baseUrl}/console/supervisor.html`);
    await page.locator('#dev-sign-in input[name="sub"]').fill('sam');
    await page.locator('#dev-sign-in input[name="name"]').fill('Sam Supervisor');
    await page.locator('#dev-sign-in button[type="submit"]').click();
    await page.locator('#user-name', { hasText: 'Sam Supervisor' }).waitFor();

    // then the live data shows the queue with both agents active and nothing waiting
    const queueRow = page.locator('#queues tbody tr', { hasText: 'Demo support' });
    await queueRow.waitFor({ timeout: 15_000 });
    queueId = (await queueRow.getAttribute('data-queue-id')) ?? '';
    expect(queueId).not.toBe('');
    const row = `#queues tr[data-queue-id="${queueId}"]`;
    await page.waitForFunction((sel) => document.querySelector(sel)?.textContent?.replace(/\s/g, '') === '2/0/0', `${row} [data-field="agents"]`, { timeout: 15_000 });
    await expect(cell(row, 'waiting').textContent()).resolves.toBe('0');
    // the queue is open (it has no hours); the one whose hours never open says it is closed
    await expect(cell(row, 'open').textContent()).resolves.toBe('Open');
    await expect(cell('#queues tbody tr:has-text("Night line 🌙")', 'open').textContent()).resolves.toBe('Closed');
    await expect(cell(row, 'offersPending').textContent()).resolves.toBe('0');
    await expect(cell(row, 'load').textContent()).resolves.toBe('0 / 4');
    for (const id of ['alice', 'bob']) {
      await page.locator(`#agents tr[data-agent-id="${id}"][data-status="active"]`).waitFor();
      await expect(cell(`#agents tr[data-agent-id="${id}"]`, 'load').textContent()).resolves.toBe('0 / 2');
      await expect(cell(`#agents tr[data-agent-id="${id}"]`, 'chatsHeld').textContent()).resolves.toBe('0');
    }

    // when a customer writes
    await customerWrites('Olá! A minha encomenda não chegou 😀 👍🏽 👨‍👩‍👧 𝕳');

    // then, with no click, the queue shows the chat offered to an agent, and the chat list shows it
    await page.waitForFunction((sel) => document.querySelector(sel)?.textContent === '1', `${row} [data-field="offersPending"]`, { timeout: 20_000 });
    const offered = await Promise.race(
      (['alice', 'bob'] as const).map(async (id) => {
        const frame = await agents[id]!.next('chatOffered', 20_000);
        return { id, chatId: (frame.chat as { id: string }).id };
      }),
    );
    firstAgent = offered.id;
    otherAgent = offered.id === 'alice' ? 'bob' : 'alice';
    chatId = offered.chatId;
    await chatRow().waitFor({ timeout: 15_000 });
    await expect(chatRow().textContent()).resolves.toContain(customer);
    await expect(cell(`#chats tr[data-chat-id="${chatId}"]`, 'state').textContent()).resolves.toBe('offered');

    // and when the agent accepts, the offer is gone and the agent's load and chats held go up
    agents[firstAgent]!.send({ action: 'accept', chatId, requestId: 'accept' });
    await frameAbout(agents[firstAgent]!, 'chatAssigned', chatId);
    const agentRow = `#agents tr[data-agent-id="${firstAgent}"]`;
    await page.waitForFunction((sel) => document.querySelector(sel)?.textContent === '1', `${agentRow} [data-field="chatsHeld"]`, { timeout: 20_000 });
    await expect(cell(agentRow, 'load').textContent()).resolves.toBe('1 / 2');
    await expect(cell(row, 'offersPending').textContent()).resolves.toBe('0');
    await expect(cell(row, 'load').textContent()).resolves.toBe('1 / 4');
    expect(cspViolations).toEqual([]);
  }, 90_000);

  it('reassigns a chat to another agent, forced, and the previous agent sees it go', async () => {
    // given the chat list shows the chat with its agent
    await page.locator('#refresh-chats').click();
    await page.waitForFunction(
      ([sel, name]) => document.querySelector(sel)?.textContent === name,
      [`#chats tr[data-chat-id="${chatId}"] [data-field="agent"]`, names[firstAgent]] as const,
      { timeout: 15_000 },
    );

    // when the supervisor reassigns it to the other agent with force
    await chatRow().locator('button.sv-reassign').click();
    const dialog = page.locator('#reassign-dialog[open]');
    await dialog.waitFor();
    await expect(dialog.locator('select[name="agentId"] option').allTextContents()).resolves.toEqual([expect.stringContaining(names[otherAgent])]);
    await dialog.locator('select[name="agentId"]').selectOption(otherAgent);
    await dialog.locator('input[name="force"]').check();
    await dialog.locator('button[type="submit"]').click();
    await page.locator('#reassign-dialog[open]').waitFor({ state: 'detached' });

    // then the list shows the new agent, who has the chat at once; the previous one is told it is gone
    await page.waitForFunction(
      ([sel, name]) => document.querySelector(sel)?.textContent === name,
      [`#chats tr[data-chat-id="${chatId}"] [data-field="agent"]`, names[otherAgent]] as const,
      { timeout: 15_000 },
    );
    await frameAbout(agents[otherAgent]!, 'chatAssigned', chatId);
    const gone = await Promise.race([frameAbout(agents[firstAgent]!, 'chatClosed', chatId), frameAbout(agents[firstAgent]!, 'offerWithdrawn', chatId)]);
    expect(gone.chatId).toBe(chatId);
    const reassigned = await eventually(async () => (await events('ChatReassigned')).find((e) => e.detail.chatId === chatId));
    expect(reassigned.detail).toMatchObject({ chatId, fromAgentId: firstAgent, toAgentId: otherAgent, toQueueId: null, forced: true, by: 'sam' });
    // and the live numbers follow
    await page.waitForFunction((sel) => document.querySelector(sel)?.textContent === '1', `#agents tr[data-agent-id="${otherAgent}"] [data-field="chatsHeld"]`, { timeout: 15_000 });
  }, 60_000);

  it('watches a chat read-only and sees the customer’s new message arrive', async () => {
    // when the supervisor watches the chat
    await chatRow().locator('button.sv-watch').click();
    const watch = page.locator(`#watch[data-chat-id="${chatId}"]`);
    await watch.waitFor();
    await page.locator('#watch-state[data-state="open"]').waitFor({ timeout: 15_000 });
    // then its messages so far are shown, and nothing can be written there
    await watch.locator('.message.in', { hasText: 'A minha encomenda não chegou' }).waitFor({ timeout: 15_000 });
    await expect(watch.locator('textarea, input, [contenteditable]').count()).resolves.toBe(0);
    await expect(chatRow().locator('button.sv-watch').getAttribute('aria-pressed')).resolves.toBe('true');

    // when the customer writes again and the agent answers
    await customerWrites('Ainda estou à espera… 🙏 그리고 한국어도');
    await frameAbout(agents[otherAgent]!, 'message', chatId);
    agents[otherAgent]!.send({ action: 'send', chatId, text: 'Está a caminho, chega amanhã 📦', clientMessageId: `c-${randomBytes(4).toString('hex')}`, requestId: 'reply' });

    // then both appear in the watched chat as they happen
    await watch.locator('.message.in', { hasText: 'Ainda estou à espera… 🙏 그리고 한국어도' }).waitFor({ timeout: 15_000 });
    await watch.locator('.message.out', { hasText: 'Está a caminho, chega amanhã 📦' }).waitFor({ timeout: 15_000 });
    await expect(watch.locator('.message.in', { hasText: 'Ainda estou à espera' }).count()).resolves.toBe(1);
  }, 60_000);

  it('closes a chat with a note only after confirming; the agent sees it closed by a supervisor', async () => {
    // when the supervisor asks to close but cancels, the chat stays open
    await chatRow().locator('button.sv-close').click();
    await page.locator('#close-dialog[open]').waitFor();
    await page.locator('#close-dialog [data-cancel]').click();
    await page.locator('#close-dialog[open]').waitFor({ state: 'detached' });
    await expect(cell(`#chats tr[data-chat-id="${chatId}"]`, 'state').textContent()).resolves.toBe('assigned');

    // when the supervisor confirms with a note
    const note = 'Duplicado do pedido #4417 — resolvido por telefone ☎️';
    await chatRow().locator('button.sv-close').click();
    await page.locator('#close-dialog[open] textarea[name="reason"]').fill(note);
    await page.locator('#close-dialog[open] button[type="submit"]').click();
    await page.locator('#close-dialog[open]').waitFor({ state: 'detached' });

    // then the chat leaves the open list, the agent gets chatClosed (supervisor), the watched chat says so
    await chatRow().waitFor({ state: 'detached', timeout: 15_000 });
    const closed = await frameAbout(agents[otherAgent]!, 'chatClosed', chatId);
    expect(closed.reason).toBe('supervisor');
    await page.locator('#watch .notice', { hasText: 'Chat closed (supervisor)' }).waitFor({ timeout: 15_000 });
    const event = await eventually(async () => (await events('ChatClosed')).find((e) => e.detail.chatId === chatId));
    expect(event.detail).toMatchObject({ reason: 'supervisor', note });
    // and the closed list has it
    await page.locator('#chat-filter').selectOption('closed');
    await chatRow().waitFor({ timeout: 15_000 });
    await expect(chatRow().locator('button').count()).resolves.toBe(0);
    await page.locator('#stop-watching').click();
    await page.locator('#watch').waitFor({ state: 'hidden' });
    await page.locator('#chat-filter').selectOption('open');
  }, 60_000);

  it('sets an agent inactive, and the agent and the live numbers show it', async () => {
    // when the supervisor sets Alice inactive
    await page.locator('#agents tr[data-agent-id="alice"] button.sv-set-status', { hasText: 'Set inactive' }).click();
    // then Alice is told by a supervisor, and the table and the queue counts follow
    const changed = await agents.alice!.next('statusChanged', 15_000);
    expect(changed).toMatchObject({ status: 'inactive', reason: 'supervisor' });
    await page.locator('#agents tr[data-agent-id="alice"][data-status="inactive"]').waitFor({ timeout: 15_000 });
    await page.waitForFunction((sel) => document.querySelector(sel)?.textContent?.replace(/\s/g, '') === '1/1/0', `#queues tr[data-queue-id="${queueId}"] [data-field="agents"]`, { timeout: 15_000 });
    // and back
    await page.locator('#agents tr[data-agent-id="alice"] button.sv-set-status', { hasText: 'Set active' }).click();
    await page.locator('#agents tr[data-agent-id="alice"][data-status="active"]').waitFor({ timeout: 15_000 });
  }, 45_000);

  it('shows today’s report per queue with charts of chats per hour and wait p90', async () => {
    // the report of today counts the chat above (the aggregates may follow the chat by a moment)
    const card = page.locator(`.sv-report-card[data-queue-id="${queueId}"]`);
    await card.waitFor({ timeout: 15_000 });
    // (messages in / out are added when the chat closes, after the card may have been drawn: docs/api.md, Reports)
    const counted = async () => Number(await card.locator('[data-total="created"]').textContent()) >= 1 && (await card.locator('[data-total="messages"]').textContent()) !== '0 / 0';
    for (let n = 0; n < 20 && !(await counted()); n++) {
      await new Promise((r) => setTimeout(r, 1_000));
      await page.locator('#refresh-report').click();
      await page.waitForTimeout(300);
    }
    await expect(card.locator('[data-total="created"]').textContent()).resolves.toBe('1');
    await expect(card.locator('[data-total="accepted"]').textContent()).resolves.toBe('1');
    await expect(card.locator('[data-total="messages"]').textContent()).resolves.toBe('2 / 1');

    // and both charts are drawn: a bar of the chats created this hour, a point of this hour's wait p90
    const inked = (chart: string, rgb: [number, number, number]) =>
      card.locator(`[data-chart="${chart}"] canvas`).evaluate((canvas: HTMLCanvasElement, colour) => {
        const { data } = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height);
        let n = 0;
        for (let i = 0; i < data.length; i += 4) if (data[i + 3]! > 128 && Math.abs(data[i]! - colour[0]) < 40 && Math.abs(data[i + 1]! - colour[1]) < 40 && Math.abs(data[i + 2]! - colour[2]) < 40) n++;
        return n;
      }, rgb);
    await expect(inked('created', [11, 102, 228])).resolves.toBeGreaterThan(20);
    await expect(inked('waitP90', [182, 92, 2])).resolves.toBeGreaterThan(5);
    await expect(card.locator('[data-chart="created"]').getAttribute('aria-label')).resolves.toMatch(/^Chats created per hour: 1 today/);
    mkdirSync(join(projectRoot, 'test-results'), { recursive: true });
    await page.screenshot({ path: join(projectRoot, 'test-results', 'supervisor.png'), fullPage: true });
    expect(cspViolations).toEqual([]);
  }, 60_000);

  it('fits a 390 px wide phone screen', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.locator('#refresh-report').click();
    await page.waitForTimeout(500);
    // nothing wider than the screen: no sideways scrolling of the page
    await expect(page.evaluate(() => document.documentElement.scrollWidth)).resolves.toBeLessThanOrEqual(390);
    for (const sel of ['#queues', '#agents', '#chat-filter', '#refresh-report']) await expect(page.locator(sel).isVisible()).resolves.toBe(true);
    const chartWidth = await page.locator(`.sv-report-card[data-queue-id="${queueId}"] [data-chart="created"] canvas`).evaluate((c) => c.getBoundingClientRect().width);
    expect(chartWidth).toBeLessThanOrEqual(390);
    await page.screenshot({ path: join(projectRoot, 'test-results', 'supervisor-390.png'), fullPage: true });
    await page.setViewportSize({ width: 1280, height: 900 });
  }, 30_000);

  it('is linked from the agent console for supervisors only', async () => {
    const agentPage = await browser.newPage();
    try {
      // an agent who is also a supervisor sees the link, and it opens the supervisor page signed in
      await agentPage.goto(`${demo.baseUrl}/console/#token=${await token('carla', ['agents', 'supervisors'], 'Carla Lead')}`);
      const link = agentPage.locator('#supervisor-link');
      await link.waitFor({ state: 'visible' });
      await link.click();
      await agentPage.waitForURL(/supervisor\.html$/);
      await agentPage.locator('#user-name', { hasText: 'Carla Lead' }).waitFor();
      await agentPage.locator('#queues tbody tr', { hasText: 'Demo support' }).waitFor({ timeout: 15_000 });

      // an agent only does not
      await agentPage.evaluate(() => sessionStorage.clear());
      await agentPage.goto(`${demo.baseUrl}/console/#token=${await token('dora', ['agents'], 'Dora Agent')}`);
      await agentPage.locator('#agent-name', { hasText: 'Dora Agent' }).waitFor();
      await expect(agentPage.locator('#supervisor-link').isHidden()).resolves.toBe(true);
      // and the supervisor page turns a token without the group away
      await agentPage.goto(`${demo.baseUrl}/console/supervisor.html#token=${await token('dora', ['agents'], 'Dora Agent')}`);
      await agentPage.locator('#sign-in-error', { hasText: 'not in the supervisors group' }).waitFor();
    } finally {
      await agentPage.close();
    }
  }, 45_000);
});
