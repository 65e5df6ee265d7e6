import * as z from 'zod';
import { InternalError } from '../domain/errors';

/**
 * Every environment variable a function may read. `lib/` sets them on the Lambdas and
 * `local/` sets them for the in-process handlers, so the names live here once.
 */
const envSchema = z.object({
  TABLE_NAME: z.string().min(1),
  INBOUND_QUEUE_URL: z.string().url(),
  OUTBOUND_QUEUE_URL: z.string().url(),
  /** Dead-letter queues of the inbound and outbound queues; the admin API lists and redrives them. */
  INBOUND_DLQ_URL: z.string().url(),
  OUTBOUND_DLQ_URL: z.string().url(),
  /** The WebSocket API's `@connections` endpoint (https://{api}.execute-api.{region}.amazonaws.com/{stage}). */
  SOCKET_CALLBACK_URL: z.string().url(),
  EVENT_BUS_NAME: z.string().min(1),
  /** Standard queue of delayed timer messages (accept, completion and "all agents busy" timeouts). */
  TIMER_QUEUE_URL: z.string().url(),
  /** Secrets Manager names are `${SECRETS_PREFIX}/...`; IAM is scoped to that prefix. */
  SECRETS_PREFIX: z.string().min(1),
  GRAPH_API_URL: z.string().url().default('https://graph.facebook.com/v23.0'),
  TELEGRAM_API_URL: z.string().url().default('https://api.telegram.org'),
  JWT_ISSUER: z.string().url(),
  JWKS_URI: z.string().url(),
  /** Comma-separated client ids accepted as `aud`/`client_id`; empty accepts any. */
  JWT_AUDIENCE: z.string().default(''),
  /** Public base URL of the HTTP API, shown to admins as the webhook callback base. */
  PUBLIC_API_URL: z.string().url(),
});

export type Env = z.infer<typeof envSchema>;
export type EnvKey = keyof Env;
export const envKeys = envSchema.keyof().options;

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
