import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import type { ReplyFrame } from '../../functions/domain/ports';
import { AgentStillBusy } from '../../functions/domain/errors';
import { EventPublishFailed } from '../../functions/adapters/event-bus';
import { GraphApiError } from '../../functions/adapters/graph-api';
import { OutsideMessagingWindow } from '../../functions/adapters/messenger-sender';
import { EnqueueFailed } from '../../functions/adapters/queues';
import { ChatPaused } from '../../functions/adapters/telegram-sender';
import { TelegramApiError } from '../../functions/adapters/telegram-api';
import { InvalidNextToken } from '../../functions/domain/errors';
import {
  causeChain,
  Conflict,
  Forbidden,
  InternalError,
  KeptChanging,
  NotFound,
  OmnichatError,
  TemporarilyUnavailable,
  Unauthorized,
  ValidationFailed,
} from '../../functions/domain/errors';
import { AgentActions, type AgentActionsDeps } from '../../functions/services/agent-actions';
import { ChatActionNotAllowed, ChatActionNotFound } from '../../functions/services/chat-actions';
import { RetryableSendFailure } from '../../functions/services/delivery';
import { Membership, type MembershipDeps } from '../../functions/services/membership';
import { TokenRejected } from '../../functions/shared/auth';
import { errorResponse, httpErrors, PayloadTooLarge, type HttpResult } from '../../functions/shared/http';
import { handler as authorize } from '../../functions/socket/authorizer';
import { BadFrame, connectionErrors, errorFrame } from '../../functions/socket/errors';
import { frameHandler } from '../../functions/socket/frame-handler';
import type { SocketEvent } from '../../functions/socket/frames';

const bodyOf = (result: HttpResult) => JSON.parse(result.body ?? '') as { error: { code: string; message: string; details?: unknown } };
const platformCause = new Error('socket hang up at 10.0.3.7:443');

/** Every product error: the status and code clients see, and whether its message may be shown. */
const cases: { error: OmnichatError; status: number; code: string }[] = [
  { error: new ValidationFailed([{ field: 'members.users.0', message: 'Use letters only.' }]), status: 400, code: 'validation_failed' },
  { error: new InvalidNextToken('It does not decode.'), status: 400, code: 'invalid_token' },
  { error: new BadFrame('The frame is not a valid action.', [{ field: 'chatId', message: 'Required' }]), status: 400, code: 'bad_frame' },
  { error: new Unauthorized(), status: 401, code: 'unauthorized' },
  { error: new TokenRejected('jwt expired', { cause: platformCause }), status: 401, code: 'unauthorized' },
  { error: new Forbidden(), status: 403, code: 'forbidden' },
  { error: new ChatActionNotAllowed('Only agents of queue q1 may run action a1.'), status: 403, code: 'action_not_allowed' },
  { error: new NotFound('Queue', 'sales-🇵🇹'), status: 404, code: 'not_found' },
  { error: new ChatActionNotFound('chat', 'c9'), status: 404, code: 'not_found' },
  { error: new Conflict('queue_in_use', 'Queue q1 is linked to channels ch1.'), status: 409, code: 'queue_in_use' },
  { error: new AgentStillBusy('ana', { cause: platformCause }), status: 409, code: 'agent_has_chats' },
  { error: new KeptChanging('Agent ana'), status: 409, code: 'busy' },
  { error: new OutsideMessagingWindow('The 24-hour window is closed.'), status: 409, code: 'outside_messaging_window' },
  { error: new PayloadTooLarge(), status: 413, code: 'payload_too_large' },
  { error: new InternalError('limit must be an integer of at least 2'), status: 500, code: 'internal_error' },
  { error: new GraphApiError('Graph API send failed (190): token secret-ish detail', { operation: 'send', status: 400, code: 190 }), status: 502, code: 'platform_unavailable' },
  { error: new TelegramApiError('Telegram sendMessage failed (401): Unauthorized', { method: 'sendMessage', code: 401 }), status: 502, code: 'platform_unavailable' },
  { error: new TemporarilyUnavailable('Agent ana kept changing; try again.', platformCause), status: 503, code: 'temporarily_unavailable' },
  { error: new EnqueueFailed('The inbound queue refused 1 event(s): InternalError', platformCause), status: 503, code: 'enqueue_failed' },
  { error: new EventPublishFailed('EventBridge refused Escalated: ThrottlingException'), status: 503, code: 'event_publish_failed' },
  { error: new RetryableSendFailure('The platform did not take the message.', platformCause), status: 503, code: 'send_retry' },
  { error: new ChatPaused(7), status: 503, code: 'chat_paused' },
];

describe('the one HTTP mapping', () => {
  it.each(cases)('answers $error.name with $status $code', ({ error, status, code }) => {
    expect(error).toBeInstanceOf(OmnichatError);
    const result = errorResponse(error);
    expect(result.statusCode).toBe(status);
    expect(result.headers).toMatchObject({ 'content-type': 'application/json' });
    const body = bodyOf(result);
    expect(Object.keys(body)).toEqual(['error']);
    expect(body.error.code).toBe(code);
    if (status < 500) {
      expect(body.error.message).toBe(error.message);
      if (error.details) expect(body.error.details).toEqual(error.details);
      else expect(body.error).not.toHaveProperty('details');
    } else {
      // a 5xx never shows our message (nor what the platform or SDK said)
      expect(body.error.message).not.toBe(error.message);
      expect(result.body).not.toContain(error.message);
      expect(result.body).not.toContain('10.0.3.7');
      expect(body.error).not.toHaveProperty('details');
    }
  });

  it('answers anything that is not a product error as 500 internal_error without its message', () => {
    for (const thrown of [new TypeError("Cannot read properties of undefined (reading 'queueId')"), 'a string', undefined, { statusCode: 404, message: 'duck-typed' }]) {
      const result = errorResponse(thrown);
      expect(result.statusCode).toBe(500);
      expect(bodyOf(result)).toEqual({ error: { code: 'internal_error', message: 'Something went wrong on our side.' } });
    }
  });

  it('is the onError of a middy HTTP handler', async () => {
    const handler = middy(async (_event: APIGatewayProxyEventV2): Promise<HttpResult> => {
      throw new Conflict('page_in_use', 'Page 1234 is a channel already.');
    }).use(httpErrors());
    const result = await handler({} as APIGatewayProxyEventV2, {} as never);
    expect(result).toMatchObject({ statusCode: 409 });
    expect(bodyOf(result)).toEqual({ error: { code: 'page_in_use', message: 'Page 1234 is a channel already.' } });
  });
});

describe('product errors', () => {
  it('keep the error they wrap as cause, and the platform its own code', () => {
    const graph = new GraphApiError('Graph API send failed (10/2018278)', { operation: 'send', status: 400, code: 10, subcode: 2018278 }, { cause: platformCause });
    expect(graph).toMatchObject({ code: 'platform_unavailable', status: 502, graphCode: 10, graphSubcode: 2018278, httpStatus: 400, isOutsideWindow: true, cause: platformCause });
    const telegram = new TelegramApiError('Telegram sendMessage got no answer', { method: 'sendMessage', network: true }, { cause: platformCause });
    expect(telegram).toMatchObject({ code: 'platform_unavailable', telegramCode: undefined, retryable: true, cause: platformCause });
    for (const { error } of cases.filter((c) => [AgentStillBusy, TokenRejected, TemporarilyUnavailable, EnqueueFailed, RetryableSendFailure].some((k) => c.error instanceof k))) {
      expect(error.cause).toBe(platformCause);
    }
    expect(new NotFound('Queue', 'q1').cause).toBeUndefined();
  });

  it('are named after their class and logged with their causes, no stacks', () => {
    const wrapped = new TemporarilyUnavailable('A dependency failed; try again.', new EnqueueFailed('The inbound queue did not accept the events.', new TypeError('fetch failed')));
    expect(wrapped.name).toBe('TemporarilyUnavailable');
    expect(causeChain(wrapped)).toEqual([
      { name: 'TemporarilyUnavailable', code: 'temporarily_unavailable', message: 'A dependency failed; try again.' },
      { name: 'EnqueueFailed', code: 'enqueue_failed', message: 'The inbound queue did not accept the events.' },
      { name: 'TypeError', message: 'fetch failed' },
    ]);
  });
});

describe('the one WebSocket mapping', () => {
  it.each(cases)('answers $error.name with a typed error frame', ({ error, status, code }) => {
    const frame = errorFrame(error, { agentId: 'ana', requestId: 'r1', reference: 'apigw-1' });
    if (status < 500) {
      expect(frame).toEqual({ type: 'error', code, message: error.message, requestId: 'r1', ...(error.details ? { details: error.details } : {}) });
    } else {
      expect(frame).toEqual({ type: 'error', code: 'internal_error', message: expect.any(String), reference: 'apigw-1', requestId: 'r1' });
      expect(JSON.stringify(frame)).not.toContain(error.message);
    }
  });

  const event = (body: string): SocketEvent =>
    ({ body, isBase64Encoded: false, requestContext: { connectionId: 'conn-1', requestId: 'apigw-req-7', routeKey: 'runAction', authorizer: { agentId: 'ana' } } }) as unknown as SocketEvent;

  function socketWith(run: AgentActionsDeps['chatActions']['run']) {
    const replies: ReplyFrame[] = [];
    const actions = new AgentActions({ chatActions: { run } } as unknown as AgentActionsDeps);
    const handle = frameHandler({ actions, notifier: { reply: async (_a, _c, frame) => (replies.push(frame), true) } });
    return { replies, handle };
  }

  it('answers a service that throws a plain TypeError with internal_error and a reference, and 200 to API Gateway', async () => {
    const { replies, handle } = socketWith(async () => {
      throw new TypeError("Cannot read properties of undefined (reading 'detailType')");
    });
    await expect(handle(event(JSON.stringify({ action: 'runAction', chatId: 'c1', actionId: 'a1', requestId: 'ra-😀' })))).resolves.toEqual({ statusCode: 200 });
    expect(replies).toEqual([{ type: 'error', code: 'internal_error', message: 'Something went wrong on our side; try again.', reference: 'apigw-req-7', requestId: 'ra-😀' }]);
  });

  it("answers a service's typed refusal with its own code and message", async () => {
    const { replies, handle } = socketWith(async () => {
      throw new ChatActionNotAllowed('Chat c1 is neither yours nor of your queues.');
    });
    await handle(event(JSON.stringify({ action: 'runAction', chatId: 'c1', actionId: 'a1', requestId: 'ra2' })));
    expect(replies).toEqual([{ type: 'error', code: 'action_not_allowed', message: 'Chat c1 is neither yours nor of your queues.', requestId: 'ra2' }]);
  });

  it('answers a frame of a connection without an agent (no authorizer context) with a typed frame too', async () => {
    const replies: ReplyFrame[] = [];
    const handle = frameHandler({ actions: { handle: async () => undefined }, notifier: { reply: async (_a, _c, frame) => (replies.push(frame), true) } });
    const orphan = { body: '{"action":"ping","requestId":"p"}', requestContext: { connectionId: 'conn-2', requestId: 'apigw-req-8' } } as unknown as SocketEvent;
    await expect(handle(orphan)).resolves.toEqual({ statusCode: 200 });
    expect(replies).toEqual([{ type: 'error', code: 'internal_error', message: expect.any(String), reference: 'apigw-req-8', requestId: 'p' }]);
  });

  it('answers $connect and $disconnect failures with a status instead of letting them escape', async () => {
    const connectEvent = { requestContext: { requestId: 'apigw-req-9', connectionId: 'conn-3' } } as SocketEvent;
    const failing = (error: unknown) =>
      middy(async (_event: SocketEvent): Promise<{ statusCode: number }> => {
        throw error;
      }).use(connectionErrors());
    await expect(failing(new Error('ProvisionedThroughputExceededException'))(connectEvent, {} as never)).resolves.toEqual({ statusCode: 500 });
    await expect(failing(new TemporarilyUnavailable('throttled'))(connectEvent, {} as never)).resolves.toEqual({ statusCode: 503 });
    await expect(failing(new Forbidden('Not a registered agent.'))(connectEvent, {} as never)).resolves.toEqual({ statusCode: 403 });
  });

  it('refuses a $connect without a token with exactly "Unauthorized", as API Gateway needs for a 401', async () => {
    const refused = authorize({ queryStringParameters: {}, methodArn: 'arn:aws:execute-api:eu-west-1:1:api/prod/$connect' } as unknown as APIGatewayRequestAuthorizerEvent);
    await expect(refused).rejects.toBeInstanceOf(Unauthorized);
    await expect(refused).rejects.toThrow(/^Unauthorized$/);
  });
});

describe('membership changes that keep losing their race', () => {
  const lostEveryTime = (): MembershipDeps =>
    ({
      store: { agent: async () => undefined, saveAgent: async () => 'lost' },
      directory: { listQueues: async () => [], settings: async () => ({}) },
      dispatcher: { agentReady: async () => undefined },
      clock: () => new Date('2026-03-01T09:00:00Z'),
    }) as unknown as MembershipDeps;

  it('answer 409 busy for an agent save, which stored nothing', async () => {
    const failure = await new Membership(lostEveryTime()).saveAgent({ id: 'ana-😀', displayName: 'Ana', groups: ['agents'] }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(KeptChanging);
    expect(errorResponse(failure)).toMatchObject({ statusCode: 409 });
    expect(bodyOf(errorResponse(failure))).toEqual({ error: { code: 'busy', message: 'Agent ana-😀 kept changing; try again.' } });
  });
});
