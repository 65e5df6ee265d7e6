import { S3Client } from '@aws-sdk/client-s3';
import { GraphApi } from '../../functions/adapters/graph-api';
import { TelegramApi } from '../../functions/adapters/telegram-api';
import { MessengerSender } from '../../functions/adapters/messenger-sender';
import { ChatPacer, TelegramSender } from '../../functions/adapters/telegram-sender';
import { S3Attachments } from '../../functions/adapters/s3-attachments';
import { type Channel, type Message, type RoutedChat } from '../../functions/domain/model';
import { contentDisposition, kindOf, telegramMethodFor, type AttachmentStore } from '../../functions/domain/uploads';
import { checkPresigned } from '../../local/s3-gateway';
import { startFakeGraph, type FakeGraph } from '../support/fake-graph';
import { startFakeTelegram, type FakeTelegram } from '../support/fake-telegram';

/** The senders upload agents' files as the platforms take them (multipart), and the local bucket's presigned checks. */
const pageId = '105123456789012';
const pageToken = 'EAAG-attachment-unit-token';
const botToken = '7000000003:AAHsecretBotTokenValue_attach_unit';
const photo = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff]), Buffer.from('😀 👍🏽 🇵🇹', 'utf8'), Buffer.from([0xff, 0xd9])]);
const pdf = Buffer.from('%PDF-1.7 Olá 𝕳\n%%EOF', 'utf8');
const objects: Record<string, { body: Buffer; contentType: string }> = {
  'uploads/c/photo': { body: photo, contentType: 'image/jpeg' },
  'uploads/c/doc': { body: pdf, contentType: 'application/pdf' },
  'uploads/c/gif': { body: photo, contentType: 'image/gif' },
};
const files: Pick<AttachmentStore, 'read'> = {
  read: async (key) => {
    const o = objects[key];
    if (!o) throw new Error(`no ${key}`);
    return { body: new Uint8Array(o.body), contentType: o.contentType };
  },
};
const now = '2026-03-01T09:01:00.000Z';
const messenger: Channel = { id: 'ch', type: 'messenger', name: 'Acme', active: true, queueId: 'q', language: 'en', provisioningState: 'running', lastError: null, humanAgentTag: false, appId: '1', pageId, createdAt: '2026-01-01T00:00:00.000Z' };
const telegramChannel: Channel = { ...messenger, id: 'tg', type: 'telegram', pageId: undefined, appId: undefined };
const chat = (channel: Channel, customerId: string): RoutedChat => ({ id: 'c', channelId: channel.id, channelType: channel.type, queueId: 'q', state: 'assigned', agentId: 'ann', customer: { id: customerId, name: 'Ana' }, contactId: null, language: 'pt', createdAt: now, lastMessageAt: now, customerWroteAt: now, version: 3, offeredTo: [], skipped: [] });
const message = (attachments: Message['attachments'], text?: string): Message => ({ id: 'm', chatId: 'c', direction: 'out', ...(text ? { text } : {}), attachments, sentAt: now, status: 'pending', agentId: 'ann' });

describe('sending agents’ uploaded files', () => {
  let graph: FakeGraph;
  let telegram: FakeTelegram;
  beforeAll(async () => {
    graph = await startFakeGraph({ pages: { [pageId]: { name: 'Acme', token: pageToken } } });
    telegram = await startFakeTelegram({ bots: { [botToken]: { id: 7000000003, username: 'acme_bot', first_name: 'Acme' } } });
  });
  afterAll(async () => {
    await graph.stop();
    await telegram.stop();
  });

  it('uploads each file to the Send API as multipart filedata with its type and name, then the text', async () => {
    const sender = new MessengerSender(new GraphApi({ baseUrl: graph.url }), () => new Date('2026-03-01T10:00:00.000Z'), async () => undefined, files);
    await sender.send({ channel: messenger, chat: chat(messenger, 'psid-1'), message: message([{ type: 'image', url: 's3:uploads/c/photo', name: 'fotografía 📷.jpg' }, { type: 'file', url: 's3:uploads/c/doc', name: 'fatura nº 7.pdf' }], 'Olá 😀'), token: pageToken });
    expect(graph.violations).toEqual([]);
    expect(graph.sent.map((m) => [m.attachment?.type ?? 'text', m.attachment?.file?.name ?? m.text])).toEqual([
      ['image', 'fotografía 📷.jpg'],
      ['file', 'fatura nº 7.pdf'],
      ['text', 'Olá 😀'],
    ]);
    expect(graph.sent[0]!.attachment?.file).toEqual({ name: 'fotografía 📷.jpg', contentType: 'image/jpeg', bytes: photo });
    expect(graph.sent[1]!.attachment?.file?.bytes).toEqual(pdf);
    expect(graph.sent.every((m) => m.messagingType === 'RESPONSE')).toBe(true);
    const upload = graph.requests.find((r) => r.body instanceof Map);
    expect(upload?.query.access_token).toBe(pageToken);
  });

  it('sends a photo with sendPhoto, other files (and pictures Telegram cannot show as photos) with sendDocument, as multipart', async () => {
    const sender = new TelegramSender(new TelegramApi({ baseUrl: telegram.url }), new ChatPacer({ intervalMs: 0 }), { markCustomerBlocked: async () => undefined }, files);
    await sender.send({
      channel: telegramChannel,
      chat: chat(telegramChannel, '48291034'),
      message: message([
        { type: 'image', url: 's3:uploads/c/photo', name: 'fotografía 📷.jpg' },
        { type: 'file', url: 's3:uploads/c/doc', name: 'fatura.pdf' },
        { type: 'image', url: 's3:uploads/c/gif', name: 'a.gif' },
      ], 'Aqui 👍🏽'),
      token: botToken,
    });
    expect(telegram.violations).toEqual([]);
    expect(telegram.files.map((f) => [f.method, f.name, f.contentType, f.chatId])).toEqual([
      ['sendPhoto', 'fotografía 📷.jpg', 'image/jpeg', '48291034'],
      ['sendDocument', 'fatura.pdf', 'application/pdf', '48291034'],
      ['sendDocument', 'a.gif', 'image/gif', '48291034'],
    ]);
    expect(telegram.files[0]!.bytes).toEqual(photo);
    expect(telegram.sent.map((m) => m.text)).toEqual(['Aqui 👍🏽']);
  });

  it('falls back to sendDocument when Telegram refuses the picture as a photo', async () => {
    telegram.files.length = 0;
    telegram.reply({ status: 400, body: { ok: false, error_code: 400, description: 'Bad Request: PHOTO_INVALID_DIMENSIONS' } });
    const sender = new TelegramSender(new TelegramApi({ baseUrl: telegram.url }), new ChatPacer({ intervalMs: 0 }), { markCustomerBlocked: async () => undefined }, files);
    await sender.send({ channel: telegramChannel, chat: chat(telegramChannel, '48291035'), message: message([{ type: 'image', url: 's3:uploads/c/photo', name: 'wide.jpg' }]), token: botToken });
    expect(telegram.files.map((f) => f.method)).toEqual(['sendDocument']);
  });

  it('chooses kinds and Telegram methods by content type and size, and names files for browsers in ASCII and UTF-8', () => {
    expect([kindOf('image/png'), kindOf('video/mp4'), kindOf('audio/ogg'), kindOf('application/pdf')]).toEqual(['image', 'video', 'audio', 'file']);
    expect(telegramMethodFor('image/jpeg', 10 * 1024 * 1024)).toBe('sendPhoto');
    expect(telegramMethodFor('image/jpeg', 10 * 1024 * 1024 + 1)).toBe('sendDocument');
    expect(contentDisposition('fotografía "📷".jpg')).toBe(`attachment; filename="fotograf_a ___.jpg"; filename*=UTF-8''fotograf%C3%ADa%20%22%F0%9F%93%B7%22.jpg`);
  });
});

describe('the local bucket checks presigned URLs as S3 does', () => {
  const signedAt = new Date('2026-03-01T09:00:00.000Z');
  const s3 = new S3Client({ endpoint: 'http://127.0.0.1:4599', region: 'us-east-1', forcePathStyle: true, requestChecksumCalculation: 'WHEN_REQUIRED', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  const store = new S3Attachments(s3, 'omnichat-attachments', () => signedAt);
  const check = (url: string, headers: Record<string, string>, at: Date, method = 'PUT') => {
    const u = new URL(url);
    return checkPresigned({ method, url: u.pathname + u.search, headers: { host: u.host, ...headers } }, u, { local: 'local' }, at.getTime());
  };
  const fine = { 'content-type': 'image/jpeg', 'content-length': '1234' };

  it('takes the signed request until it expires, and nothing else', async () => {
    const { url } = await store.presignUpload({ key: 'uploads/chat-1/abc', contentType: 'image/jpeg', size: 1234, expiresInSeconds: 300 });
    expect(new URL(url).searchParams.get('X-Amz-SignedHeaders')).toBe('content-length;content-type;host');
    expect(url).not.toContain('x-amz-checksum');
    expect(check(url, fine, new Date(signedAt.getTime() + 299_000))).toBeUndefined();
    expect(check(url, fine, new Date(signedAt.getTime() + 301_000))).toMatchObject({ status: 403, code: 'AccessDenied', message: 'Request has expired' });
    expect(check(url, { ...fine, 'content-type': 'text/html' }, signedAt)).toMatchObject({ status: 403, code: 'SignatureDoesNotMatch' });
    expect(check(url, { ...fine, 'content-length': '99999999' }, signedAt)).toMatchObject({ code: 'SignatureDoesNotMatch' });
    expect(check(url, fine, signedAt, 'GET')).toMatchObject({ code: 'SignatureDoesNotMatch' });
    expect(check(url.replace('uploads/chat-1/abc', 'uploads/chat-2/abc'), fine, signedAt)).toMatchObject({ code: 'SignatureDoesNotMatch' });
    expect(check(url.replace('X-Amz-Expires=300', 'X-Amz-Expires=3000'), fine, signedAt)).toMatchObject({ code: 'SignatureDoesNotMatch' });
    expect(check(url.replace('Credential=local', 'Credential=other'), fine, signedAt)).toMatchObject({ code: 'InvalidAccessKeyId' });
  });

  it('takes a download link whose file name holds any script and emoji', async () => {
    const url = await store.presignDownload('uploads/chat-1/abc', 'fotografía 📷 注文.jpg', 3600);
    expect(check(url, {}, signedAt, 'GET')).toBeUndefined();
    expect(check(url, {}, new Date(signedAt.getTime() + 3_601_000), 'GET')).toMatchObject({ message: 'Request has expired' });
  });
});
