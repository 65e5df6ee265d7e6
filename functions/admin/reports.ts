import * as z from 'zod';
import { NotFound, OmnichatError, ValidationFailed } from '../domain/errors';
import { surveySettingsSchema } from '../domain/model';
import { bucketRows, histogramRelativeError, reportCsv, type ReportRow } from '../domain/report';
import type { ReportSubject } from '../domain/ports';
import { idSchema, route, type AdminDeps } from './route-table';
import { existingChannel } from './channels';

/** Who may read reports and surveys besides chat-admins. */
export const supervisorsGroup = 'supervisors';

/** The longest span one report covers. */
const maxReportDays = 92;

const percentiles = z.object({ p50: z.number().nullable(), p90: z.number().nullable() });
const rowFields = {
  start: z.string(),
  created: z.number(),
  offered: z.number(),
  accepted: z.number(),
  missed: z.number(),
  abandoned: z.number(),
  transferred: z.number(),
  waitSeconds: percentiles.extend({ max: z.number().nullable() }),
  firstResponseSeconds: percentiles,
  handleSeconds: percentiles,
  messagesIn: z.number(),
  messagesOut: z.number(),
  csat: z.object({ responses: z.number(), average: z.number().nullable() }),
  serviceLevel: z.object({ answeredWithin: z.number(), share: z.number().nullable() }),
  dispositions: z.record(z.string(), z.number()).describe('Chats closed with each disposition in the bucket, by disposition id.'),
};
const { start, ...figures } = rowFields;
const queueRow = z.object({ start, queueId: z.string(), ...figures });
const agentRow = z.object({ start, agentId: z.string(), ...figures });

const isoInstant = z.iso.datetime({ offset: true });
const span = {
  from: isoInstant.describe('Start of the report (ISO 8601); the hour it falls in is the first bucket.'),
  to: isoInstant.describe('End of the report (ISO 8601, exclusive); at most 92 days after `from`.'),
  granularity: z.enum(['hour', 'day']).default('hour').describe('Buckets of one hour, or one UTC day (24 hourly buckets merged).'),
};
const queuesQuery = z.strictObject({ ...span, queueId: idSchema.optional().describe('One queue; every queue when absent.') });
const agentsQuery = z.strictObject({ ...span, agentId: idSchema.optional().describe('One agent; every agent when absent.') });

const answer = <R extends z.ZodType>(row: R) => z.object({ granularity: z.enum(['hour', 'day']), from: z.string(), to: z.string(), rows: z.array(row) });

function spanOf(query: { from: string; to: string }): { from: Date; to: Date } {
  const from = new Date(query.from);
  const to = new Date(query.to);
  const details: { field: string; message: string }[] = [];
  if (to <= from) details.push({ field: 'to', message: 'Must be after from.' });
  else if (to.getTime() - from.getTime() > maxReportDays * 24 * 3600_000) details.push({ field: 'to', message: `At most ${maxReportDays} days after from.` });
  if (details.length) throw new ValidationFailed(details);
  return { from, to };
}

function readerOf(deps: AdminDeps): NonNullable<AdminDeps['reports']> {
  if (!deps.reports) throw new OmnichatError('Reports are not wired to this API.', { code: 'not_configured', status: 503 });
  return deps.reports;
}

/** Rows of each subject (one query per subject, paged), oldest bucket first, then by id. */
async function rowsOf<K extends 'queueId' | 'agentId'>(
  deps: AdminDeps,
  key: K,
  ids: string[],
  query: { from: string; to: string; granularity: 'hour' | 'day' },
): Promise<(ReportRow & Record<K, string>)[]> {
  const reader = readerOf(deps);
  const { from, to } = spanOf(query);
  const perSubject = await Promise.all(
    ids.map(async (id) => {
      const subject = (key === 'queueId' ? { queueId: id } : { agentId: id }) as ReportSubject;
      const hours = await reader.hours(subject, from, to);
      return bucketRows(hours, query.granularity).map((row) => ({ ...row, [key]: id }) as ReportRow & Record<K, string>);
    }),
  );
  return perSubject.flat().sort((a, b) => (a.start === b.start ? (a[key] < b[key] ? -1 : 1) : a.start < b.start ? -1 : 1));
}

const errorNote = `Percentiles come from a log-scale histogram (buckets ×1.25 from 1 s to past 24 h), reported as the bucket's geometric midpoint: within ±${(histogramRelativeError * 100).toFixed(1)} %. waitSeconds.max is exact.`;

export const reportRoutes = [
  route({
    method: 'GET',
    path: '/api/reports/queues',
    tag: 'reports',
    summary: `Per queue and hour or day: chats created, offered, accepted, missed, abandoned, transferred, wait / first response / handle times, messages, CSAT and the service level. Accept: text/csv answers CSV. ${errorNote}`,
    query: queuesQuery,
    response: answer(queueRow),
    errors: [404, 503],
    groups: [supervisorsGroup],
    csv: (result) => reportCsv(result.rows, 'queueId'),
    async handle({ query }, deps) {
      const ids = query.queueId ? [query.queueId] : (await deps.directory.listQueues()).map((q) => q.id);
      if (query.queueId && !(await deps.directory.queue(query.queueId))) throw new NotFound('Queue', query.queueId);
      return { granularity: query.granularity, from: query.from, to: query.to, rows: await rowsOf(deps, 'queueId', ids, query) };
    },
  }),
  route({
    method: 'GET',
    path: '/api/reports/agents',
    tag: 'reports',
    summary: `Per agent and hour or day: chats offered, accepted, missed, abandoned, transferred, times, messages, CSAT and the service level of the chats they took (created is 0). Accept: text/csv answers CSV. ${errorNote}`,
    query: agentsQuery,
    response: answer(agentRow),
    errors: [404, 503],
    groups: [supervisorsGroup],
    csv: (result) => reportCsv(result.rows, 'agentId'),
    async handle({ query }, deps) {
      const ids = query.agentId ? [query.agentId] : (await deps.directory.listAgentItems()).map((a) => a.id);
      if (query.agentId && !(await deps.directory.agentItem(query.agentId))) throw new NotFound('Agent', query.agentId);
      return { granularity: query.granularity, from: query.from, to: query.to, rows: await rowsOf(deps, 'agentId', ids, query) };
    },
  }),
];

const surveyText = z.string().trim().min(1).max(640);
const languageTag = z.string().regex(/^(default|[a-z]{2,3}(-[A-Za-z0-9]{2,8})*)$/, 'A language tag such as en or pt-BR, or default.');
const texts = z.record(languageTag, surveyText);
const surveyBody = z.strictObject({
  enabled: z.boolean(),
  scale: z.enum(['1-5', 'thumbs']).default('1-5').describe('1–5 (buttons 1…5) or thumbs (👍 = 5, 👎 = 1).'),
  questions: texts.describe('The question per chat language, or `default`.'),
  commentPrompt: texts.optional().describe('Asked after the rating; the customer’s next text within 10 minutes is the comment.'),
  thankYou: texts.describe('Sent after the rating.'),
});
const channelPath = z.strictObject({ channelId: idSchema });

function surveysOf(deps: AdminDeps): NonNullable<AdminDeps['surveys']> {
  if (!deps.surveys) throw new OmnichatError('Surveys are not wired to this API.', { code: 'not_configured', status: 503 });
  return deps.surveys;
}

export const surveyRoutes = [
  route({
    method: 'GET',
    path: '/api/channels/{channelId}/survey',
    tag: 'channels',
    summary: 'Read a channel’s satisfaction survey (sent when an agent, a supervisor or the completion timeout closes a chat).',
    params: channelPath,
    response: surveySettingsSchema,
    errors: [404, 503],
    async handle({ params }, deps) {
      await existingChannel(deps, params.channelId);
      return (await surveysOf(deps).settings(params.channelId)) ?? { enabled: false, scale: '1-5' as const, questions: {}, thankYou: {} };
    },
  }),
  route({
    method: 'PUT',
    path: '/api/channels/{channelId}/survey',
    tag: 'channels',
    summary: 'Set a channel’s satisfaction survey: the question with its scale as buttons, within the messaging window, never with a message tag.',
    params: channelPath,
    body: surveyBody,
    response: surveySettingsSchema,
    errors: [404, 503],
    async handle({ params, body }, deps) {
      await existingChannel(deps, params.channelId);
      if (body.enabled && !body.questions['default'] && Object.keys(body.questions).length === 0) {
        throw new ValidationFailed([{ field: 'questions', message: 'An enabled survey needs a question.' }]);
      }
      await surveysOf(deps).saveSettings(params.channelId, body);
      return body;
    },
  }),
];
