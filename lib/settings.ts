import type { Node } from 'constructs';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { z } from 'zod';
import { secretsPrefixDefault } from '../functions/shared/resources';

/** Where the deployed functions reach Meta and Telegram unless the context points elsewhere. */
export const platformApiDefaults = {
  graphApiUrl: 'https://graph.facebook.com/v23.0',
  telegramApiUrl: 'https://api.telegram.org',
} as const;

// `cdk -c key=value` hands every value over as a string, so booleans and numbers accept both forms.
const flag = z.union([z.boolean(), z.enum(['true', 'false']).transform((value) => value === 'true')]);
const count = z.coerce.number().int().positive();
const retentionDays = z.coerce
  .number()
  .refine((days) => Object.values(RetentionDays).some((period) => period === days), 'must be a CloudWatch Logs retention period');

// Cognito domain prefixes: lowercase letters, digits and inner hyphens, without the words Cognito reserves.
const domainPrefix = z
  .string()
  .regex(/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/, 'must be 1-63 lowercase letters, digits or inner hyphens')
  .refine((prefix) => !/aws|amazon|cognito/.test(prefix), 'must not contain aws, amazon or cognito');
// More places the console is served from (a custom domain, a developer's http://localhost:…/console/): a list or comma-separated.
const urlList = z
  .union([z.array(z.string()), z.string().transform((value) => value.split(','))])
  .transform((urls) => urls.map((url) => url.trim()).filter((url) => url.length > 0))
  .pipe(z.array(z.string().url()));

const settingsSchema = z.object({
  secretsPrefix: z.string().regex(/^[A-Za-z0-9/_+=.@-]+$/).default(secretsPrefixDefault),
  graphApiUrl: z.string().url().default(platformApiDefaults.graphApiUrl),
  telegramApiUrl: z.string().url().default(platformApiDefaults.telegramApiUrl),
  /** Protects the table and the user pool from deletion and retains them when the stack goes. */
  deletionProtection: flag.default(true),
  logRetentionDays: retentionDays.default(RetentionDays.ONE_MONTH),
  /** Cognito Plus tier with full threat protection; off trades it for the Essentials price. */
  threatProtection: flag.default(true),
  /** Sets the account's API Gateway logging role, which WebSocket access logs need; off when the account already has one. */
  apiGatewayLogsRole: flag.default(true),
  /** Prefix of the Cognito hosted sign-in domain (`<prefix>.auth.<region>.amazoncognito.com`); default `<stack name>-<account>`. */
  authDomainPrefix: domainPrefix.optional(),
  /** Sign-in callback and sign-out URLs accepted besides the console's CloudFront URL. */
  consoleCallbackUrls: urlList.default([]),
  socketRateLimit: count.default(100),
  socketBurstLimit: count.default(200),
  /** Most router invocations at once (SQS event source maximum concurrency, 2-1000): bounds the write rate on the table. */
  routerConcurrency: count.min(2).max(1000).default(50),
  /** Most sender invocations at once (2-1000): bounds the rate of calls to the Graph API and the Bot API. */
  senderConcurrency: count.min(2).max(1000).default(20),
});

export type OmnichatSettings = z.infer<typeof settingsSchema>;
export type OmnichatSettingsInput = z.input<typeof settingsSchema>;
export const settingKeys = settingsSchema.keyof().options;

/** Validates explicit settings, filling every default. */
export function parseSettings(input: OmnichatSettingsInput = {}): OmnichatSettings {
  const result = settingsSchema.safeParse(input);
  if (!result.success) {
    const fields = result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ');
    throw new Error(`Invalid Omnichat stack settings: ${fields}`, { cause: result.error });
  }
  return result.data;
}

/** Reads the settings from CDK context (`cdk.json` or `-c key=value`). */
export function settingsFromContext(node: Node): OmnichatSettings {
  const given = Object.fromEntries(
    settingKeys.flatMap((key) => {
      const value: unknown = node.tryGetContext(key);
      return value === undefined ? [] : [[key, value]];
    }),
  );
  return parseSettings(given);
}
