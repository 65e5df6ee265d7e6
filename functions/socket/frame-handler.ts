import * as z from 'zod';
import type { ReplyFrame } from '../domain/ports';
import { detailsFromIssues } from '../shared/errors';
import { logger } from '../shared/logger';
import { agentOf, clientFrameSchema, type ClientFrame, type SocketEvent } from './frames';

export interface FrameHandlerDeps {
  actions: { handle(agentId: string, frame: ClientFrame): Promise<ReplyFrame | undefined> };
  notifier: { reply(agentId: string, connectionId: string, frame: ReplyFrame): Promise<boolean> };
}

/**
 * Every client frame: validate, act, answer on the same connection. A bad frame gets a
 * `bad_frame` error frame and anything unexpected an `internal_error` frame with a reference to
 * the logs: never a dropped socket, never API Gateway's generic "Internal server error".
 */
export function frameHandler(deps: FrameHandlerDeps): (event: SocketEvent) => Promise<{ statusCode: number }> {
  const { actions, notifier } = deps;

  async function act(event: SocketEvent, agentId: string, connectionId: string): Promise<{ statusCode: number }> {
    let body: unknown;
    try {
      body = JSON.parse(event.body ?? '');
    } catch {
      await notifier.reply(agentId, connectionId, { type: 'error', code: 'bad_frame', message: 'Frames must be JSON objects.' });
      return { statusCode: 200 };
    }
    const frame = clientFrameSchema.safeParse(body);
    if (!frame.success) {
      const requestId = z.object({ requestId: z.string().max(128) }).safeParse(body).data?.requestId;
      await notifier.reply(agentId, connectionId, {
        type: 'error',
        code: 'bad_frame',
        message: 'The frame is not a valid action.',
        details: detailsFromIssues(frame.error.issues),
        ...(requestId ? { requestId } : {}),
      });
      return { statusCode: 200 };
    }
    const reply = await actions.handle(agentId, frame.data);
    if (reply) await notifier.reply(agentId, connectionId, reply);
    return { statusCode: 200 };
  }

  return async function onFrame(event: SocketEvent): Promise<{ statusCode: number }> {
    const agentId = agentOf(event);
    const connectionId = event.requestContext.connectionId;
    try {
      return await act(event, agentId, connectionId);
    } catch (failure) {
      const reference = event.requestContext.requestId;
      logger.error('frame failed', { agentId, reference, error: failure as Error });
      const requestId = requestIdOf(event.body);
      await notifier
        .reply(agentId, connectionId, { type: 'error', code: 'internal_error', message: 'Something went wrong on our side; try again.', reference, ...(requestId ? { requestId } : {}) })
        .catch((replyFailure: unknown) => logger.error('could not report a failed frame', { agentId, reference, error: replyFailure as Error }));
      return { statusCode: 200 };
    }
  };
}

function requestIdOf(body: string | undefined): string | undefined {
  try {
    return z.object({ requestId: z.string().max(128) }).safeParse(JSON.parse(body ?? '')).data?.requestId;
  } catch {
    return undefined;
  }
}

