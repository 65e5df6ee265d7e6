import * as z from 'zod/mini';
import type { ReplyFrame } from '../domain/ports';
import { causeChain, detailsFromIssues } from '../domain/errors';
import { BadFrame, errorFrame } from './errors';
import { logger } from '../shared/logger';
import { agentOf, clientFrameSchema, originOf, type ClientFrame, type FrameOrigin, type SocketEvent } from './frames';

export interface FrameHandlerDeps {
  actions: { handle(agentId: string, frame: ClientFrame, origin?: FrameOrigin): Promise<ReplyFrame | undefined> };
  notifier: { reply(agentId: string, connectionId: string, frame: ReplyFrame): Promise<boolean> };
}

/**
 * Every client frame: validate, act, answer on the same connection. Whatever is thrown (a bad
 * frame, an action's typed refusal, anything unexpected) becomes one `error` frame through
 * `errorFrame`, and the route answers 200: never a dropped socket, never API Gateway's generic
 * "Internal server error".
 */
export function frameHandler(deps: FrameHandlerDeps): (event: SocketEvent) => Promise<{ statusCode: number }> {
  const { actions, notifier } = deps;

  function frameOf(body: string | undefined): ClientFrame {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body ?? '');
    } catch {
      throw new BadFrame('Frames must be JSON objects.');
    }
    const frame = clientFrameSchema.safeParse(parsed);
    if (!frame.success) throw new BadFrame('The frame is not a valid action.', detailsFromIssues(frame.error.issues));
    return frame.data;
  }

  return async function onFrame(event: SocketEvent): Promise<{ statusCode: number }> {
    const connectionId = event.requestContext.connectionId;
    let agentId: string | undefined;
    try {
      agentId = agentOf(event);
      const reply = await actions.handle(agentId, frameOf(event.body), originOf(event));
      if (reply) await notifier.reply(agentId, connectionId, reply);
    } catch (failure) {
      const reference = event.requestContext.requestId;
      const frame = errorFrame(failure, { agentId, reference, requestId: requestIdOf(event.body) });
      await notifier
        .reply(agentId ?? '', connectionId, frame)
        .catch((replyFailure: unknown) => logger.error('could not report a failed frame', { agentId, reference, errors: causeChain(replyFailure) }));
    }
    return { statusCode: 200 };
  };
}

function requestIdOf(body: string | undefined): string | undefined {
  try {
    return z.object({ requestId: z.string().check(z.maxLength(128)) }).safeParse(JSON.parse(body ?? '')).data?.requestId;
  } catch {
    return undefined;
  }
}
