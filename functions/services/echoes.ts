import { randomUUID } from 'node:crypto';
import { audienceOf } from '../domain/chat';
import type { InboundEnvelope, InboundEvent } from '../domain/inbound';
import type { Channel, Message } from '../domain/model';
import { type AgentNotifier, type ChatStore } from '../domain/ports';
import type { WatchersPort } from './dispatcher';

type Echo = Extract<InboundEvent, { kind: 'echo' }>;

/**
 * Messages the Page sent. Ours (sent by the channel's own Meta app) are already stored; those of
 * other apps (the Page inbox, a bot) join the open chat as outgoing messages so the agent sees
 * the whole conversation.
 */
export class Echoes {
  constructor(private readonly deps: { chats: ChatStore; notifier: AgentNotifier; clock: () => Date; watchers?: WatchersPort }) {}

  async handle(channel: Channel, envelope: InboundEnvelope, event: Echo): Promise<'stored' | 'duplicate' | 'ignored'> {
    if (event.appId !== undefined && event.appId === channel.appId) return 'ignored';
    const { chats, notifier } = this.deps;
    const open = await chats.openChatOf(channel.id, envelope.conversationKey);
    if (!open) return 'ignored';
    const message: Message = {
      id: randomUUID(),
      chatId: open.id,
      direction: 'out',
      ...(event.text !== undefined ? { text: event.text } : {}),
      ...(event.attachments?.length ? { attachments: event.attachments } : {}),
      sentAt: new Date(event.timestamp).toISOString(),
      status: 'sent',
      platformMessageId: event.platformMessageId,
    };
    const delivery = { channelType: envelope.channelType, channelKey: envelope.channelKey, deliveryId: event.platformMessageId };
    if (!(await chats.append(open.id, { message, delivery }, this.deps.clock()))) return 'duplicate';
    const audience = audienceOf(open);
    for (const agentId of audience) await notifier.notify(agentId, { type: 'message', chatId: open.id, message });
    await this.deps.watchers?.forward(open, { type: 'message', chatId: open.id, message });
    return 'stored';
  }
}
