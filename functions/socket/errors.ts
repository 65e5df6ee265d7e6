import type { MiddlewareObj } from '@middy/core';
import type { ReplyFrame } from '../domain/ports';
import { causeChain, errorAnswer, OmnichatError, type FieldIssue } from '../domain/errors';
import { logger } from '../shared/logger';

/** A client frame that is not a valid action (not JSON, unknown `action`, bad fields): `bad_frame`, naming each bad field. */
export class BadFrame extends OmnichatError {
  constructor(message: string, details?: FieldIssue[]) {
    super(message, { code: 'bad_frame', status: 400, details });
  }
}

export interface FrameContext {
  agentId?: string;
  /** The `requestId` of the frame that failed, echoed so the client can match the answer. */
  requestId?: string;
  /** API Gateway's id of the request, given to the agent for `internal_error` and named in the logs. */
  reference: string;
}

/**
 * The one WebSocket mapping (docs/websocket.md, the `error` frame): a product error below 500
 * answers its own `code`, `message` and `details`; anything else (5xx, or not an `OmnichatError`)
 * answers `internal_error` with a `reference` to the logs and never its message.
 */
export function errorFrame(error: unknown, context: FrameContext): ReplyFrame {
  const answer = errorAnswer(error);
  const requestId = context.requestId ? { requestId: context.requestId } : {};
  if (answer.internal) {
    logger.error('frame failed', { agentId: context.agentId, reference: context.reference, code: answer.code, errors: causeChain(error) });
    return { type: 'error', code: 'internal_error', message: 'Something went wrong on our side; try again.', reference: context.reference, ...requestId };
  }
  logger.info('frame refused', { agentId: context.agentId, code: answer.code });
  return { type: 'error', code: answer.code, message: answer.message, ...(answer.details ? { details: answer.details } : {}), ...requestId };
}

/**
 * `$connect` and `$disconnect` answer a status, not a frame (no frame can reach a connection that
 * is opening or gone): a product error answers its status, anything else 500, and both are logged
 * here instead of escaping to the runtime.
 */
export function connectionErrors<E extends { requestContext: { requestId: string } }>(): MiddlewareObj<E, { statusCode: number }> {
  return {
    onError: async (request) => {
      const answer = errorAnswer(request.error);
      const reference = request.event.requestContext.requestId;
      if (answer.internal) logger.error('connection event failed', { reference, code: answer.code, errors: causeChain(request.error) });
      else logger.warn('connection event refused', { reference, code: answer.code });
      request.response = { statusCode: answer.status };
    },
  };
}
