import * as z from 'zod';
import { GraphApiError } from '../domain/platforms';
import { secretNames } from '../domain/secret-names';
import { TelegramApiError } from '../domain/platforms';
import { type Channel, channelSchema } from '../domain/model';
import { generateSecretToken } from '../domain/signature';
import { Conflict, NotFound, OmnichatError, ValidationFailed } from '../domain/errors';
import { logger } from '../shared/logger';
import { existingQueue } from './queues';
import { listAnswer, listOf, pageQuery, pageRequest } from './pagination';
import { idSchema, route, type AdminDeps } from './route-table';

/**
 * Secret name of a Telegram channel's webhook secret token (`X-Telegram-Bot-Api-Secret-Token`);
 * the bot token itself is `secretNames.channelToken`.
 */
export const telegramWebhookSecretName = secretNames.telegramWebhookSecret;

/** The platform refused the token given: the admin must fix it. */
export class InvalidToken extends OmnichatError {
  constructor(message: string, options: { cause?: unknown; field: string }) {
    super(message, { code: 'invalid_token', status: 400, cause: options.cause, details: [{ field: options.field, message }] });
  }
}

/** The platform did not answer usefully; trying again later may work. */
export class PlatformUnavailable extends OmnichatError {
  constructor(message: string, options: { cause?: unknown }) {
    super(message, { code: 'platform_unavailable', status: 502, cause: options.cause });
  }
}

/** A channel as the management API shows it: each public field named here, so a stored field is not public by accident. */
/** A channel that ever had a chat is kept (its chats name it): deactivated, never deleted. */
const hasChats = (channelId: string) => new Conflict('channel_has_chats', `Channel ${channelId} has chats; deactivate it instead (PATCH active: false).`);

export const channelView = z.object(channelSchema.shape).pick({
  id: true,
  type: true,
  name: true,
  active: true,
  queueId: true,
  language: true,
  provisioningState: true,
  lastError: true,
  humanAgentTag: true,
  customerAttachments: true,
  agentAttachments: true,
  appId: true,
  pageId: true,
  botUsername: true,
  createdAt: true,
});

const pageAccessToken = z.string().min(10).max(2048).regex(/^\S+$/, 'No spaces.');
const botToken = z.string().regex(/^\d{1,20}:[A-Za-z0-9_-]{20,100}$/, 'A bot token looks like 123456:ABC-DEF…');

const channelCreate = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('messenger'), appId: idSchema, pageId: idSchema, pageAccessToken }),
  z.strictObject({ type: z.literal('telegram'), botToken }),
]);
const channelPatch = z.strictObject({
  active: z.boolean().optional(),
  queueId: idSchema.nullable().optional(),
  language: z
    .string()
    .regex(/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, 'A language tag such as en or pt-BR.')
    .nullable()
    .optional(),
  name: z.string().trim().min(1).max(200).optional(),
  humanAgentTag: z.boolean().optional(),
  customerAttachments: z.boolean().optional().describe('Customers’ attachments reach agents (default true); when false they are refused with the attachmentRefused automated message, and text sent with them is still delivered.'),
  agentAttachments: z.boolean().optional().describe('Agents may send files (default true); when false `upload` and `send` with attachments answer attachments_disabled.'),
  pageAccessToken: pageAccessToken.optional().describe('Messenger: a new Page access token (checked with the Graph API).'),
  botToken: botToken.optional().describe('Telegram: a new bot token (checked with getMe, webhook set again).'),
});
const channelPath = z.strictObject({ channelId: idSchema });
const testResult = z.object({ ok: z.boolean(), detail: z.string() });

export async function existingChannel(deps: AdminDeps, channelId: string): Promise<Channel> {
  const channel = await deps.directory.channel(channelId);
  if (!channel) throw new NotFound('Channel', channelId);
  return channel;
}

/** The Page's name, if Meta accepts this token for it. */
async function pageName(deps: AdminDeps, pageId: string, token: string, field: string): Promise<string> {
  try {
    return (await deps.graph.getPage(pageId, token)).name;
  } catch (error) {
    if (error instanceof GraphApiError && (error.isTokenInvalid || (!error.retryable && error.httpStatus !== undefined && error.httpStatus < 500))) {
      throw new InvalidToken(`Meta refused the Page access token: ${error.message}`, { cause: error, field });
    }
    throw new PlatformUnavailable('The Graph API did not answer; try again.', { cause: error });
  }
}

/** The bot's username, if Telegram accepts this token. */
async function botUsername(deps: AdminDeps, token: string, field: string): Promise<string> {
  try {
    return (await deps.telegram.getMe(token)).username;
  } catch (error) {
    if (error instanceof TelegramApiError && error.isUnauthorized) {
      throw new InvalidToken(`Telegram refused the bot token: ${error.description ?? error.message}`, { cause: error, field });
    }
    throw new PlatformUnavailable('The Bot API did not answer; try again.', { cause: error });
  }
}

async function setTelegramWebhook(deps: AdminDeps, channelId: string, token: string, secretToken: string): Promise<void> {
  const { siteUrl } = await deps.directory.settings();
  if (!siteUrl) throw new Conflict('site_url_missing', 'Set the siteUrl setting (the public https base URL) before adding Telegram channels.');
  try {
    await deps.telegram.setWebhook(token, {
      url: `${siteUrl}/webhooks/telegram/${encodeURIComponent(channelId)}`,
      secret_token: secretToken,
      allowed_updates: ['message', 'edited_message', 'callback_query'],
    });
  } catch (error) {
    if (error instanceof TelegramApiError && !error.retryable) {
      throw new InvalidToken(`Telegram refused the webhook: ${error.description ?? error.message}`, { cause: error, field: 'botToken' });
    }
    throw new PlatformUnavailable('The Bot API did not answer; try again.', { cause: error });
  }
}

async function createMessengerChannel(deps: AdminDeps, body: { appId: string; pageId: string; pageAccessToken: string }): Promise<Channel> {
  if (!(await deps.directory.messengerApp(body.appId))) throw new NotFound('Meta app', body.appId);
  if (await deps.directory.channelOfPage(body.pageId)) throw new Conflict('page_in_use', `Page ${body.pageId} is a channel already.`);
  const name = await pageName(deps, body.pageId, body.pageAccessToken, 'pageAccessToken');
  const channel: Channel = {
    ...newChannelFields(deps),
    type: 'messenger',
    name,
    appId: body.appId,
    pageId: body.pageId,
  };
  const tokenName = secretNames.channelToken(deps.secrets.prefix, channel.id);
  await deps.secrets.put(tokenName, body.pageAccessToken);
  const outcome = await deps.directory.createChannel(channel).catch(async (error: unknown) => {
    await deps.secrets.remove(tokenName);
    throw error;
  });
  if (outcome === 'lost') {
    await deps.secrets.remove(tokenName);
    throw new Conflict('page_in_use', `Page ${body.pageId} is a channel already.`);
  }
  return channel;
}

async function createTelegramChannel(deps: AdminDeps, body: { botToken: string }): Promise<Channel> {
  if (!(await deps.directory.settings()).siteUrl) {
    throw new Conflict('site_url_missing', 'Set the siteUrl setting (the public https base URL) before adding Telegram channels.');
  }
  const username = await botUsername(deps, body.botToken, 'botToken');
  const channel: Channel = { ...newChannelFields(deps), type: 'telegram', name: username, botUsername: username };
  const tokenName = secretNames.channelToken(deps.secrets.prefix, channel.id);
  const secretName = telegramWebhookSecretName(deps.secrets.prefix, channel.id);
  const secretToken = generateSecretToken();
  await deps.secrets.put(tokenName, body.botToken);
  await deps.secrets.put(secretName, secretToken);
  if ((await deps.directory.createChannel(channel)) === 'lost') {
    // Only a fresh id taken already could lose: nothing of this channel is kept.
    await Promise.all([deps.secrets.remove(tokenName), deps.secrets.remove(secretName)]);
    throw new Error(`Channel id ${channel.id} is taken.`);
  }
  try {
    await setTelegramWebhook(deps, channel.id, body.botToken, secretToken);
  } catch (error) {
    // Without its webhook the channel would never hear from the bot: take everything back.
    await deps.admin.deleteChannel(channel);
    await Promise.all([deps.secrets.remove(tokenName), deps.secrets.remove(secretName)]);
    throw error;
  }
  return channel;
}

function newChannelFields(deps: AdminDeps) {
  return {
    id: deps.newId(),
    active: false,
    queueId: null,
    language: null,
    provisioningState: 'running' as const,
    lastError: null,
    humanAgentTag: false,
    createdAt: deps.clock().toISOString(),
  };
}

async function rotateToken(deps: AdminDeps, channel: Channel, body: { pageAccessToken?: string; botToken?: string }): Promise<boolean> {
  const tokenName = secretNames.channelToken(deps.secrets.prefix, channel.id);
  if (body.pageAccessToken !== undefined) {
    if (channel.type !== 'messenger' || !channel.pageId) throw new ValidationFailed([{ field: 'pageAccessToken', message: 'Only Messenger channels have a Page access token.' }]);
    await pageName(deps, channel.pageId, body.pageAccessToken, 'pageAccessToken');
    await deps.secrets.put(tokenName, body.pageAccessToken);
    return true;
  }
  if (body.botToken !== undefined) {
    if (channel.type !== 'telegram') throw new ValidationFailed([{ field: 'botToken', message: 'Only Telegram channels have a bot token.' }]);
    await botUsername(deps, body.botToken, 'botToken');
    const secretName = telegramWebhookSecretName(deps.secrets.prefix, channel.id);
    const secretToken = (await deps.secrets.get(secretName)) ?? generateSecretToken();
    await deps.secrets.put(secretName, secretToken);
    await setTelegramWebhook(deps, channel.id, body.botToken, secretToken);
    await deps.secrets.put(tokenName, body.botToken);
    return true;
  }
  return false;
}

/**
 * Telegram's own view of the webhook (`getWebhookInfo`): not ok when it points elsewhere, or when
 * updates are piling up behind a delivery error.
 */
async function telegramWebhookState(deps: AdminDeps, channelId: string, token: string, username: string): Promise<{ ok: boolean; detail: string }> {
  const info = await deps.telegram.getWebhookInfo(token);
  const { siteUrl } = await deps.directory.settings();
  const expected = siteUrl ? `${siteUrl}/webhooks/telegram/${encodeURIComponent(channelId)}` : undefined;
  const pointsHere = expected !== undefined && info.url === expected;
  const failing = info.last_error_message !== undefined && info.pending_update_count > 0;
  const detail = [
    `Connected to bot @${username}.`,
    pointsHere ? 'Webhook set to this channel.' : `Webhook points to ${info.url || 'nowhere'}${expected ? `, not ${expected}; rotate the token to set it again` : ''}.`,
    `${info.pending_update_count} pending update(s).`,
    ...(info.last_error_message !== undefined ? [`Last delivery error: ${info.last_error_message}.`] : []),
  ].join(' ');
  return { ok: pointsHere && !failing, detail };
}

/** Checks the stored token with the platform; a token the platform invalidated turns the channel `failed`. */
async function testChannel(deps: AdminDeps, channel: Channel): Promise<{ ok: boolean; detail: string }> {
  const token = await deps.secrets.get(secretNames.channelToken(deps.secrets.prefix, channel.id));
  if (!token) return { ok: false, detail: 'No token is stored for this channel; set one with PATCH.' };
  let outcome: { ok: boolean; detail: string; invalidToken: boolean };
  if (channel.type === 'messenger') {
    try {
      const page = await deps.graph.getPage(channel.pageId ?? '', token);
      outcome = { ok: true, detail: `Connected to Page ${page.name}.`, invalidToken: false };
    } catch (error) {
      if (!(error instanceof GraphApiError)) throw error;
      outcome = { ok: false, detail: error.message, invalidToken: error.isTokenInvalid };
    }
  } else {
    try {
      const bot = await deps.telegram.getMe(token);
      outcome = { ...(await telegramWebhookState(deps, channel.id, token, bot.username)), invalidToken: false };
    } catch (error) {
      if (!(error instanceof TelegramApiError)) throw error;
      outcome = { ok: false, detail: error.message, invalidToken: error.isUnauthorized };
    }
  }
  if (outcome.invalidToken) {
    deps.secrets.forget(secretNames.channelToken(deps.secrets.prefix, channel.id));
    await deps.directory.saveChannel({ ...channel, provisioningState: 'failed', lastError: outcome.detail });
    logger.warn('channel token refused by the platform', { channelId: channel.id, type: channel.type });
  } else if (outcome.ok && channel.provisioningState === 'failed') {
    await deps.directory.saveChannel({ ...channel, provisioningState: 'running', lastError: null });
  }
  return { ok: outcome.ok, detail: outcome.detail };
}

const automatedText = z.string().trim().min(1).max(2000);
const automatedMessagesBody = z.strictObject({
  languages: z
    .record(
      z.string().regex(/^(default|[a-z]{2,3}(-[A-Za-z0-9]{2,8})*)$/, 'A language tag such as en or pt-BR, or default.'),
      z.strictObject({
        greeting: automatedText.optional(),
        allAgentsBusy: automatedText.optional(),
        closing: automatedText.optional(),
        attachmentRefused: automatedText.optional(),
        // queue hours and waiting: outside hours, max wait expired, position in line (`{position}`)
        outOfHours: automatedText.optional(),
        maxWaitExpired: automatedText.optional(),
        positionInLine: automatedText.optional(),
      }),
    )
    .describe(
      'Per chat language (or `default`): greeting on a new chat, notice after the busy wait, message when a chat closes (agent, supervisor, completion or inactivity timeout; not on a transfer), reply to a customer attachment that was refused. Each optional.',
    ),
  allAgentsBusyAfterSeconds: z.number().int().min(1).max(86_400).nullable().describe('How long a chat waits for an agent before the busy notice; null: never.'),
});

export const channelRoutes = [
  route({
    method: 'GET',
    path: '/api/channels/{channelId}/automated-messages',
    tag: 'channels',
    summary: 'Read a channel’s automated messages (greeting, all agents busy, closing, attachment refused) per language.',
    params: channelPath,
    response: automatedMessagesBody,
    errors: [404],
    async handle({ params }, deps) {
      await existingChannel(deps, params.channelId);
      return (await deps.chats.automatedMessages(params.channelId)) ?? { languages: {}, allAgentsBusyAfterSeconds: null };
    },
  }),
  route({
    method: 'PUT',
    path: '/api/channels/{channelId}/automated-messages',
    tag: 'channels',
    summary: 'Set a channel’s automated messages; sent as the Page (within the 24-hour window, never with a message tag) or the Telegram bot.',
    params: channelPath,
    body: automatedMessagesBody,
    response: automatedMessagesBody,
    errors: [404],
    async handle({ params, body }, deps) {
      await existingChannel(deps, params.channelId);
      await deps.chats.saveAutomatedMessages(params.channelId, body);
      return body;
    },
  }),
  route({
    method: 'POST',
    path: '/api/channels',
    tag: 'channels',
    summary: 'Connect a Messenger Page or a Telegram bot; the channel starts inactive, without a queue.',
    body: channelCreate,
    response: channelView,
    errors: [404, 409, 502],
    handle: ({ body }, deps) => (body.type === 'messenger' ? createMessengerChannel(deps, body) : createTelegramChannel(deps, body)),
  }),
  route({
    method: 'GET',
    path: '/api/channels',
    tag: 'channels',
    summary: 'List channels (never their tokens).',
    query: z.strictObject(pageQuery),
    response: listOf(channelView),
    async handle({ query }, deps) {
      const page = await deps.directory.channelsPage(pageRequest(query));
      return listAnswer(page.items, page);
    },
  }),
  route({
    method: 'GET',
    path: '/api/channels/{channelId}',
    tag: 'channels',
    summary: 'Read a channel, with its provisioning state and last error.',
    params: channelPath,
    response: channelView,
    errors: [404],
    handle: ({ params }, deps) => existingChannel(deps, params.channelId),
  }),
  route({
    method: 'PATCH',
    path: '/api/channels/{channelId}',
    tag: 'channels',
    summary: 'Change a channel: active switch, queue, language, name, HUMAN_AGENT tag, token rotation.',
    params: channelPath,
    body: channelPatch,
    response: channelView,
    errors: [404, 409, 502],
    async handle({ params, body }, deps) {
      const before = await existingChannel(deps, params.channelId);
      if (body.queueId) await existingQueue(deps, body.queueId);
      const after: Channel = {
        ...before,
        ...(body.active !== undefined ? { active: body.active } : {}),
        ...(body.queueId !== undefined ? { queueId: body.queueId } : {}),
        ...(body.language !== undefined ? { language: body.language } : {}),
        ...(body.name !== undefined ? { name: body.name } : {}),
        ...(body.humanAgentTag !== undefined ? { humanAgentTag: body.humanAgentTag } : {}),
        ...(body.customerAttachments !== undefined ? { customerAttachments: body.customerAttachments } : {}),
        ...(body.agentAttachments !== undefined ? { agentAttachments: body.agentAttachments } : {}),
      };
      if (after.active && after.queueId === null) throw new Conflict('channel_needs_queue', 'Link the channel to a queue before activating it.');
      if (await rotateToken(deps, before, body)) Object.assign(after, { provisioningState: 'running', lastError: null });
      await deps.directory.saveChannel(after);
      return after;
    },
  }),
  route({
    method: 'POST',
    path: '/api/channels/{channelId}/test',
    tag: 'channels',
    summary: 'Check the channel token with the platform; a token Meta invalidated (error 190) marks the channel failed.',
    params: channelPath,
    status: 200,
    response: testResult,
    errors: [404],
    handle: async ({ params }, deps) => testChannel(deps, await existingChannel(deps, params.channelId)),
  }),
  route({
    method: 'DELETE',
    path: '/api/channels/{channelId}',
    tag: 'channels',
    summary: 'Delete a channel that never had a chat (otherwise deactivate it), with its secrets.',
    params: channelPath,
    errors: [404, 409],
    async handle({ params }, deps) {
      const channel = await existingChannel(deps, params.channelId);
      if (await deps.admin.channelHasChats(channel.id)) {
        throw hasChats(channel.id);
      }
      // deleted first, so that one refused (a chat came in meanwhile) leaves the bot's webhook and secrets as they were
      if ((await deps.admin.deleteChannel(channel)) === 'hasChats') {
        throw hasChats(channel.id);
      }
      const tokenName = secretNames.channelToken(deps.secrets.prefix, channel.id);
      if (channel.type === 'telegram') {
        const token = await deps.secrets.get(tokenName);
        // Best effort: a bot whose token was revoked has no webhook to remove.
        if (token) await deps.telegram.deleteWebhook(token).catch((error: unknown) => logger.warn('deleteWebhook failed', { channelId: channel.id, error: error instanceof Error ? error.name : 'unknown' }));
        await deps.secrets.remove(telegramWebhookSecretName(deps.secrets.prefix, channel.id));
      }
      await deps.secrets.remove(tokenName);
    },
  }),
];
