import { GraphApi } from '../../functions/adapters/graph-api';
import { type Channel, type Message, type RoutedChat } from '../../functions/domain/model';
import { MessengerSender, OutsideMessagingWindow } from '../../functions/adapters/messenger-sender';
import { graphErrors, startFakeGraph, type FakeGraph } from '../support/fake-graph';

const pageId = '105123456789012';
const token = 'EAAG-sender-unit-token';
const channel: Channel = { id: 'ch', type: 'messenger', name: 'Acme', active: true, queueId: 'q', language: 'en', provisioningState: 'running', lastError: null, humanAgentTag: true, appId: '1', pageId, createdAt: '2026-01-01T00:00:00.000Z' };
const chat: RoutedChat = { id: 'c', channelId: 'ch', channelType: 'messenger', queueId: 'q', state: 'assigned', agentId: 'ann', customer: { id: 'psid-1', name: 'Ana' }, contactId: null, language: 'en', createdAt: '2026-03-01T08:00:00.000Z', lastMessageAt: '2026-03-01T09:00:00.000Z', customerWroteAt: '2026-03-01T09:00:00.000Z', version: 3, offeredTo: [], skipped: [] };
const reply = (extra: Partial<Message> = {}): Message => ({ id: 'm', chatId: 'c', direction: 'out', text: 'Hello', sentAt: '2026-03-01T09:01:00.000Z', status: 'pending', agentId: 'ann', ...extra });

describe('the Messenger sender', () => {
  let graph: FakeGraph;
  const pauses: number[] = [];
  const senderAt = (iso: string) => new MessengerSender(new GraphApi({ baseUrl: graph.url }), () => new Date(iso), async (ms) => void pauses.push(ms));
  beforeAll(async () => {
    graph = await startFakeGraph({ pages: { [pageId]: { name: 'Acme', token } } });
  });
  afterAll(() => graph.stop());
  beforeEach(() => {
    graph.sent.length = 0;
    pauses.length = 0;
  });

  it('replies inside the 24-hour window as RESPONSE without a tag', async () => {
    await senderAt('2026-03-01T10:00:00.000Z').send({ channel, chat, message: reply(), token });
    expect(graph.sent).toEqual([expect.objectContaining({ recipientId: 'psid-1', messagingType: 'RESPONSE', text: 'Hello' })]);
    expect(graph.sent[0]?.tag).toBeUndefined();
  });

  it('tags an agent’s reply HUMAN_AGENT after 24 hours on a channel that allows it', async () => {
    await senderAt('2026-03-03T10:00:00.000Z').send({ channel, chat, message: reply(), token });
    expect(graph.sent).toEqual([expect.objectContaining({ messagingType: 'MESSAGE_TAG', tag: 'HUMAN_AGENT' })]);
    expect(graph.violations).toEqual([]);
  });

  it('refuses an automated message after 24 hours without calling Meta', async () => {
    const sending = senderAt('2026-03-03T10:00:00.000Z').send({ channel, chat, message: reply({ agentId: undefined }), token });
    await expect(sending).rejects.toBeInstanceOf(OutsideMessagingWindow);
    expect(graph.sent).toEqual([]);
  });

  it('sends image and file attachments by URL, then the text', async () => {
    const message = reply({ attachments: [{ type: 'image', url: 'https://cdn.example.com/a.png' }, { type: 'file', url: 'https://cdn.example.com/b.pdf', name: 'b.pdf' }] });
    const { platformMessageId } = await senderAt('2026-03-01T10:00:00.000Z').send({ channel, chat, message, token });
    expect(graph.sent.map((s) => s.attachment ?? s.text)).toEqual([{ type: 'image', url: 'https://cdn.example.com/a.png' }, { type: 'file', url: 'https://cdn.example.com/b.pdf' }, 'Hello']);
    expect(platformMessageId).toBe(graph.sent[2]?.messageId);
  });

  it('pauses and tries again when the Send API is rate limited', async () => {
    graph.reply(graphErrors.appRateLimited);
    graph.reply(graphErrors.customRateLimited);
    await senderAt('2026-03-01T10:00:00.000Z').send({ channel, chat, message: reply(), token });
    expect(pauses).toEqual([1000, 3000]);
    expect(graph.sent).toHaveLength(1);
  });

  it('hands a still rate-limited send to the queue with a pause to wait, and marks a rejected token as failing the channel', async () => {
    const sender = senderAt('2026-03-01T10:00:00.000Z');
    graph.reply(graphErrors.appRateLimited, 3);
    const limited = await sender.send({ channel, chat, message: reply(), token }).catch((e: unknown) => e);
    expect(sender.classify(limited)).toMatchObject({ retryable: true, retryAfterSeconds: 60 });
    graph.reply(graphErrors.tokenInvalid);
    const rejected = await sender.send({ channel, chat, message: reply(), token }).catch((e: unknown) => e);
    expect(sender.classify(rejected)).toMatchObject({ retryable: false, channelFailed: expect.stringContaining('190') });
  });
});
