import * as z from 'zod';
import type { DeadLetterQueues, FailureLog } from '../adapters/dead-letters';
import { type MessengerPlatform } from '../domain/platforms';
import type { SecretStore } from '../domain/ports';
import { type TelegramPlatform } from '../domain/platforms';
import type { Membership } from '../services/membership';
import type { Supervision } from '../services/supervision';
import type { WrapUpService } from '../services/wrap-up';
import type { TelegramFileLinks } from '../services/telegram-file-links';
import { detailsFromIssues, ValidationFailed } from '../domain/errors';
import { type AdminStore, type ChatStore, type Directory, type ReportReader, type SurveyStore } from '../domain/ports';

/** What the management API's routes work with; built once per container in `api.ts`, by hand in tests. */
export interface AdminDeps {
  directory: Directory;
  admin: AdminStore;
  chats: ChatStore;
  secrets: Pick<SecretStore, 'prefix' | 'get' | 'put' | 'remove' | 'forget'>;
  graph: Pick<MessengerPlatform, 'getPage'>;
  telegram: Pick<TelegramPlatform, 'getMe' | 'setWebhook' | 'deleteWebhook' | 'getWebhookInfo'>;
  /** Built on first use: it brings the whole routing side along. */
  membership(): Pick<Membership, 'saveAgent' | 'saveQueue' | 'settingsChanged'>;
  clock(): Date;
  newId(): string;
  /** Base of webhook callback URLs until the `siteUrl` setting names one. */
  publicApiUrl: string;
  /** Shows stored Telegram files as short-lived signed links. */
  fileLinks: Pick<TelegramFileLinks, 'presentAll'>;
  /** The supervisors' live view and moves; built on first use, like `membership`. Supervisor routes answer 503 without it. */
  supervision?(): Pick<Supervision, 'live' | 'reassign' | 'close' | 'setStatus'>;
  /** Failure records and the dead-letter queues; `GET /api/dead-letters` answers 503 without them. */
  deadLetters?: { failures: Pick<FailureLog, 'list'>; queues: Pick<DeadLetterQueues, 'redrive'> };
  /** The report figures; the report routes answer 503 without them. */
  reports?: ReportReader;
  /** Channels' satisfaction surveys; the survey routes answer 503 without them. */
  surveys?: Pick<SurveyStore, 'settings' | 'saveSettings'>;
  /** Dispositions, notes, the customer's history, quick replies for a chat; those routes answer 503 without it. */
  wrapUp?(): WrapUpService;
}

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface RawRequest {
  params: Record<string, string>;
  query: Record<string, string>;
  /** Parsed JSON, or undefined when no body came. */
  body: unknown;
  /** Who asks (the token's subject and groups), when known. */
  caller?: { sub: string; groups?: string[] };
}


/** One operation of the management API: where it lives, what it accepts, what it answers. */
export interface AdminRoute {
  method: Method;
  /** e.g. `/api/queues/{queueId}` */
  path: string;
  tag: string;
  summary: string;
  status: 200 | 201 | 204;
  params?: z.ZodObject;
  query?: z.ZodObject;
  body?: z.core.$ZodType;
  response?: z.core.$ZodType;
  /** Error statuses the operation may answer besides 400/401/403. */
  errors: number[];
  /** Groups besides chat-admins that may call it. */
  groups?: readonly string[];
  /** The answer as CSV, for a request that asks for `text/csv`. */
  csv?: (result: unknown) => string;
  run(request: RawRequest, deps: AdminDeps): Promise<unknown>;
}

type Infer<S> = S extends z.core.$ZodType ? z.output<S> : undefined;

export interface RouteDefinition<P extends z.ZodObject | undefined, Q extends z.ZodObject | undefined, B extends z.core.$ZodType | undefined, R extends z.core.$ZodType | undefined> {
  method: Method;
  path: string;
  tag: string;
  summary: string;
  status?: 200 | 201 | 204;
  params?: P;
  query?: Q;
  body?: B;
  response?: R;
  errors?: number[];
  groups?: readonly string[];
  csv?: (result: R extends z.core.$ZodType ? z.output<R> : void) => string;
  handle(input: { params: Infer<P>; query: Infer<Q>; body: Infer<B>; caller: { sub: string; groups: string[] } }, deps: AdminDeps): Promise<R extends z.core.$ZodType ? z.input<R> : void>;
}

/**
 * Declares a route. Path, query and body are parsed together so one answer names every bad
 * field; the handler's result is parsed by the response schema, which drops whatever it does
 * not list (a secret can never ride along).
 */
export function route<
  P extends z.ZodObject | undefined = undefined,
  Q extends z.ZodObject | undefined = undefined,
  B extends z.core.$ZodType | undefined = undefined,
  R extends z.core.$ZodType | undefined = undefined,
>(definition: RouteDefinition<P, Q, B, R>): AdminRoute {
  const { handle, csv, ...rest } = definition;
  return {
    ...rest,
    ...(csv ? { csv: csv as (result: unknown) => string } : {}),
    status: definition.status ?? (definition.method === 'POST' ? 201 : definition.method === 'DELETE' ? 204 : 200),
    errors: definition.errors ?? [],
    async run(request, deps) {
      const details: { field: string; message: string }[] = [];
      const parse = <S extends z.core.$ZodType | undefined>(schema: S | undefined, value: unknown, where: string): Infer<S> => {
        if (!schema) return undefined as Infer<S>;
        const result = z.safeParse(schema, value);
        if (result.success) return result.data as Infer<S>;
        details.push(...detailsFromIssues(result.error.issues).map((d) => (where === 'body' ? d : { ...d, field: d.field === '(body)' ? where : d.field })));
        return undefined as Infer<S>;
      };
      const params = parse<P>(definition.params, request.params, 'path');
      const query = parse<Q>(definition.query, request.query, 'query');
      const body = parse<B>(definition.body, request.body, 'body');
      if (details.length > 0) throw new ValidationFailed(details);
      const caller = { sub: request.caller?.sub ?? 'unknown', groups: request.caller?.groups ?? [] };
      const result = await handle({ params, query, body, caller }, deps);
      return definition.response ? z.parse(definition.response, result) : undefined;
    },
  };
}

/** Ids in paths and bodies: what Cognito subs, Meta ids and our UUIDs look like, nothing that could escape a key. */
export const idSchema = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9_.@:-]+$/, 'Use letters, digits and _ . @ : - only.');

export const errorBody = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    details: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
  }),
});
