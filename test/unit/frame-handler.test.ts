import type { ReplyFrame } from '../../functions/domain/ports';
import { frameHandler } from '../../functions/socket/frame-handler';
import type { SocketEvent } from '../../functions/socket/frames';

/** The socket's one error mapping: whatever happens, the agent gets a typed error frame, not API Gateway's generic message. */
const event = (body: string): SocketEvent =>
  ({ body, isBase64Encoded: false, requestContext: { connectionId: 'conn-1', requestId: 'apigw-req-42', routeKey: 'transfer', authorizer: { agentId: 'alice' } } }) as unknown as SocketEvent;

describe('the socket frame handler', () => {
  const replies: ReplyFrame[] = [];
  const notifier = { reply: async (_agent: string, _conn: string, frame: ReplyFrame) => (replies.push(frame), true) };
  beforeEach(() => (replies.length = 0));

  it('answers an unexpected failure with internal_error, the requestId and a reference, and a 200 so API Gateway adds nothing', async () => {
    const handle = frameHandler({ notifier, actions: { handle: async () => { throw new Error('ProvisionedThroughputExceededException'); } } });
    const result = await handle(event(JSON.stringify({ action: 'transfer', chatId: 'c1', queueId: 'q1', requestId: 't-1' })));
    expect(result).toEqual({ statusCode: 200 });
    expect(replies).toEqual([{ type: 'error', code: 'internal_error', message: expect.any(String), reference: 'apigw-req-42', requestId: 't-1' }]);
    expect(JSON.stringify(replies)).not.toContain('ProvisionedThroughput');
  });

  it('still answers 200 when the error frame cannot be delivered either', async () => {
    const handle = frameHandler({ notifier: { reply: async () => { throw new Error('gone'); } }, actions: { handle: async () => { throw new Error('boom'); } } });
    await expect(handle(event(JSON.stringify({ action: 'ping' })))).resolves.toEqual({ statusCode: 200 });
  });

  it('names every id over the cap in bad_frame details, without calling the action', async () => {
    let called = false;
    const handle = frameHandler({ notifier, actions: { handle: async () => ((called = true), undefined) } });
    const long = '漢'.repeat(5_000);
    await handle(event(JSON.stringify({ action: 'transfer', chatId: long, agentId: long, requestId: 'r'.repeat(129) })));
    await handle(event(JSON.stringify({ action: 'runAction', chatId: 'c1', actionId: long, requestId: 'ra' })));
    await handle(event(JSON.stringify({ action: 'history', chatId: 'c1', before: long, requestId: 'h' })));
    expect(called).toBe(false);
    expect(replies.map((r) => [r.code, r.requestId, (r.details as { field: string }[]).map((d) => d.field).sort()])).toEqual([
      ['bad_frame', undefined, ['agentId', 'chatId', 'requestId']],
      ['bad_frame', 'ra', ['actionId']],
      ['bad_frame', 'h', ['before']],
    ]);
  });
});
