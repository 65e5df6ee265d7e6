import { readFileSync } from 'node:fs';
import path from 'node:path';
import { inboundEnvelopeSchema, type InboundEnvelope } from '../../functions/domain/inbound';
import { isMessengerVerification, parseMessengerWebhook } from '../../functions/domain/messenger';

const fixtures = path.resolve(__dirname, '../fixtures/messenger');
const fixture = (name: string): unknown => JSON.parse(readFileSync(path.join(fixtures, name), 'utf8'));
const receivedAt = '2025-11-21T08:00:00.000Z';
const pageId = '105123456789012';
const psid = '7215551234567890';

function parseOk(body: unknown): { envelopes: InboundEnvelope[]; ignored: number } {
  const result = parseMessengerWebhook(body, receivedAt);
  if (!result.ok) throw new Error(`expected a valid body, got ${JSON.stringify(result.issues)}`);
  // Every envelope must survive the inbound queue's own schema.
  for (const envelope of result.envelopes) expect(inboundEnvelopeSchema.parse(envelope)).toEqual(envelope);
  return result;
}

function single(body: unknown): InboundEnvelope {
  const { envelopes, ignored } = parseOk(body);
  expect(ignored).toBe(0);
  expect(envelopes).toHaveLength(1);
  return envelopes[0]!;
}

function issuesOf(body: unknown) {
  const result = parseMessengerWebhook(body, receivedAt);
  if (result.ok) throw new Error('expected the body to be refused');
  return result.issues;
}

function event(fields: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return {
    object: 'page',
    entry: [{ id: pageId, time: 1763712000000, messaging: [{ sender: { id: psid }, recipient: { id: pageId }, timestamp: 1763712000001, ...fields }], ...extra }],
  };
}

describe('Messenger webhook parsing', () => {
  it('turns a text message into a message from the customer on that Page', () => {
    // given / when
    const envelope = single(fixture('text-message.json'));
    // then
    expect(envelope).toEqual({
      channelType: 'messenger',
      channelKey: pageId,
      conversationKey: psid,
      receivedAt,
      deliveryId: 'm_AbC1dEfGhIjKlMnOpQrStUvWxYz0123456789_text1',
      event: {
        kind: 'message',
        platformMessageId: 'm_AbC1dEfGhIjKlMnOpQrStUvWxYz0123456789_text1',
        timestamp: 1763712000001,
        customer: { id: psid },
        text: 'Hi, my order #4417 has not arrived yet',
      },
    });
  });

  it('yields one envelope per Page when a delivery batches several Pages', () => {
    // given / when
    const { envelopes, ignored } = parseOk(fixture('batch-two-pages.json'));
    // then
    expect(ignored).toBe(0);
    expect(envelopes.map((e) => [e.channelKey, e.conversationKey, e.deliveryId])).toEqual([
      ['105123456789012', '7215551234567890', 'm_batch_page1_msg1'],
      ['208765432109876', '6103339876543210', 'm_batch_page2_msg1'],
    ]);
    expect(envelopes.map((e) => (e.event.kind === 'message' ? e.event.text : null))).toEqual(['Hello?', 'Do you ship to Lisbon?']);
  });

  it('keeps an image attachment with its URL', () => {
    // given / when
    const envelope = single(fixture('attachment-image.json'));
    // then
    expect(envelope.deliveryId).toBe('m_attachment_image_1');
    expect(envelope.event).toEqual({
      kind: 'message',
      platformMessageId: 'm_attachment_image_1',
      timestamp: 1763712009900,
      customer: { id: psid },
      attachments: [{ type: 'image', url: 'https://scontent.example.net/v/t1.15752-9/photo.jpg?oh=abc&oe=def' }],
    });
  });

  it('keeps video, audio and file attachments alongside each other', () => {
    // given
    const body = event({
      message: {
        mid: 'm_many',
        attachments: [
          { type: 'video', payload: { url: 'https://cdn.example.net/v.mp4' } },
          { type: 'audio', payload: { url: 'https://cdn.example.net/a.mp4' } },
          { type: 'file', payload: { url: 'https://cdn.example.net/f.pdf' } },
        ],
      },
    });
    // when
    const envelope = single(body);
    // then
    expect(envelope.event.kind === 'message' && envelope.event.attachments).toEqual([
      { type: 'video', url: 'https://cdn.example.net/v.mp4' },
      { type: 'audio', url: 'https://cdn.example.net/a.mp4' },
      { type: 'file', url: 'https://cdn.example.net/f.pdf' },
    ]);
  });

  it('reduces a shared-link fallback attachment to a named link', () => {
    // given a link shared in Messenger: payload null, title and url beside it
    const body = event({
      message: { mid: 'm_link', text: 'look', attachments: [{ type: 'fallback', payload: null, title: 'Acme order tracking', url: 'https://acme.example/track/4417' }] },
    });
    // when
    const envelope = single(body);
    // then
    expect(envelope.event).toMatchObject({
      text: 'look',
      attachments: [{ type: 'link', url: 'https://acme.example/track/4417', name: 'Acme order tracking' }],
    });
  });

  it('reduces a template attachment (no URL) to its words', () => {
    // given a button template echoed from another app
    const body = event({
      message: { mid: 'm_tpl', attachments: [{ type: 'template', payload: { template_type: 'button', text: 'Pick a time', buttons: [] } }] },
    });
    // when
    const envelope = single(body);
    // then
    expect(envelope.event).toMatchObject({ text: 'Pick a time' });
    expect(envelope.event).not.toHaveProperty('attachments');
  });

  it('carries a quick reply payload with its text', () => {
    // given / when
    const envelope = single(fixture('quick-reply.json'));
    // then
    expect(envelope.event).toEqual({
      kind: 'message',
      platformMessageId: 'm_quick_reply_1',
      timestamp: 1763712019990,
      customer: { id: psid },
      text: 'Track my order',
      payload: 'TRACK_ORDER',
    });
  });

  it('turns a postback into a message with the button title as text and its payload', () => {
    // given / when
    const envelope = single(fixture('postback.json'));
    // then
    expect(envelope.deliveryId).toBe('m_postback_1');
    expect(envelope.event).toEqual({
      kind: 'message',
      platformMessageId: 'm_postback_1',
      timestamp: 1763712029990,
      customer: { id: psid },
      text: 'Talk to a person',
      payload: 'HUMAN',
    });
  });

  it('gives a postback without mid a stable id from sender and timestamp, the same on every retry', () => {
    // given
    const body = event({ postback: { title: 'Get started', payload: 'GET_STARTED' } });
    // when
    const first = single(body);
    const retried = single(structuredClone(body));
    // then
    expect(first.event.kind === 'message' && first.event.platformMessageId).toBe(`postback:${psid}:1763712000001`);
    expect(retried.deliveryId).toBe(first.deliveryId);
  });

  it('reports delivery receipts with their mids and watermark', () => {
    // given / when
    const envelope = single(fixture('delivery.json'));
    // then
    expect(envelope.conversationKey).toBe(psid);
    expect(envelope.event).toEqual({ kind: 'delivery', timestamp: 1763712039990, mids: ['m_outgoing_reply_1'], watermark: 1763712039000 });
  });

  it('reports a delivery receipt that has only a watermark', () => {
    // given
    const body = event({ delivery: { watermark: 1763712039000 } });
    // when / then
    expect(single(body).event).toEqual({ kind: 'delivery', timestamp: 1763712000001, watermark: 1763712039000 });
  });

  it('reports read receipts with the watermark', () => {
    // given / when
    const envelope = single(fixture('read.json'));
    // then
    expect(envelope.event).toEqual({ kind: 'read', timestamp: 1763712049990, watermark: 1763712049000 });
  });

  it('files an echo under the customer it was sent to, with the sending app id as a string', () => {
    // given / when
    const envelope = single(fixture('echo.json'));
    // then
    expect(envelope.channelKey).toBe(pageId);
    expect(envelope.conversationKey).toBe(psid);
    expect(envelope.deliveryId).toBe('m_echo_from_page_inbox_1');
    expect(envelope.event).toEqual({
      kind: 'echo',
      platformMessageId: 'm_echo_from_page_inbox_1',
      timestamp: 1763712059990,
      appId: '263902037430900',
      text: 'Answered from the Page inbox',
    });
  });

  it('marks messages from the standby channel so they are stored but not routed', () => {
    // given / when
    const envelope = single(fixture('standby.json'));
    // then
    expect(envelope.event).toEqual({
      kind: 'message',
      platformMessageId: 'm_standby_while_bot_owns_thread_1',
      timestamp: 1763712069990,
      customer: { id: psid },
      text: 'What are your opening hours?',
      standby: true,
    });
  });

  it('turns pass_thread_control into a pass handover with string app ids and metadata', () => {
    // given / when
    const envelope = single(fixture('pass-thread-control.json'));
    // then
    expect(envelope.conversationKey).toBe(psid);
    expect(envelope.event).toEqual({
      kind: 'handover',
      timestamp: 1763712079990,
      action: 'pass',
      newOwnerAppId: '444555666777888',
      previousOwnerAppId: '1517776481860111',
      metadata: '{"reason":"customer asked for a human"}',
    });
  });

  it('turns take_thread_control into a take handover, accepting a null previous owner (idle thread)', () => {
    // given
    const body = event({ take_thread_control: { previous_owner_app_id: null, new_owner_app_id: '1517776481860111', metadata: 'bot takes over' } });
    // when / then
    expect(single(body).event).toEqual({
      kind: 'handover',
      timestamp: 1763712000001,
      action: 'take',
      newOwnerAppId: '1517776481860111',
      metadata: 'bot takes over',
    });
  });

  it('turns request_thread_control into a request handover naming the requesting app', () => {
    // given
    const body = event({ request_thread_control: { requested_owner_app_id: 444555666777888, metadata: 'agent wants the thread' } });
    // when / then
    expect(single(body).event).toEqual({
      kind: 'handover',
      timestamp: 1763712000001,
      action: 'request',
      newOwnerAppId: '444555666777888',
      metadata: 'agent wants the thread',
    });
  });

  it('counts event kinds it does not handle as ignored, not as errors', () => {
    // given a reaction, an opt-in without a sender id, and app_roles beside a real message
    const body = {
      object: 'page',
      entry: [
        {
          id: pageId,
          time: 1,
          messaging: [
            { sender: { id: psid }, recipient: { id: pageId }, timestamp: 1, reaction: { mid: 'm_x', action: 'react', reaction: 'love' } },
            { recipient: { id: pageId }, timestamp: 2, optin: { ref: 'promo', user_ref: 'ur_1' } },
            { sender: { id: psid }, recipient: { id: pageId }, timestamp: 1763712000003, message: { mid: 'm_real', text: 'hi' } },
          ],
        },
        { id: pageId, time: 2, messaging: [{ recipient: { id: pageId }, timestamp: 4, app_roles: { '123': ['primary_receiver'] } }] },
      ],
    };
    // when
    const { envelopes, ignored } = parseOk(body);
    // then
    expect(ignored).toBe(3);
    expect(envelopes.map((e) => e.deliveryId)).toEqual(['m_real']);
  });

  it('accepts a Page entry without messaging (e.g. feed changes) as nothing to do', () => {
    // given
    const body = { object: 'page', entry: [{ id: pageId, time: 1, changes: [{ field: 'feed', value: {} }] }] };
    // when / then
    expect(parseOk(body)).toMatchObject({ envelopes: [], ignored: 0 });
  });

  it('keeps unknown fields from newer API versions without complaint', () => {
    // given
    const body = event({ message: { mid: 'm_new', text: 'hi', reply_to: { mid: 'm_old' }, commands: [] } }, { hop_context: [] });
    // when / then
    expect(single(body).event).toMatchObject({ kind: 'message', text: 'hi' });
  });
});

describe('Messenger webhook refusals', () => {
  it('refuses a body that is not about Pages, naming the object field', () => {
    // given / when
    const issues = issuesOf({ object: 'instagram', entry: [] });
    // then
    expect(issues.map((i) => i.path)).toEqual(['object']);
  });

  it('refuses something that is not a webhook body at all', () => {
    expect(issuesOf('EVENT_RECEIVED').length).toBeGreaterThan(0);
    expect(issuesOf(null).length).toBeGreaterThan(0);
    expect(issuesOf({ object: 'page' }).map((i) => i.path)).toEqual(['entry']);
  });

  it('names the field when a message sender id is missing', () => {
    // given
    const body = event({ sender: {}, message: { mid: 'm_1', text: 'hi' } });
    // when / then
    expect(issuesOf(body).map((i) => i.path)).toEqual(['entry.0.messaging.0.sender.id']);
  });

  it('names the field when a sender id is not a string', () => {
    // given
    const body = event({ sender: { id: 7215551234567890 }, message: { mid: 'm_1', text: 'hi' } });
    // when / then
    expect(issuesOf(body).map((i) => i.path)).toEqual(['entry.0.messaging.0.sender.id']);
  });

  it('names the field when a message has no mid', () => {
    // given
    const body = event({ message: { text: 'hi' } });
    // when / then
    expect(issuesOf(body).map((i) => i.path)).toEqual(['entry.0.messaging.0.message.mid']);
  });

  it('names the field of a malformed event in a standby list and a later Page', () => {
    // given
    const body = {
      object: 'page',
      entry: [
        { id: pageId, time: 1, messaging: [] },
        { id: '208765432109876', time: 1, standby: [{ sender: { id: psid }, recipient: { id: '208765432109876' }, timestamp: 'yesterday', message: { mid: 'm' } }] },
      ],
    };
    // when / then
    expect(issuesOf(body).map((i) => i.path)).toEqual(['entry.1.standby.0.timestamp']);
  });

  it('names a read receipt without watermark and an entry without id', () => {
    // given
    const body = { object: 'page', entry: [{ time: 1, messaging: [{ sender: { id: psid }, recipient: { id: pageId }, timestamp: 1, read: {} }] }] };
    // when
    const paths = issuesOf(body).map((i) => i.path);
    // then
    expect(paths).toEqual(expect.arrayContaining(['entry.0.id', 'entry.0.messaging.0.read.watermark']));
  });
});

describe('Messenger verification handshake', () => {
  const verifyToken = 'vt_9f8e7d6c5b4a';

  it('answers the challenge when mode is subscribe and the verify token matches', () => {
    // given
    const query = { 'hub.mode': 'subscribe', 'hub.verify_token': verifyToken, 'hub.challenge': '1158201444' };
    // when / then
    expect(isMessengerVerification(query, verifyToken)).toBe('1158201444');
  });

  it('refuses a wrong or missing verify token', () => {
    expect(isMessengerVerification({ 'hub.mode': 'subscribe', 'hub.verify_token': 'guess', 'hub.challenge': '1' }, verifyToken)).toBeNull();
    expect(isMessengerVerification({ 'hub.mode': 'subscribe', 'hub.challenge': '1' }, verifyToken)).toBeNull();
  });

  it('refuses another mode, a missing challenge, or no query at all', () => {
    expect(isMessengerVerification({ 'hub.mode': 'unsubscribe', 'hub.verify_token': verifyToken, 'hub.challenge': '1' }, verifyToken)).toBeNull();
    expect(isMessengerVerification({ 'hub.mode': 'subscribe', 'hub.verify_token': verifyToken }, verifyToken)).toBeNull();
    expect(isMessengerVerification(undefined, verifyToken)).toBeNull();
  });
});
