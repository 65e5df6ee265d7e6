import type { InboundEnvelope, InboundEvent } from '../domain/inbound';
import type { Channel, MessageStatus } from '../domain/model';
import { type AgentNotifier, type ChatStore } from '../domain/ports';
import type { WatchersPort } from './dispatcher';

type Receipt = Extract<InboundEvent, { kind: 'delivery' | 'read' }>;

/** Messages a receipt may touch: the newest few at or before its watermark. */
const receiptWindow = 20;
const rank: Partial<Record<MessageStatus, number>> = { sent: 1, delivered: 2, read: 3 };

/**
 * Messenger delivery and read receipts. They are most of a busy Page's traffic, so they cost
 * one small read of the conversation, one bounded query, and a write only for a message whose
 * status actually moves; a repeated watermark writes nothing.
 */
export class Receipts {
  constructor(private readonly deps: { chats: ChatStore; notifier: AgentNotifier; watchers?: WatchersPort }) {}

  async handle(channel: Channel, envelope: InboundEnvelope, event: Receipt): Promise<'stored' | 'ignored'> {
    const { chats, notifier } = this.deps;
    const chatId = await chats.openChatIdOf(channel.id, envelope.conversationKey);
    if (!chatId) return 'ignored';
    const status = event.kind === 'read' ? 'read' : 'delivered';
    const mids = event.kind === 'delivery' && event.watermark === undefined ? new Set(event.mids ?? []) : undefined;
    const upTo = new Date(event.watermark ?? event.timestamp).toISOString();
    const moved: { id: string; agentId?: string }[] = [];
    for (const m of await chats.messagesUpTo(chatId, upTo, receiptWindow)) {
      if (m.direction !== 'out') continue;
      if (mids && !(m.platformMessageId && mids.has(m.platformMessageId))) continue;
      const current = rank[m.status];
      if (current === undefined) continue; // pending or failed: nothing reached the customer
      // older messages were covered by an earlier receipt once a newer one is at this status
      if (current >= (status === 'read' ? 3 : 2)) {
        if (mids) continue;
        break;
      }
      if (await chats.advanceStatus(m, status)) moved.push({ id: m.id, ...(m.agentId ? { agentId: m.agentId } : {}) });
    }
    if (moved.length === 0) return 'ignored';
    const chat = await chats.chat(chatId, false);
    for (const m of moved.reverse()) {
      const agentId = chat?.agentId ?? m.agentId;
      if (agentId) await notifier.notify(agentId, { type: 'messageStatus', chatId, messageId: m.id, status });
      if (chat) await this.deps.watchers?.forward(chat, { type: 'messageStatus', chatId, messageId: m.id, status });
    }
    return 'stored';
  }
}
