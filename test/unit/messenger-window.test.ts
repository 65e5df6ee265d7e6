import { messagingWindow } from '../../functions/domain/messaging-window';

const lastMessage = '2026-03-01T09:00:00.000Z';
const after = (hours: number) => new Date(Date.parse(lastMessage) + hours * 3600 * 1000);

describe('the Messenger messaging window', () => {
  it('sends a reply within 24 hours of the customer’s last message as RESPONSE', () => {
    expect(messagingWindow({ customerLastMessageAt: lastMessage, now: after(23.9), humanAgentTag: false, automated: false })).toEqual({ allowed: true, messagingType: 'RESPONSE' });
  });

  it('sends an agent’s reply between 24 hours and 7 days with the HUMAN_AGENT tag when the channel enables it', () => {
    expect(messagingWindow({ customerLastMessageAt: lastMessage, now: after(30), humanAgentTag: true, automated: false })).toEqual({ allowed: true, messagingType: 'MESSAGE_TAG', tag: 'HUMAN_AGENT' });
  });

  it('refuses an agent’s reply after 24 hours when the channel does not use the HUMAN_AGENT tag', () => {
    expect(messagingWindow({ customerLastMessageAt: lastMessage, now: after(25), humanAgentTag: false, automated: false })).toMatchObject({ allowed: false, code: 'outside_messaging_window' });
  });

  it('never tags an automated message: after 24 hours it is refused even where the tag is enabled', () => {
    expect(messagingWindow({ customerLastMessageAt: lastMessage, now: after(25), humanAgentTag: true, automated: true })).toMatchObject({ allowed: false, code: 'outside_messaging_window' });
    expect(messagingWindow({ customerLastMessageAt: lastMessage, now: after(1), humanAgentTag: true, automated: true })).toEqual({ allowed: true, messagingType: 'RESPONSE' });
  });

  it('refuses every reply after 7 days', () => {
    expect(messagingWindow({ customerLastMessageAt: lastMessage, now: after(7 * 24 + 1), humanAgentTag: true, automated: false })).toMatchObject({ allowed: false, reason: expect.stringContaining('7 days') });
  });
});
