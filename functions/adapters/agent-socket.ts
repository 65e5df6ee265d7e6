import { ApiGatewayManagementApiClient, GoneException, PostToConnectionCommand } from '@aws-sdk/client-apigatewaymanagementapi';
import type { AgentEvent, AgentNotifier } from '../domain/ports';
import type { AgentLog, LiveConnection } from './dynamodb/agent-log';

/**
 * API Gateway answers 410 for a connection whose `$connect` has not finished yet; such a young
 * connection is not stale, so it is not removed (its client catches up with `sync`).
 */
const connectGraceMillis = 30_000;

/** A reply frame to one connection (`sent`, `snapshot`, `pong`, `error`); not kept for `sync`. */
export type ReplyFrame = { type: string; requestId?: string } & Record<string, unknown>;

/**
 * Pushes frames to agents' WebSocket connections through the API Gateway management API.
 * State events get the agent's next cursor and are logged first, so `sync` can replay
 * whatever a connection missed; a connection that is gone is handed to `onGone`.
 */
export class SocketNotifier implements AgentNotifier {
  onGone: (agentId: string, connectionId: string) => Promise<void> = async () => {};

  constructor(
    private readonly client: ApiGatewayManagementApiClient,
    private readonly log: AgentLog,
    private readonly clock: () => Date,
  ) {}

  async notify(agentId: string, event: AgentEvent): Promise<void> {
    const cursor = await this.log.append(agentId, event, this.clock());
    const frame = JSON.stringify({ ...event, cursor });
    const connections = await this.log.connectionsOf(agentId);
    await Promise.all(connections.map((c) => this.post(agentId, c, frame)));
  }

  /** Sends a reply to one connection (it is open: it just sent a frame); false if it is gone. */
  async reply(agentId: string, connectionId: string, frame: ReplyFrame): Promise<boolean> {
    return this.post(agentId, { connectionId }, JSON.stringify(frame));
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
