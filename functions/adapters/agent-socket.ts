import { ApiGatewayManagementApiClient, GoneException, PostToConnectionCommand } from '@aws-sdk/client-apigatewaymanagementapi';
import type { AgentConnections, AgentEvent, AgentLog, LiveConnection, ReplyFrame } from '../domain/ports';
import { bytesOf, fitEvent, frameBudgetBytes, maxFrameBytes } from '../domain/frame-budget';
import { logger } from '../shared/logger';

/**
 * API Gateway answers 410 for a connection whose `$connect` has not finished yet; such a young
 * connection is not stale, so it is not removed (its client catches up with `sync`).
 */
const connectGraceMillis = 30_000;

/** Events kept in the agent's log for `sync`; a `message` is not (see `notify`). */
function isStateEvent(event: AgentEvent): boolean {
  return event.type !== 'message';
}

/**
 * Pushes frames to agents' WebSocket connections through the API Gateway management API.
 * State events get the agent's next cursor and are logged first, so `sync` can replay
 * whatever a connection missed; a connection that is gone is handed to `onGone`.
 */
export class SocketNotifier implements AgentConnections {
  constructor(
    private readonly client: ApiGatewayManagementApiClient,
    private readonly log: AgentLog,
    private readonly clock: () => Date,
    /** A connection found gone: routing forgets it (the agent may go offline). */
    private readonly onGone: (agentId: string, connectionId: string) => Promise<void> = async () => {},
  ) {}

  /**
   * Fitted to a frame before it is logged: an event that could never be delivered is never kept,
   * so it cannot stall a later `sync`.
   */
  async notify(agentId: string, event: AgentEvent): Promise<void> {
    const fitted = fitEvent(event as AgentEvent & Record<string, unknown>, frameBudgetBytes);
    if (!fitted) {
      logger.error('event does not fit a WebSocket frame; not sent', { agentId, type: event.type, bytes: bytesOf(event) });
      return;
    }
    // A chat's messages are kept with the chat, and a reconnecting client reads the chats it holds
    // with their newest messages (sync's snapshot, then `history`): logging them again per agent
    // would be a second write of every message. They go out live, without a cursor.
    const frame = isStateEvent(fitted) ? JSON.stringify({ ...fitted, cursor: await this.log.append(agentId, fitted, this.clock()) }) : JSON.stringify(fitted);
    // read only once the event is logged: a connection not among these opens after it, and its `sync` finds it
    const connections = await this.log.connectionsOf(agentId);
    await Promise.all(connections.map((c) => this.post(agentId, c, frame)));
  }

  /** Sends a reply to one connection (it is open: it just sent a frame); false if it is gone. */
  async reply(agentId: string, connectionId: string, frame: ReplyFrame): Promise<boolean> {
    let data = JSON.stringify(frame);
    if (bytesOf(frame) > maxFrameBytes) {
      // replies are fitted where they are made; this guard only keeps a mistake from reaching API Gateway
      logger.error('reply does not fit a WebSocket frame', { agentId, type: frame.type, bytes: bytesOf(frame) });
      data = JSON.stringify({ type: 'error', code: 'internal_error', message: 'The answer did not fit in a frame.', ...(frame.requestId ? { requestId: frame.requestId } : {}) });
    }
    return this.post(agentId, { connectionId }, data);
  }

  private async post(agentId: string, connection: LiveConnection, data: string): Promise<boolean> {
    try {
      await this.client.send(new PostToConnectionCommand({ ConnectionId: connection.connectionId, Data: new TextEncoder().encode(data) }));
      return true;
    } catch (error) {
      if (!(error instanceof GoneException) && (error as { name?: string }).name !== 'GoneException') throw error;
      const young = connection.connectedAt !== undefined && this.clock().getTime() - Date.parse(connection.connectedAt) < connectGraceMillis;
      if (!young) await this.onGone(agentId, connection.connectionId);
      return false;
    }
  }
}
