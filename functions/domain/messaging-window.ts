/**
 * Messenger's messaging window: a Page may answer freely within 24 hours of the customer's last
 * message; from 24 hours to 7 days only a human agent may, with the `HUMAN_AGENT` tag, and only
 * where the channel enables it. Automated messages never use a tag. Pure: time is a parameter.
 */

const hour = 3600 * 1000;
export const standardWindowMillis = 24 * hour;
export const humanAgentWindowMillis = 7 * 24 * hour;

export type WindowDecision =
  | { allowed: true; messagingType: 'RESPONSE' }
  | { allowed: true; messagingType: 'MESSAGE_TAG'; tag: 'HUMAN_AGENT' }
  | { allowed: false; code: 'outside_messaging_window'; reason: string };

export interface WindowInput {
  /** When the customer's last message reached us (ISO-8601); webhooks arrive within seconds of Meta's timestamp. */
  customerLastMessageAt: string;
  now: Date;
  /** The channel's `humanAgentTag` setting. */
  humanAgentTag: boolean;
  /** Greetings, busy notices, closing messages: sent by the Page, never tagged. */
  automated: boolean;
}

/** How (and whether) a reply may go out now under Meta's messaging window. */
export function messagingWindow(input: WindowInput): WindowDecision {
  const elapsed = input.now.getTime() - Date.parse(input.customerLastMessageAt);
  if (!Number.isFinite(elapsed)) return refuse('The customer has not written in this chat yet.');
  if (elapsed <= standardWindowMillis) return { allowed: true, messagingType: 'RESPONSE' };
  if (input.automated) return refuse('Automated messages may only be sent within 24 hours of the customer’s last message.');
  if (elapsed <= humanAgentWindowMillis) {
    if (input.humanAgentTag) return { allowed: true, messagingType: 'MESSAGE_TAG', tag: 'HUMAN_AGENT' };
    return refuse('More than 24 hours have passed since the customer’s last message, and this channel does not use the HUMAN_AGENT tag.');
  }
  return refuse('More than 7 days have passed since the customer’s last message; Messenger allows no reply until the customer writes again.');
}

function refuse(reason: string): WindowDecision {
  return { allowed: false, code: 'outside_messaging_window', reason };
}
