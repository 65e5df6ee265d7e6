import * as z from 'zod';
import type { Settings } from '../domain/model';
import { route } from './route-table';

const httpsUrl = z.url({ protocol: /^https$/, error: 'Must be an https URL.' }).max(2048);

export const settingsSchema = z.object({
  simultaneousChats: z.number().int().min(1),
  acceptTimeoutSeconds: z.number().int().min(5),
  siteUrl: z.string().optional(),
  notificationSoundUrl: z.string().optional(),
  defaultLanguage: z.string().optional().describe('Quick replies of this language are offered when none match a chat’s language (`en` when unset).'),
});

const settingsPatch = z.strictObject({
  simultaneousChats: z.number().int().min(1).max(100).optional(),
  acceptTimeoutSeconds: z.number().int().min(5).max(86_400).optional(),
  /** null clears it. */
  siteUrl: httpsUrl.nullable().optional(),
  notificationSoundUrl: z.url().max(2048).nullable().optional(),
  defaultLanguage: z.string().regex(/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, 'A language tag such as en or pt-BR.').nullable().optional(),
});

export const settingsRoutes = [
  route({
    method: 'GET',
    path: '/api/settings',
    tag: 'settings',
    summary: 'Read the product settings (defaults filled in).',
    response: settingsSchema,
    handle: (_input, deps) => deps.directory.settings(),
  }),
  route({
    method: 'PATCH',
    path: '/api/settings',
    tag: 'settings',
    summary: 'Change some settings; a new simultaneousChats applies to routing at once.',
    body: settingsPatch,
    response: settingsSchema,
    async handle({ body }, deps) {
      const before = await deps.directory.settings();
      const after: Settings = { ...before };
      if (body.simultaneousChats !== undefined) after.simultaneousChats = body.simultaneousChats;
      if (body.acceptTimeoutSeconds !== undefined) after.acceptTimeoutSeconds = body.acceptTimeoutSeconds;
      if (body.siteUrl !== undefined) after.siteUrl = body.siteUrl === null ? undefined : body.siteUrl.replace(/\/+$/, '');
      if (body.notificationSoundUrl !== undefined) after.notificationSoundUrl = body.notificationSoundUrl ?? undefined;
      if (body.defaultLanguage !== undefined) after.defaultLanguage = body.defaultLanguage ?? undefined;
      await deps.directory.saveSettings(after);
      if (after.simultaneousChats !== before.simultaneousChats) await deps.membership().settingsChanged();
      return after;
    },
  }),
];
