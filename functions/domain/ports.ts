import type { Chat, Message, WithdrawReason, CloseReason, AgentStatus } from './model';

/** What an agent's client is told (docs/websocket.md, server → client, state events). */
export type AgentEvent =
  | { type: 'chatOffered'; chat: Chat; expiresAt?: string }
  | { type: 'offerWithdrawn'; chatId: string; reason: WithdrawReason }
  /** `messages`: the newest that fit a frame; `olderCursor` when older ones exist (read them with `history`). */
  | { type: 'chatAssigned'; chat: Chat; messages: Message[]; olderCursor?: string }
  | { type: 'message'; chatId: string; message: Message }
  | { type: 'messageStatus'; chatId: string; messageId: string; status: Message['status']; error?: string }
  | { type: 'chatClosed'; chatId: string; reason: CloseReason }
  | { type: 'statusChanged'; status: AgentStatus; reason?: string };

/** Delivers state events to every live connection of an agent, and keeps them for `sync`. */
export interface AgentNotifier {
  notify(agentId: string, event: AgentEvent): Promise<void>;
}

/** A timer that routing arms; it fires once, carrying what it was armed for. */
export type TimerPayload =
  | { kind: 'acceptTimeout'; chatId: string; agentId: string; version: number }
  | { kind: 'completionTimeout'; chatId: string; token: string }
  | { kind: 'allAgentsBusy'; chatId: string };

/**
 * One-time timers: a delayed message on the timer queue, in AWS and locally alike. A timer fires
 * once (at least once: a duplicate delivery is possible), never before `at`. There is no
 * disarming: a timer that fires for a state that has moved on (its version or token is stale)
 * changes nothing.
 */
export interface Timers {
  arm(at: Date, payload: TimerPayload): Promise<void>;
}

/** Integration events on the product's bus (docs/events.md). */
export interface EventPublisher {
  publish(detailType: string, detail: Record<string, unknown>): Promise<void>;
}

/** An agent's reply on its way to the platform, through the outbound queue. */
export interface OutboundJob {
  chatId: string;
  messageId: string;
  sentAt: string;
}

export interface OutboundQueue {
  enqueue(job: OutboundJob): Promise<void>;
}

/**
 * Business figures for the operations dashboard: counts, and durations in milliseconds.
 * Published when the invocation ends (CloudWatch embedded metric format in AWS).
 */
export interface ProductMetrics {
  count(name: string, value?: number): void;
  duration(name: string, millis: number): void;
}
