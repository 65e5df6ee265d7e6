import * as z from 'zod/mini';
import { InternalError } from '../domain/errors';

/**
 * Every environment variable a function may read. `lib/` sets them on the Lambdas and
 * `local/` sets them for the in-process handlers, so the names live here once.
 */
const envSchema = z.object({
  TABLE_NAME: z.string().check(z.minLength(1)),
  INBOUND_QUEUE_URL: z.url(),
  OUTBOUND_QUEUE_URL: z.url(),
  /** Dead-letter queues of the inbound and outbound queues; the admin API lists and redrives them. */
  INBOUND_DLQ_URL: z.url(),
  OUTBOUND_DLQ_URL: z.url(),
  /** The WebSocket API's `@connections` endpoint (https://{api}.execute-api.{region}.amazonaws.com/{stage}). */
  SOCKET_CALLBACK_URL: z.url(),
  EVENT_BUS_NAME: z.string().check(z.minLength(1)),
  /** Standard queue of delayed timer messages (accept, completion and "all agents busy" timeouts). */
  TIMER_QUEUE_URL: z.url(),
  /** Secrets Manager names are `${SECRETS_PREFIX}/...`; IAM is scoped to that prefix. */
  SECRETS_PREFIX: z.string().check(z.minLength(1)),
  GRAPH_API_URL: z._default(z.url(), 'https://graph.facebook.com/v23.0'),
  TELEGRAM_API_URL: z._default(z.url(), 'https://api.telegram.org'),
  JWT_ISSUER: z.url(),
  JWKS_URI: z.url(),
  /** Comma-separated client ids accepted as `aud`/`client_id`; empty accepts any. */
  JWT_AUDIENCE: z._default(z.string(), ''),
  /** Public base URL of the HTTP API, shown to admins as the webhook callback base. */
  PUBLIC_API_URL: z.url(),
  /** The private bucket agents' attachments are uploaded to (presigned PUT) and sent from. */
  ATTACHMENTS_BUCKET: z.string().check(z.minLength(3)),
});

export type Env = z.infer<typeof envSchema>;
export type EnvKey = keyof Env;
export const envKeys = z.keyof(envSchema).options;

/** Reads and validates the named variables once; call at module scope (cold start). */
export function readEnv<K extends EnvKey>(...keys: K[]): Pick<Env, K> {
  const values: Partial<Record<EnvKey, string>> = {};
  const bad: string[] = [];
  for (const key of keys) {
    const result = envSchema.shape[key].safeParse(process.env[key]);
    if (result.success) values[key] = result.data;
    else bad.push(key);
  }
  if (bad.length) throw new InternalError(`Invalid or missing environment variables: ${bad.join(', ')}`);
  return values as Pick<Env, K>;
}
