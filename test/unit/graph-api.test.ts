import { GraphApi, GraphApiError } from '../../functions/adapters/graph-api';
import { InternalError } from '../../functions/domain/errors';
import { graphErrors, startFakeGraph, type FakeGraph } from '../support/fake-graph';

const pageId = '105123456789012';
const token = 'EAAGpageTokenSecret0123456789';
const psid = '7215551234567890';

let fake: FakeGraph;
let graph: GraphApi;

beforeEach(async () => {
  fake = await startFakeGraph({
    pages: { [pageId]: { name: 'Acme Support', token }, '208765432109876': { name: 'Acme Lisboa', token: 'EAAGotherPageToken' } },
    profiles: { [psid]: { first_name: 'Marta', last_name: 'Silva', profile_pic: 'https://cdn.example.net/p.jpg' } },
  });
  graph = new GraphApi({ baseUrl: fake.url });
});

afterEach(async () => {
  expect(fake.violations).toEqual([]);
  await fake.stop();
});

async function failureOf(call: Promise<unknown>): Promise<GraphApiError> {
  const error = await call.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (e: unknown) => e,
  );
  if (!(error instanceof GraphApiError)) throw error;
  expect(error.message).not.toContain(token);
  expect(error.stack ?? '').not.toContain(token);
  expect(String(error.cause ?? '')).not.toContain(token);
  return error;
}

const textTo = (text: string) => ({ recipientId: psid, text, messagingType: 'RESPONSE' as const });

describe('Graph API client', () => {
  it('reads the Page name with its access token, under the configured version path', async () => {
    // when
    const page = await graph.getPage(pageId, token);
    // then
    expect(page).toEqual({ id: pageId, name: 'Acme Support' });
    expect(fake.requests[0]).toMatchObject({ method: 'GET', path: `/${pageId}`, token, query: { fields: 'name,id' } });
  });

  it('sends a text reply within the window and returns the message id', async () => {
    // when
    const result = await graph.sendMessage(pageId, token, textTo('Your parcel ships today.'));
    // then
    expect(result).toEqual({ messageId: fake.sent[0]?.messageId, recipientId: psid });
    expect(fake.sent).toEqual([
      { pageId, recipientId: psid, messagingType: 'RESPONSE', text: 'Your parcel ships today.', messageId: result.messageId },
    ]);
  });

  it('sends with the HUMAN_AGENT tag as a MESSAGE_TAG message', async () => {
    // when
    await graph.sendMessage(pageId, token, { recipientId: psid, text: 'Following up', messagingType: 'MESSAGE_TAG', tag: 'HUMAN_AGENT' });
    // then
    expect(fake.sent[0]).toMatchObject({ messagingType: 'MESSAGE_TAG', tag: 'HUMAN_AGENT' });
    expect(fake.requests[0]?.body).toEqual({
      recipient: { id: psid },
      messaging_type: 'MESSAGE_TAG',
      message: { text: 'Following up' },
      tag: 'HUMAN_AGENT',
    });
  });

  it('sends an attachment by URL', async () => {
    // when
    await graph.sendMessage(pageId, token, { recipientId: psid, attachment: { type: 'image', url: 'https://cdn.example.net/label.png' }, messagingType: 'RESPONSE' });
    // then
    expect(fake.sent[0]).toMatchObject({ attachment: { type: 'image', url: 'https://cdn.example.net/label.png' } });
  });

  it('refuses, before calling Meta, a tag without MESSAGE_TAG or a message with neither text nor attachment', async () => {
    await expect(graph.sendMessage(pageId, token, { ...textTo('x'), tag: 'HUMAN_AGENT' })).rejects.toThrow(InternalError);
    await expect(graph.sendMessage(pageId, token, { recipientId: psid, messagingType: 'MESSAGE_TAG' })).rejects.toThrow(InternalError);
    expect(fake.requests).toEqual([]);
  });

  it('reads a customer profile', async () => {
    // when
    const profile = await graph.getProfile(psid, token);
    // then
    expect(profile).toEqual({ id: psid, firstName: 'Marta', lastName: 'Silva', profilePic: 'https://cdn.example.net/p.jpg' });
    // locale was asked first; Meta refused it (#100) for an app without pages_user_locale, so the profile was asked without it
    expect(fake.requests.map((r) => r.query['fields'])).toEqual(['first_name,last_name,profile_pic,locale', 'first_name,last_name,profile_pic']);
    // and is not asked again by this client
    await graph.getProfile(psid, token);
    expect(fake.requests[2]?.query['fields']).toBe('first_name,last_name,profile_pic');
  });

  it('reads a customer’s locale when the app may', async () => {
    // given an app with pages_user_locale and a customer whose Messenger is in Brazilian Portuguese
    const withLocale = await startFakeGraph({ pages: { [pageId]: { name: 'Acme Support', token } }, profiles: { [psid]: { first_name: 'João', locale: 'pt_BR' } }, localeAllowed: true });
    try {
      // when
      const profile = await new GraphApi({ baseUrl: withLocale.url }).getProfile(psid, token);
      // then
      expect(profile).toEqual({ id: psid, firstName: 'João', locale: 'pt_BR' });
      expect(withLocale.requests).toHaveLength(1);
    } finally {
      await withLocale.stop();
    }
  });

  it('does not take a customer with no profile for a refused locale', async () => {
    // a PSID with no profile fails the same way with or without locale
    const failure = await failureOf(graph.getProfile('7000000000000999', token));
    expect(failure.isNoProfile).toBe(true);
  });

  it('passes, takes and requests thread control for a customer', async () => {
    // when
    await graph.passThreadControl(pageId, token, { recipientId: psid, targetAppId: '1517776481860111', metadata: 'chat closed' });
    await graph.takeThreadControl(pageId, token, { recipientId: psid });
    await graph.requestThreadControl(pageId, token, { recipientId: psid, metadata: 'agent asks' });
    // then
    expect(fake.handovers).toEqual([
      { pageId, action: 'pass', recipientId: psid, targetAppId: '1517776481860111', metadata: 'chat closed' },
      { pageId, action: 'take', recipientId: psid },
      { pageId, action: 'request', recipientId: psid, metadata: 'agent asks' },
    ]);
  });
});

describe('Graph API errors', () => {
  it('reports an invalidated Page token without repeating the token', async () => {
    // when
    const error = await failureOf(graph.getPage(pageId, `${token}-revoked`));
    // then
    expect(error).toMatchObject({ httpStatus: 400, graphCode: 190, operation: 'getPage', isTokenInvalid: true, retryable: false });
    expect(error.fbtraceId).toBe('AfakeTraceId01');
  });

  it("refuses one Page's token for another Page", async () => {
    const error = await failureOf(graph.sendMessage('208765432109876', token, textTo('hi')));
    expect(error.isTokenInvalid).toBe(true);
  });

  it('reports a send outside the 24-hour window', async () => {
    // given
    fake.reply(graphErrors.outsideWindow);
    // when
    const error = await failureOf(graph.sendMessage(pageId, token, textTo('late')));
    // then
    expect(error).toMatchObject({ graphCode: 10, graphSubcode: 2018278, isOutsideWindow: true, retryable: false, isTokenInvalid: false });
  });

  it('reports a missing profile', async () => {
    // when
    const error = await failureOf(graph.getProfile('9990001112223334', token));
    // then
    expect(error).toMatchObject({ graphSubcode: 2018218, isNoProfile: true, retryable: false });
  });

  it('reports rate limits (codes 4 and 613) as retryable', async () => {
    // given
    fake.reply(graphErrors.appRateLimited);
    fake.reply(graphErrors.customRateLimited);
    // when
    const first = await failureOf(graph.sendMessage(pageId, token, textTo('a')));
    const second = await failureOf(graph.sendMessage(pageId, token, textTo('b')));
    // then
    expect(first).toMatchObject({ graphCode: 4, isRateLimited: true, retryable: true });
    expect(second).toMatchObject({ graphCode: 613, isRateLimited: true, retryable: true });
  });

  it('answers normally again after the scripted failures are used up', async () => {
    // given
    fake.reply(graphErrors.serverError, 2);
    // when
    const first = await failureOf(graph.sendMessage(pageId, token, textTo('a')));
    await failureOf(graph.sendMessage(pageId, token, textTo('a')));
    const third = await graph.sendMessage(pageId, token, textTo('a'));
    // then
    expect(first).toMatchObject({ httpStatus: 500, graphCode: 2, retryable: true });
    expect(third.recipientId).toBe(psid);
  });

  it('reports a customer who is no longer reachable', async () => {
    fake.reply(graphErrors.recipientUnavailable);
    const error = await failureOf(graph.sendMessage(pageId, token, textTo('hello?')));
    expect(error).toMatchObject({ graphCode: 551, isRecipientUnavailable: true, retryable: false });
  });

  it('scrubs the token even when Meta quotes it back', async () => {
    // given
    fake.reply({ status: 400, body: { error: { message: `Malformed access token ${token}`, type: 'OAuthException', code: 190 } } });
    // when
    const error = await failureOf(graph.getPage(pageId, token));
    // then
    expect(error.message).toContain('[redacted]');
  });

  it('reports a non-JSON gateway failure as retryable with its status', async () => {
    // given
    fake.reply({ status: 502, body: '<html>Bad Gateway</html>' });
    // when
    const error = await failureOf(graph.getPage(pageId, token));
    // then
    expect(error).toMatchObject({ httpStatus: 502, graphCode: undefined, retryable: true });
  });

  it('reports an unexpected success body as a failure, not a success', async () => {
    // given
    fake.reply({ status: 200, body: { id: pageId } });
    // when
    const error = await failureOf(graph.getPage(pageId, token));
    // then
    expect(error).toMatchObject({ httpStatus: 200, retryable: false });
    expect(error.message).toContain('unexpected body');
  });

  it('reports an unreachable Graph API as a retryable network failure', async () => {
    // given
    const unreachable = new GraphApi({ baseUrl: fake.url });
    await fake.stop();
    fake = await startFakeGraph();
    // when
    const error = await failureOf(unreachable.getPage(pageId, token));
    // then
    expect(error).toMatchObject({ network: true, retryable: true, httpStatus: undefined });
    expect(error.cause).toBeInstanceOf(Error);
  });

  it('gives up on a Graph API that does not answer in time', async () => {
    // given a fetch that never answers until aborted
    const hanging: typeof fetch = (_input, init) =>
      new Promise((_resolve, reject) => init?.signal?.addEventListener('abort', () => reject(init.signal?.reason)));
    const slow = new GraphApi({ baseUrl: fake.url, fetch: hanging, timeoutMs: 50 });
    // when
    const error = await failureOf(slow.getPage(pageId, token));
    // then
    expect(error).toMatchObject({ network: true, retryable: true });
    expect(error.message).toContain('timed out');
  });
});

describe('the fake Graph API', () => {
  it('records Send API requests Meta would refuse, and refuses them', async () => {
    // given requests breaking Meta's rules, sent around the client
    const post = (body: unknown) =>
      fetch(`${fake.url}/${pageId}/messages?access_token=${token}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    // when
    const statuses = [
      (await post({ recipient: { id: psid }, messaging_type: 'RESPONSE', tag: 'HUMAN_AGENT', message: { text: 'x' } })).status,
      (await post({ recipient: { id: psid }, messaging_type: 'NOTIFY', message: { text: 'x' } })).status,
      (await post({ recipient: {}, messaging_type: 'RESPONSE', message: { text: 'x' } })).status,
    ];
    // then
    expect(statuses).toEqual([400, 400, 400]);
    expect(fake.violations).toEqual([
      'send: tag given without messaging_type MESSAGE_TAG',
      'send: messaging_type NOTIFY is not one of RESPONSE, UPDATE, MESSAGE_TAG',
      expect.stringContaining('send: recipient.id'),
    ]);
    expect(fake.sent).toEqual([]);
    fake.violations.length = 0;
  });

  it('takes quick replies as the Send API does and refuses too many, too long or untyped ones', async () => {
    // given the client's quick replies, and requests breaking Meta's limits sent around the client
    const sent = await graph.sendMessage(pageId, token, { ...textTo('Como correu? 😀'), quickReplies: [{ title: '👍', payload: 'CSAT:c-1:5' }, { title: '👎', payload: 'CSAT:c-1:1' }] });
    const post = (quick_replies: unknown) =>
      fetch(`${fake.url}/${pageId}/messages?access_token=${token}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ recipient: { id: psid }, messaging_type: 'RESPONSE', message: { text: 'Escolha 🇵🇹', quick_replies } }),
      });
    const reply = (title: string, payload = 'P') => ({ content_type: 'text', title, payload });
    // when (the last one at every limit: 13 replies, titles of 20 UTF-16 units, payloads of 1000)
    const statuses = [
      (await post(Array.from({ length: 14 }, (_, i) => reply(String(i))))).status,
      (await post([reply('Muito satisfeito 😀😀😀')])).status,
      (await post([reply('ok', 'p'.repeat(1001))])).status,
      (await post([{ content_type: 'location', title: 'x', payload: 'x' }, { content_type: 'text', payload: 'x' }])).status,
      (await post(Array.from({ length: 13 }, (_, i) => reply('Satisfeito! 😀😀😀😀', `${String(i).padStart(2, '0')}${'p'.repeat(998)}`)))).status,
    ];
    // then
    expect(fake.sent).toEqual([
      expect.objectContaining({ messageId: sent.messageId, text: 'Como correu? 😀', quickReplies: [reply('👍', 'CSAT:c-1:5'), reply('👎', 'CSAT:c-1:1')] }),
      expect.objectContaining({ text: 'Escolha 🇵🇹', quickReplies: expect.arrayContaining([reply('Satisfeito! 😀😀😀😀', `12${'p'.repeat(998)}`)]) }),
    ]);
    expect(statuses).toEqual([400, 400, 400, 400, 200]);
    expect(fake.violations).toEqual([
      'send: quick_replies must hold 1-13 items, not 14',
      'send: quick_replies.0.title must be 1-20 characters',
      'send: quick_replies.0.payload must be 1-1000 characters',
      'send: quick_replies.0.content_type location is not one of text, user_phone_number, user_email',
      'send: quick_replies.1.title must be 1-20 characters',
    ]);
    fake.violations.length = 0;
  });
});

describe('the shared Graph API client', () => {
  it('talks to GRAPH_API_URL', async () => {
    // given
    const previous = process.env.GRAPH_API_URL;
    process.env.GRAPH_API_URL = fake.url;
    try {
      await jest.isolateModulesAsync(async () => {
        const { graphApi } = await import('../../functions/composition-root');
        // when
        const page = await graphApi().getPage(pageId, token);
        // then
        expect(page.name).toBe('Acme Support');
      });
    } finally {
      if (previous === undefined) delete process.env.GRAPH_API_URL;
      else process.env.GRAPH_API_URL = previous;
    }
  });
});
