import { signMetaBody } from '../../functions/domain/signature';
import { startFakeGraph, type FakeGraph } from '../support/fake-graph';
import { eventually, startLocalRuntime, type AgentSocket, type LocalRuntime } from '../support/runtime';

/**
 * Wrapping chats up over the local runtime's real HTTP API and WebSocket: dispositions and tags on
 * close (and in ChatClosed and the reports), private notes that never reach the customer, the
 * customer's earlier chats across two channels of one contact, and quick replies for a chat.
 */
const appId = '611222333444888';
const appSecret = 'wrap-up-app-secret-0123456789';
const pageA = '105000000000081';
const pageB = '105000000000082';
const tokenA = 'EAAG-wrap-up-page-a';
const tokenB = 'EAAG-wrap-up-page-b';

type Frame = Record<string, unknown>;
type ChatFrame = { id: string; state: string; customer: { id: string; name: string }; contactId: string | null };
type Disposition = { id: string; label: string; queueId: string | null; createdAt: string };
type HistoryItem = { id: string; channelId: string; state: string; disposition?: { id: string; label: string }; tags?: string[]; lastMessage?: { direction: string; text?: string; sentAt: string } };

describe('wrap-up: dispositions, notes, history, quick replies', () => {
  let local: LocalRuntime;
  let graph: FakeGraph;
  let admin: string;
  let support: string;
  let billing: string;
  let channelA: string;
  let channelB: string;
  let alice: AgentSocket;
  let sam: AgentSocket;
  const sockets: AgentSocket[] = [];
  const tokens: Record<string, string> = {};
  let mid = 0;
  const started = new Date(Date.now() - 3600_000).toISOString();

  const customerWrites = async (pageId: string, psid: string, text: string) => {
    mid += 1;
    const body = JSON.stringify({
      object: 'page',
      entry: [{ id: pageId, time: Date.now(), messaging: [{ sender: { id: psid }, recipient: { id: pageId }, timestamp: Date.now(), message: { mid: `m_wrap_${mid}`, text } }] }],
    });
    const res = await fetch(`${local.baseUrl}/webhooks/messenger/${appId}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-hub-signature-256': signMetaBody(body, appSecret) },
      body,
    });
    expect(res.status).toBe(200);
  };
  const next = async (socket: AgentSocket, type: string, where: (f: Frame) => boolean = () => true, timeoutMs = 15_000): Promise<Frame> => {
    for (;;) {
      const frame = await socket.next(type, timeoutMs);
      if (where(frame)) return frame;
    }
  };
  const byRequest = (requestId: string) => (f: Frame) => f.requestId === requestId;
  const ofChat = (chatId: string) => (f: Frame) => f.chatId === chatId || (f.chat as ChatFrame | undefined)?.id === chatId;
  /** A customer writes; alice is offered the chat and accepts it. */
  const aliceTakes = async (pageId: string, psid: string, text: string): Promise<ChatFrame> => {
    await customerWrites(pageId, psid, text);
    const offer = await next(alice, 'chatOffered', (f) => (f.chat as ChatFrame).customer.id === psid);
    const chat = offer.chat as ChatFrame;
    alice.send({ action: 'accept', chatId: chat.id });
    await next(alice, 'chatAssigned', ofChat(chat.id));
    return chat;
  };
  const call = async (method: string, path: string, body?: unknown, token = admin) => {
    const res = await local.api(method, path, body, token);
    if (res.status >= 300) throw new Error(`${method} ${path} answered ${res.status}: ${JSON.stringify(res.body)}`);
    return res.body as Record<string, unknown> & { id: string };
  };

  beforeAll(async () => {
    graph = await startFakeGraph({
      pages: { [pageA]: { name: 'Wrap-up A', token: tokenA }, [pageB]: { name: 'Wrap-up B', token: tokenB } },
      profiles: {
        '7500000000000001': { first_name: 'Ελένη', last_name: 'Παπαδοπούλου' },
        '7500000000000003': { first_name: 'مريم', last_name: 'حداد' },
        '7500000000000004': { first_name: 'Maria', last_name: 'Silva' },
      },
    });
    local = await startLocalRuntime({ env: { GRAPH_API_URL: graph.url } });
    admin = await local.token('admin', ['chat-admins'], 'Admin');
    await call('POST', '/api/messenger-apps', { appId, appSecret });
    await call('PATCH', '/api/settings', { simultaneousChats: 5, acceptTimeoutSeconds: 600 });
    support = (await call('POST', '/api/queues', { name: 'Support', routingRule: 'available-agent', members: { users: ['alice'], groups: [] }, dispositionRequired: true })).id;
    billing = (await call('POST', '/api/queues', { name: 'Billing', routingRule: 'available-agent', members: { users: [], groups: [] } })).id;
    channelA = (await call('POST', '/api/channels', { type: 'messenger', appId, pageId: pageA, pageAccessToken: tokenA })).id;
    channelB = (await call('POST', '/api/channels', { type: 'messenger', appId, pageId: pageB, pageAccessToken: tokenB })).id;
    await call('PATCH', `/api/channels/${channelA}`, { queueId: support, active: true, language: 'el' });
    await call('PATCH', `/api/channels/${channelB}`, { queueId: support, active: true, language: 'pt-BR' });
    await call('PUT', '/api/agents/alice', { displayName: 'Αλίκη', groups: ['agents'] });
    await call('PUT', '/api/agents/carol', { displayName: 'Carol', groups: ['agents'] });
    await call('PUT', '/api/agents/sam', { displayName: 'Sam Supervisor', groups: ['supervisors'] });
    tokens.alice = await local.token('alice', ['agents'], 'Αλίκη');
    tokens.carol = await local.token('carol', ['agents'], 'Carol');
    tokens.sam = await local.token('sam', ['supervisors'], 'Sam');
    alice = await local.connectAgent(tokens.alice);
    sam = await local.connectAgent(tokens.sam);
    sockets.push(alice, sam);
    alice.send({ action: 'setStatus', status: 'active' });
    await next(alice, 'statusChanged');
  }, 90_000);

  afterAll(async () => {
    await Promise.all(sockets.map((s) => s.close()));
    await local?.stop();
    await graph?.stop();
  });

  let resolved: Disposition;
  let arabic: Disposition;
  let billingOnly: Disposition;

  it('keeps dispositions for every queue or one queue; agents read those of a queue; bad input names the field and keeps nothing', async () => {
    const empty = await local.api('POST', '/api/dispositions', { label: '   ' }, admin);
    expect(empty).toMatchObject({ status: 400, body: { error: { code: 'validation_failed', details: [expect.objectContaining({ field: 'label' })] } } });
    expect((await local.api('POST', '/api/dispositions', { label: 'x'.repeat(101) }, admin)).status).toBe(400);
    expect((await local.api('POST', '/api/dispositions', { label: 'Lost', queueId: 'no-such-queue' }, admin)).status).toBe(404);
    expect((await local.api('POST', '/api/dispositions', { label: 'Mine' }, tokens.alice)).status).toBe(403);

    const created = await local.api('POST', '/api/dispositions', { label: 'Επιλύθηκε ✅' }, admin);
    expect(created).toMatchObject({ status: 201, body: { label: 'Επιλύθηκε ✅', queueId: null } });
    resolved = created.body as Disposition;
    arabic = (await call('POST', '/api/dispositions', { label: 'تم الحل 👍🏽', queueId: support }, tokens.sam)) as unknown as Disposition;
    billingOnly = (await call('POST', '/api/dispositions', { label: 'Refund', queueId: billing })) as unknown as Disposition;
    const doomed = (await call('POST', '/api/dispositions', { label: 'Temporary' })) as unknown as Disposition;

    const forSupport = await local.api('GET', `/api/dispositions?queueId=${support}`, undefined, tokens.alice);
    expect(forSupport.status).toBe(200);
    expect((forSupport.body as { items: Disposition[] }).items.map((d) => d.label).sort()).toEqual(['Temporary', 'Επιλύθηκε ✅', 'تم الحل 👍🏽'].sort());
    const all = (await call('GET', '/api/dispositions')) as unknown as { items: Disposition[] };
    expect(all.items).toHaveLength(4);

    expect((await local.api('DELETE', `/api/dispositions/${doomed.id}`, undefined, tokens.alice)).status).toBe(403);
    expect((await local.api('DELETE', `/api/dispositions/${doomed.id}`, undefined, admin)).status).toBe(204);
    expect((await local.api('DELETE', `/api/dispositions/${doomed.id}`, undefined, admin)).status).toBe(404);
    expect(((await call('GET', '/api/dispositions')) as unknown as { items: Disposition[] }).items.map((d) => d.id)).not.toContain(doomed.id);
    expect(await call('GET', `/api/queues/${support}`)).toMatchObject({ dispositionRequired: true });
  });

  it('closes with a disposition and tags in Greek and Arabic: refused without one, kept on the chat, in ChatClosed and the report', async () => {
    const chat = await aliceTakes(pageA, '7500000000000001', 'Γεια σας, η παραγγελία μου; 😀');

    alice.send({ action: 'close', chatId: chat.id, requestId: 'c-none' });
    expect(await next(alice, 'error', byRequest('c-none'))).toMatchObject({ code: 'disposition_required' });
    alice.send({ action: 'close', chatId: chat.id, requestId: 'c-other', dispositionId: billingOnly.id });
    expect(await next(alice, 'error', byRequest('c-other'))).toMatchObject({ code: 'unknown_disposition' });
    alice.send({ action: 'close', chatId: chat.id, requestId: 'c-ghost', dispositionId: 'no-such-disposition' });
    expect(await next(alice, 'error', byRequest('c-ghost'))).toMatchObject({ code: 'unknown_disposition' });
    alice.send({ action: 'close', chatId: chat.id, requestId: 'c-many', dispositionId: arabic.id, tags: Array.from({ length: 11 }, (_, i) => `t${i}`) });
    expect(await next(alice, 'error', byRequest('c-many'))).toMatchObject({ code: 'bad_frame' });
    alice.send({ action: 'close', chatId: chat.id, requestId: 'c-long', dispositionId: arabic.id, tags: ['ω'.repeat(51)] });
    expect(await next(alice, 'error', byRequest('c-long'))).toMatchObject({ code: 'bad_frame', details: [expect.objectContaining({ field: 'tags.0' })] });
    alice.send({ action: 'close', chatId: chat.id, requestId: 'c-blank', dispositionId: arabic.id, tags: ['   '] });
    expect(await next(alice, 'error', byRequest('c-blank'))).toMatchObject({ code: 'bad_frame' });
    // nothing of the refused closes was kept
    expect(await call('GET', `/api/chats/${chat.id}`)).toMatchObject({ state: 'assigned' });
    expect((await call('GET', `/api/chats/${chat.id}`)).disposition).toBeUndefined();

    // 50 characters counted as code points (each 😀 is one, two UTF-16 units) is fine
    alice.send({ action: 'close', chatId: chat.id, dispositionId: arabic.id, tags: ['  Ελληνικά ', 'عربي', 'Ελληνικά', '👍🏽', '😀'.repeat(50)] });
    expect(await next(alice, 'chatClosed', ofChat(chat.id))).toMatchObject({ reason: 'agent' });
    const kept = await call('GET', `/api/chats/${chat.id}`);
    expect(kept).toMatchObject({ state: 'closed', disposition: { id: arabic.id, label: 'تم الحل 👍🏽' }, tags: ['Ελληνικά', 'عربي', '👍🏽', '😀'.repeat(50)] });

    const event = await eventually(async () => (await local.events('ChatClosed')).find((e) => (e.detail as { chatId: string }).chatId === chat.id));
    expect(event.detail).toMatchObject({ reason: 'agent', dispositionId: arabic.id, dispositionLabel: 'تم الحل 👍🏽', tags: ['Ελληνικά', 'عربي', '👍🏽', '😀'.repeat(50)] });

    const to = new Date(Date.now() + 3600_000).toISOString();
    const report = await eventually(async () => {
      const res = await call('GET', `/api/reports/queues?queueId=${support}&from=${encodeURIComponent(started)}&to=${encodeURIComponent(to)}&granularity=day`);
      const rows = res.rows as { dispositions: Record<string, number> }[];
      return rows.some((r) => r.dispositions[arabic.id] === 1) ? rows : undefined;
    });
    expect(report.reduce((n, r) => n + (r.dispositions[arabic.id] ?? 0), 0)).toBe(1);
  });

  it('lets a supervisor close with a disposition, and refuses a close without one in a queue that needs it', async () => {
    const chat = await aliceTakes(pageA, '7500000000000002', 'مرحبا، أين طلبي؟ 🇵🇹');
    const refused = await local.api('POST', `/api/chats/${chat.id}/close`, { reason: 'done' }, tokens.sam);
    expect(refused).toMatchObject({ status: 400, body: { error: { code: 'disposition_required', details: [expect.objectContaining({ field: 'dispositionId' })] } } });
    expect((await local.api('POST', `/api/chats/${chat.id}/close`, { dispositionId: billingOnly.id }, tokens.sam)).body).toMatchObject({ error: { code: 'unknown_disposition' } });
    expect(await call('GET', `/api/chats/${chat.id}`)).toMatchObject({ state: 'assigned' });
    const closed = await local.api('POST', `/api/chats/${chat.id}/close`, { dispositionId: resolved.id, tags: ['VIP', 'vip', 'VIP '] }, tokens.sam);
    expect(closed).toMatchObject({ status: 200, body: { chat: { state: 'closed', disposition: { id: resolved.id, label: 'Επιλύθηκε ✅' }, tags: ['VIP', 'vip'] } } });
    expect(await next(alice, 'chatClosed', ofChat(chat.id))).toMatchObject({ reason: 'supervisor' });
  });

  it('keeps private notes with emoji for the agent and supervisors, never for the customer', async () => {
    const chat = await aliceTakes(pageA, '7500000000000005', 'Hello 👋');
    sam.send({ action: 'watch', chatId: chat.id, requestId: 'w1' });
    await next(sam, 'watching', byRequest('w1'));

    const text = 'Πελάτης VIP 😀 👍🏽 🇵🇹 👨‍👩‍👧 𝕳 — يريد استرداد المبلغ';
    alice.send({ action: 'note', chatId: chat.id, text, requestId: 'n1' });
    const noted = await next(alice, 'noted', byRequest('n1'));
    const note = noted.note as { id: string; authorId: string; authorName: string; text: string; chatId: string };
    expect(note).toMatchObject({ chatId: chat.id, authorId: 'alice', authorName: 'Αλίκη', text });
    expect(await next(alice, 'noteAdded', ofChat(chat.id))).toMatchObject({ note: { id: note.id, text } });
    expect(await next(sam, 'noteAdded', ofChat(chat.id))).toMatchObject({ watching: true, note: { id: note.id } });

    // a retry of the same frame keeps it once
    alice.send({ action: 'note', chatId: chat.id, text, requestId: 'n1' });
    expect((await next(alice, 'noted', byRequest('n1'))).note).toMatchObject({ id: note.id });
    // a supervisor adds one too
    sam.send({ action: 'note', chatId: chat.id, text: 'Ok 👍', requestId: 'n2' });
    expect((await next(sam, 'noted', byRequest('n2'))).note).toMatchObject({ authorId: 'sam', authorName: 'Sam Supervisor' });

    // another agent may neither add nor read them
    const carol = await local.connectAgent(tokens.carol!);
    sockets.push(carol);
    carol.send({ action: 'note', chatId: chat.id, text: 'hi', requestId: 'n3' });
    expect(await next(carol, 'error', byRequest('n3'))).toMatchObject({ code: 'not_your_chat' });
    carol.send({ action: 'notes', chatId: chat.id, requestId: 'n4' });
    expect(await next(carol, 'error', byRequest('n4'))).toMatchObject({ code: 'not_your_chat' });
    expect((await local.api('GET', `/api/chats/${chat.id}/notes`, undefined, tokens.carol)).status).toBe(403);
    // too long, or blank: refused, naming the field
    alice.send({ action: 'note', chatId: chat.id, text: '😀'.repeat(2001), requestId: 'n5' });
    expect(await next(alice, 'error', byRequest('n5'))).toMatchObject({ code: 'bad_frame', details: [expect.objectContaining({ field: 'text' })] });

    alice.send({ action: 'notes', chatId: chat.id, requestId: 'n6' });
    const listed = await next(alice, 'notes', byRequest('n6'));
    expect((listed.items as { text: string }[]).map((n) => n.text)).toEqual([text, 'Ok 👍']);
    const rest = await local.api('GET', `/api/chats/${chat.id}/notes`, undefined, tokens.alice);
    expect(rest).toMatchObject({ status: 200, body: { items: [{ id: note.id, text }, { text: 'Ok 👍' }] } });
    const paged = await local.api('GET', `/api/chats/${chat.id}/notes?limit=1`, undefined, tokens.sam);
    const second = await local.api('GET', `/api/chats/${chat.id}/notes?limit=1&nextToken=${(paged.body as { nextToken: string }).nextToken}`, undefined, tokens.sam);
    expect((second.body as { items: { text: string }[] }).items.map((n) => n.text)).toEqual(['Ok 👍']);
    expect((await local.api('GET', `/api/chats/${chat.id}/notes?nextToken=bm9wZQ`, undefined, tokens.sam)).body).toMatchObject({ error: { code: 'invalid_token' } });

    // the agent's reply reaches the customer; the notes before it never did
    alice.send({ action: 'send', chatId: chat.id, clientMessageId: 'after-notes', text: 'Reply ✅' });
    await eventually(async () => graph.sent.find((m) => m.text === 'Reply ✅'));
    expect(JSON.stringify(graph.requests)).not.toContain('VIP');
    expect(JSON.stringify(graph.requests)).not.toContain('Ok 👍');
    const messages = (await call('GET', `/api/chats/${chat.id}`)).messages as { text?: string }[];
    expect(messages.map((m) => m.text)).toEqual(['Hello 👋', 'Reply ✅']);
    alice.send({ action: 'close', chatId: chat.id, dispositionId: resolved.id });
    await next(alice, 'chatClosed', ofChat(chat.id));
  });

  it("shows the customer's earlier chats across two channels of one contact, newest first, paged", async () => {
    // one person: a customer of page A, and later of page B
    const first = await aliceTakes(pageA, '7500000000000003', 'Σας έγραψα χθες 📦');
    alice.send({ action: 'close', chatId: first.id, dispositionId: resolved.id, tags: ['παράδοση'] });
    await next(alice, 'chatClosed', ofChat(first.id));
    const onB = await aliceTakes(pageB, '7500000000000004', 'Olá de novo 🇵🇹');

    // before any link: page B's customer has no earlier chat
    expect(await call('GET', `/api/chats/${onB.id}/history`, undefined, tokens.alice)).toEqual({ items: [] });

    // alice creates the contact and links her chat; the closed chat on page A needs a supervisor
    const contact = await local.api('POST', '/api/contacts', { name: 'Ελένη Maria', email: 'eleni@example.com' }, tokens.alice);
    expect(contact.status).toBe(201);
    const contactId = (contact.body as { id: string }).id;
    expect(await call('POST', `/api/chats/${onB.id}/contact`, { contactId }, tokens.alice)).toMatchObject({ contactId });
    expect((await local.api('POST', `/api/chats/${first.id}/contact`, { contactId }, tokens.alice)).status).toBe(403);
    expect((await local.api('POST', `/api/chats/${first.id}/contact`, { contactId }, tokens.carol)).status).toBe(403);
    expect(await call('POST', `/api/chats/${first.id}/contact`, { contactId }, tokens.sam)).toMatchObject({ contactId });
    // found by a prefix of a word of the name or of the email
    for (const query of ['maria', 'ελέ', 'eleni@']) {
      const found = await call('GET', `/api/contacts?query=${encodeURIComponent(query)}`, undefined, tokens.alice);
      expect({ query, ids: (found.items as { id: string }[]).map((c) => c.id) }).toEqual({ query, ids: [contactId] });
    }

    const history = (await call('GET', `/api/chats/${onB.id}/history`, undefined, tokens.alice)) as unknown as { items: HistoryItem[] };
    expect(history.items).toHaveLength(1);
    expect(history.items[0]).toMatchObject({
      id: first.id,
      channelId: channelA,
      state: 'closed',
      disposition: { id: resolved.id, label: 'Επιλύθηκε ✅' },
      tags: ['παράδοση'],
      lastMessage: { direction: 'in', text: 'Σας έγραψα χθες 📦' },
    });

    // the page A customer writes again: a new chat, linked to the contact from its start
    const again = await aliceTakes(pageA, '7500000000000003', 'Και πάλι εγώ 😀');
    const both = (await call('GET', `/api/chats/${onB.id}/history`, undefined, tokens.alice)) as unknown as { items: HistoryItem[] };
    expect(both.items.map((i) => i.id)).toEqual([again.id, first.id]);
    const fromA = (await call('GET', `/api/chats/${again.id}/history`, undefined, tokens.alice)) as unknown as { items: HistoryItem[] };
    expect(fromA.items.map((i) => i.id)).toEqual([onB.id, first.id]);

    const page1 = (await call('GET', `/api/chats/${onB.id}/history?limit=1`, undefined, tokens.alice)) as unknown as { items: HistoryItem[]; nextToken: string };
    expect(page1.items.map((i) => i.id)).toEqual([again.id]);
    const page2 = (await call('GET', `/api/chats/${onB.id}/history?limit=1&nextToken=${page1.nextToken}`, undefined, tokens.alice)) as unknown as { items: HistoryItem[]; nextToken?: string };
    expect(page2.items.map((i) => i.id)).toEqual([first.id]);
    expect((await local.api('GET', `/api/chats/${onB.id}/history?nextToken=not-a-token`, undefined, tokens.alice)).body).toMatchObject({ error: { code: 'invalid_token' } });
    expect((await local.api('GET', `/api/chats/${onB.id}/history`, undefined, tokens.carol)).status).toBe(403);

    // the same over the socket, for chats alice holds only
    alice.send({ action: 'customerHistory', chatId: onB.id, requestId: 'h1' });
    const frame = await next(alice, 'customerHistory', byRequest('h1'));
    expect((frame.items as HistoryItem[]).map((i) => i.id)).toEqual([again.id, first.id]);
    alice.send({ action: 'customerHistory', chatId: first.id, requestId: 'h2' });
    expect(await next(alice, 'error', byRequest('h2'))).toMatchObject({ code: 'not_your_chat' });

    for (const id of [onB.id, again.id]) {
      alice.send({ action: 'close', chatId: id, dispositionId: resolved.id });
      await next(alice, 'chatClosed', ofChat(id));
    }
  });

  it("offers quick replies in the chat's language, else the default one, filled in for the chat and the agent", async () => {
    const greek = await call('POST', '/api/quick-replies', { language: 'el', text: 'Γεια σας {customerFirstName}, είμαι η {agentName} 😀', queueId: support });
    await call('POST', '/api/quick-replies', { language: 'en', text: 'Hi {customerFirstName}, {agentName} here {unknown}' });
    const other = await call('POST', '/api/quick-replies', { language: 'ar', text: 'مرحبا', queueId: billing });
    const patched = await local.api('PATCH', `/api/quick-replies/${other.id}`, { language: 'pt', text: 'Olá {customerFirstName} 👍🏽', queueId: null }, admin);
    expect(patched).toMatchObject({ status: 200, body: { id: other.id, language: 'pt', text: 'Olá {customerFirstName} 👍🏽', queueId: null } });
    expect((await local.api('PATCH', `/api/quick-replies/${other.id}`, { language: 'Portuguese' }, admin)).status).toBe(400);
    expect((await local.api('PATCH', '/api/quick-replies/nope', { text: 'x' }, admin)).status).toBe(404);
    expect((await local.api('PATCH', `/api/quick-replies/${other.id}`, { text: 'x' }, tokens.alice)).status).toBe(403);

    const onA = await aliceTakes(pageA, '7500000000000001', 'Πάλι εγώ');
    const forA = (await call('GET', `/api/quick-replies?chatId=${onA.id}`, undefined, tokens.alice)) as unknown as { items: { id: string; rendered: string }[] };
    expect(forA.items).toEqual([expect.objectContaining({ id: greek.id, rendered: 'Γεια σας Ελένη, είμαι η Αλίκη 😀' })]);

    // page B speaks pt-BR: the pt reply matches its base language
    const onB = await aliceTakes(pageB, '7500000000000006', 'Oi');
    const forB = (await call('GET', `/api/quick-replies?chatId=${onB.id}`, undefined, tokens.alice)) as unknown as { items: { rendered: string }[] };
    expect(forB.items.map((r) => r.rendered)).toEqual([`Olá ${onB.customer.name.split(' ')[0]} 👍🏽`]);
    // with no reply in the chat's language, the default language's
    await call('PATCH', `/api/quick-replies/${other.id}`, { language: 'ar' });
    const fallback = (await call('GET', `/api/quick-replies?chatId=${onB.id}`, undefined, tokens.alice)) as unknown as { items: { rendered: string }[] };
    expect(fallback.items.map((r) => r.rendered)).toEqual([`Hi ${onB.customer.name.split(' ')[0]}, Αλίκη here {unknown}`]);

    expect((await local.api('GET', '/api/quick-replies', undefined, tokens.alice)).status).toBe(403);
    expect((await local.api('GET', `/api/quick-replies?chatId=${onA.id}`, undefined, tokens.carol)).status).toBe(403);
  });
});
