import { ApiGatewayManagementApiClient, GoneException, PostToConnectionCommand } from '@aws-sdk/client-apigatewaymanagementapi';
import type { AgentEvent, AgentNotifier } from '../domain/ports';
import type { AgentLog } from './dynamodb/agent-log';

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

  /** Sends a reply to one connection; false if that connection is gone. */
  async reply(agentId: string, connectionId: string, frame: ReplyFrame): Promise<boolean> {
    return this.post(agentId, connectionId, JSON.stringify(frame));
  }

  private async post(agentId: string, connectionId: string, data: string): Promise<boolean> {
    try {
      await this.client.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: new TextEncoder().encode(data) }));
      return true;
    } catch (error) {
      if (!(error instanceof GoneException) && (error as { name?: string }).name !== 'GoneException') throw error;
      await this.onGone(agentId, connectionId);
      return false;
    }
  }
}
