import { languageKeys, languageTag, textForLanguage } from '../../functions/domain/language';
import { customerFrom, newChat } from '../../functions/domain/chat';
import { automatedText } from '../../functions/services/automated-messages';
import { previewOf } from '../../functions/domain/model';

describe('customer languages', () => {
  it('turns the platforms’ codes into one kind of tag', () => {
    expect(languageTag('pt_BR')).toBe('pt-BR'); // Meta's locale
    expect(languageTag('pt-br')).toBe('pt-BR'); // Telegram's language_code
    expect(languageTag('EN')).toBe('en');
    expect(languageTag('zh_Hant')).toBe('zh-Hant');
    expect(languageTag('es-419')).toBe('es-419');
    for (const junk of ['', 'english', 'e', 'pt_BR_x', '😀', undefined, null]) expect(languageTag(junk)).toBeUndefined();
  });

  it('looks texts up by the most specific language first, then the language, then default', () => {
    expect(languageKeys('pt-BR')).toEqual(['pt-BR', 'pt']);
    expect(textForLanguage({ pt: 'Olá', default: 'Hello' }, 'pt-BR')).toBe('Olá');
    expect(textForLanguage({ 'pt-BR': 'Oi', pt: 'Olá' }, 'pt-BR')).toBe('Oi');
    expect(textForLanguage({ default: 'Hello' }, 'uk')).toBe('Hello');
    expect(automatedText({ languages: { pt: { greeting: 'Olá! 😀' }, default: { greeting: 'Hi' } }, allAgentsBusyAfterSeconds: null }, 'pt-PT', 'greeting')).toBe('Olá! 😀');
  });

  it('gives a chat the customer’s own language, and the channel’s only when the platform says none', () => {
    const channel = { id: 'ch', type: 'telegram' as const, queueId: 'q', language: 'en', active: true };
    const base = { id: 'c1', channel, state: 'waiting' as const, createdAt: '2026-01-01T00:00:00.000Z', lastMessageAt: '2026-01-01T00:00:00.000Z' };
    const ukrainian = customerFrom({ id: '42', firstName: 'Олена', languageCode: 'uk' });
    expect(newChat({ ...base, customer: ukrainian }).language).toBe('uk');
    expect(newChat({ ...base, customer: customerFrom({ id: '43', firstName: 'Ana', languageCode: 'pt_BR' }) }).language).toBe('pt-BR');
    expect(newChat({ ...base, customer: customerFrom({ id: '44', firstName: 'Kim' }) }).language).toBe('en');
    expect(newChat({ ...base, channel: { ...channel, language: null }, customer: customerFrom({ id: '45', firstName: 'Kim' }) }).language).toBeNull();
  });
});

describe('offer previews', () => {
  it('keeps a short first message whole, cuts a long one on a character boundary, and counts attachments', () => {
    expect(previewOf({ text: 'Olá 👍🏽', sentAt: 't' })).toEqual({ text: 'Olá 👍🏽', sentAt: 't' });
    const long = previewOf({ text: '👨‍👩‍👧𝕳'.repeat(100), sentAt: 't' });
    expect([...long.text!].length).toBe(140);
    expect(long.text!.endsWith('…')).toBe(true);
    expect(long.text).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/); // no lone surrogate
    expect(previewOf({ attachments: [{}, {}], sentAt: 't' })).toEqual({ attachments: 2, sentAt: 't' });
  });
});
