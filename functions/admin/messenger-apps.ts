import * as z from 'zod';
import { lostRace } from '../adapters/dynamodb/table';
import { secretNames } from '../domain/secret-names';
import type { MessengerApp } from '../domain/model';
import { generateVerifyToken } from '../domain/signature';
import { Conflict, NotFound } from '../shared/errors';
import { indexKeys } from '../adapters/dynamodb/keys';
import { decodeNextToken, kindPage, listAnswer, listOf, pageQuery } from './pagination';
import { idSchema, route, type AdminDeps } from './route-table';

export const messengerAppSchema = z.object({
  appId: z.string(),
  verifyToken: z.string(),
  callbackUrl: z.string(),
  createdAt: z.string(),
});

const appSecret = z.string().min(8).max(256).regex(/^\S+$/, 'No spaces.');
const verifyToken = z.string().min(8).max(256).regex(/^[\x21-\x7e]+$/, 'Printable ASCII without spaces.');

const appCreate = z.strictObject({ appId: idSchema, appSecret, verifyToken: verifyToken.optional() });
const appPatch = z.strictObject({
  appSecret: appSecret.optional(),
  verifyToken: verifyToken.optional(),
  rotateVerifyToken: z.literal(true).optional().describe('Generate a new verify token.'),
});
const appPath = z.strictObject({ appId: idSchema });

/** Where Meta must send this app's webhooks: the siteUrl setting if set, else the API's own URL. */
async function callbackUrlOf(deps: AdminDeps, appId: string): Promise<string> {
  const { siteUrl } = await deps.directory.settings();
  return `${(siteUrl ?? deps.publicApiUrl).replace(/\/+$/, '')}/webhooks/messenger/${encodeURIComponent(appId)}`;
}

async function view(deps: AdminDeps, app: MessengerApp): Promise<z.input<typeof messengerAppSchema>> {
  return { appId: app.appId, verifyToken: app.verifyToken, callbackUrl: await callbackUrlOf(deps, app.appId), createdAt: app.createdAt };
}

async function existingApp(deps: AdminDeps, appId: string): Promise<MessengerApp> {
  const app = await deps.directory.messengerApp(appId);
  if (!app) throw new NotFound('Meta app', appId);
  return app;
}

export const messengerAppRoutes = [
  route({
    method: 'POST',
    path: '/api/messenger-apps',
    tag: 'messenger-apps',
    summary: 'Register a Meta app; answers the webhook callback URL and verify token to give Meta.',
    body: appCreate,
    response: messengerAppSchema,
    errors: [409],
    async handle({ body }, deps) {
      const app: MessengerApp = { appId: body.appId, verifyToken: body.verifyToken ?? generateVerifyToken(), createdAt: deps.clock().toISOString() };
      try {
        await deps.directory.createMessengerApp(app);
      } catch (error) {
        if (lostRace(error)) throw new Conflict('app_exists', `Meta app ${app.appId} is registered already.`);
        throw error;
      }
      try {
        await deps.secrets.put(secretNames.messengerAppSecret(deps.secrets.prefix, app.appId), body.appSecret);
      } catch (error) {
        // An app without its secret could never verify a webhook: take it back.
        await deps.admin.deleteMessengerApp(app.appId);
        throw error;
      }
      return view(deps, app);
    },
  }),
  route({
    method: 'GET',
    path: '/api/messenger-apps',
    tag: 'messenger-apps',
    summary: 'List Meta apps (never their secrets).',
    query: z.strictObject(pageQuery),
    response: listOf(messengerAppSchema),
    async handle({ query }, deps) {
      const page = await deps.directory.messengerAppsPage({ limit: query.limit, startKey: decodeNextToken(query.nextToken, kindPage(indexKeys.kind('MAPP'))) });
      return listAnswer(await Promise.all(page.items.map((app) => view(deps, app))), page.lastKey);
    },
  }),
  route({
    method: 'GET',
    path: '/api/messenger-apps/{appId}',
    tag: 'messenger-apps',
    summary: 'Read a Meta app (never its secret).',
    params: appPath,
    response: messengerAppSchema,
    errors: [404],
    handle: async ({ params }, deps) => view(deps, await existingApp(deps, params.appId)),
  }),
  route({
    method: 'PATCH',
    path: '/api/messenger-apps/{appId}',
    tag: 'messenger-apps',
    summary: 'Rotate the app secret and/or the verify token.',
    params: appPath,
    body: appPatch,
    response: messengerAppSchema,
    errors: [404],
    async handle({ params, body }, deps) {
      const before = await existingApp(deps, params.appId);
      const token = body.verifyToken ?? (body.rotateVerifyToken ? generateVerifyToken() : undefined);
      const after: MessengerApp = { ...before, ...(token !== undefined ? { verifyToken: token } : {}) };
      if (body.appSecret !== undefined) await deps.secrets.put(secretNames.messengerAppSecret(deps.secrets.prefix, before.appId), body.appSecret);
      if (token !== undefined) await deps.directory.saveMessengerApp(after);
      return view(deps, after);
    },
  }),
  route({
    method: 'DELETE',
    path: '/api/messenger-apps/{appId}',
    tag: 'messenger-apps',
    summary: 'Remove a Meta app that no channel uses, with its secret.',
    params: appPath,
    errors: [404, 409],
    async handle({ params }, deps) {
      const app = await existingApp(deps, params.appId);
      const channels = (await deps.directory.listChannels()).filter((c) => c.appId === app.appId);
      if (channels.length > 0) {
        throw new Conflict('app_in_use', `Meta app ${app.appId} serves channels ${channels.map((c) => c.id).join(', ')}; delete them first.`);
      }
      await deps.admin.deleteMessengerApp(app.appId);
      await deps.secrets.remove(secretNames.messengerAppSecret(deps.secrets.prefix, app.appId));
    },
  }),
];
