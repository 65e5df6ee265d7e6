import { checkFileLink, fileLinkKey, signFileLink, telegramFileIdOf } from '../../functions/domain/file-links';

const key = fileLinkKey('7000000001:AAHsecretBotTokenValue_0123456789');
const now = new Date('2026-03-01T09:00:00.000Z');

function partsOf(link: string) {
  const url = new URL(link);
  const [, , , channelId, fileId] = url.pathname.split('/').map(decodeURIComponent);
  return { url, channelId: channelId ?? '', fileId: fileId ?? '', expires: Number(url.searchParams.get('expires')), signature: url.searchParams.get('signature') ?? '' };
}

describe('signed links to Telegram files', () => {
  it('points at our file route with an expiry and a signature, and never carries the bot token', () => {
    // when
    const link = signFileLink({ baseUrl: 'https://api.example.com/', channelId: 'ch-1', fileId: 'AgACAgQ_large-1', key, now, ttlSeconds: 600 });
    // then
    const { url, channelId, fileId, expires } = partsOf(link);
    expect(`${url.origin}${url.pathname}`).toBe('https://api.example.com/files/telegram/ch-1/AgACAgQ_large-1');
    expect({ channelId, fileId, expires }).toEqual({ channelId: 'ch-1', fileId: 'AgACAgQ_large-1', expires: now.getTime() / 1000 + 600 });
    expect(link).not.toContain('AAHsecretBotTokenValue');
  });

  it('accepts its own link until it expires, then reports it expired', () => {
    // given
    const p = partsOf(signFileLink({ baseUrl: 'http://127.0.0.1:3000', channelId: 'ch-1', fileId: 'f1', key, now, ttlSeconds: 60 }));
    const at = (seconds: number) => new Date(now.getTime() + seconds * 1000);
    // when / then
    expect(checkFileLink({ ...p, key, now: at(59) })).toBe('valid');
    expect(checkFileLink({ ...p, key, now: at(60) })).toBe('expired');
  });

  it('refuses a link for another file, another channel, a later expiry or another bot token', () => {
    // given
    const p = partsOf(signFileLink({ baseUrl: 'http://127.0.0.1:3000', channelId: 'ch-1', fileId: 'f1', key, now }));
    // when / then
    expect(checkFileLink({ ...p, fileId: 'f2', key, now })).toBe('forged');
    expect(checkFileLink({ ...p, channelId: 'ch-2', key, now })).toBe('forged');
    expect(checkFileLink({ ...p, expires: p.expires + 3600, key, now })).toBe('forged');
    expect(checkFileLink({ ...p, key: fileLinkKey('7000000001:rotated-token-value-0123456789'), now })).toBe('forged');
    expect(checkFileLink({ ...p, signature: 'short', key, now })).toBe('forged');
  });

  it('recognises stored Telegram file references and nothing else', () => {
    expect(telegramFileIdOf('tg-file:BQACAgQ')).toBe('BQACAgQ');
    expect(telegramFileIdOf('tg-file:')).toBeUndefined();
    expect(telegramFileIdOf('https://cdn.example.com/a.png')).toBeUndefined();
  });
});
