import { Lazy } from 'aws-cdk-lib';
import type { EnvKey } from '../functions/shared/env';
import type { HandlerId } from '../functions/shared/routes';

/** What every function that drives a chat reads: the router, the timer, the agent socket and the admin API. */
const chatDriver = [
  'TABLE_NAME',
  'INBOUND_QUEUE_URL',
  'OUTBOUND_QUEUE_URL',
  'SOCKET_CALLBACK_URL',
  'EVENT_BUS_NAME',
  'TIMER_QUEUE_URL',
  'SECRETS_PREFIX',
  'GRAPH_API_URL',
  'TELEGRAM_API_URL',
  // agents get Telegram files as links to the public file route, signed with the bot token
  'PUBLIC_API_URL',
  // agents' uploaded attachments: presigned upload URLs and download links
  'ATTACHMENTS_BUCKET',
] as const satisfies readonly EnvKey[];

const webhook = ['TABLE_NAME', 'INBOUND_QUEUE_URL', 'SECRETS_PREFIX'] as const satisfies readonly EnvKey[];

/** The environment variables each handler reads, and no others. */
export const handlerEnvironment: Record<HandlerId, readonly EnvKey[]> = {
  'ingest/messenger-handshake': ['TABLE_NAME'],
  'ingest/messenger-webhook': webhook,
  'ingest/telegram-webhook': webhook,
  'files/telegram-file': ['SECRETS_PREFIX', 'TELEGRAM_API_URL'],
  'routing/router': chatDriver,
  'routing/timer': chatDriver,
  'socket/authorizer': ['JWT_ISSUER', 'JWKS_URI', 'JWT_AUDIENCE', 'TABLE_NAME'],
  'socket/connect': chatDriver,
  'socket/disconnect': chatDriver,
  'socket/action': chatDriver,
  // admins list and redrive the dead-letter queues
  'admin/api': [...chatDriver, 'INBOUND_DLQ_URL', 'OUTBOUND_DLQ_URL'],
  'outbound/sender': [
    'TABLE_NAME',
    'SECRETS_PREFIX',
    'GRAPH_API_URL',
    'TELEGRAM_API_URL',
    'SOCKET_CALLBACK_URL',
    'EVENT_BUS_NAME',
    'OUTBOUND_QUEUE_URL',
    'ATTACHMENTS_BUCKET',
  ],
};

/**
 * The handlers that publish business metrics (they load `functions/shared/observability.ts`):
 * they are told the metrics namespace; the others publish none.
 */
export const measuredHandlers: ReadonlySet<HandlerId> = new Set<HandlerId>([
  'routing/router',
  'routing/timer',
  'socket/connect',
  'socket/disconnect',
  'socket/action',
  'admin/api',
  'outbound/sender',
]);

/** Raised at synthesis when a function reads a variable that no stage of the stack provides. */
export class MissingEnvironmentValue extends Error {
  constructor(readonly key: EnvKey) {
    super(`No stage of the stack provides a value for ${key}`);
    this.name = 'MissingEnvironmentValue';
  }
}

/**
 * The values behind the environment variables, each provided by the stage that owns the
 * resource. Values resolve at synthesis, so a function of an early stage (the router) can read
 * a resource of a later one (the outbound queue).
 */
export class FunctionEnvironment {
  private readonly values = new Map<EnvKey, string>();

  provide(key: EnvKey, value: string): void {
    if (this.values.has(key)) throw new Error(`${key} is already provided`);
    this.values.set(key, value);
  }

  /** The variables for one handler, as lazy values. */
  forHandler(handler: HandlerId): Record<string, string> {
    return Object.fromEntries(
      handlerEnvironment[handler].map((key) => [key, Lazy.string({ produce: () => this.valueOf(key) })]),
    );
  }

  private valueOf(key: EnvKey): string {
    const value = this.values.get(key);
    if (value === undefined) throw new MissingEnvironmentValue(key);
    return value;
  }
}
