import type { ClientBudget } from './client-budget';
import { signedHeaders, type AwsCredentials } from './sigv4';

/**
 * AWS calls of the AWS JSON protocols (DynamoDB, SQS, Secrets Manager) over `fetch`, signed with
 * SigV4 (`sigv4.ts`) from the function's environment credentials. The webhooks use it instead of
 * the AWS SDK, which was ~380 KB of each webhook bundle and most of its cold start; it does what
 * the SDK's clients did for them: the same endpoints (`AWS_ENDPOINT_URL_<SERVICE>`,
 * `AWS_ENDPOINT_URL`, else the regional endpoint), the same budget (a timeout per attempt, retries
 * of network failures, 5xx and throttling with jittered backoff) and errors named by AWS's type.
 */

/** An AWS service spoken to in one of the AWS JSON protocols. */
export interface AwsJsonService {
  /** SigV4 signing name. */
  signingName: string;
  /** First label of the regional endpoint's host. */
  endpointPrefix: string;
  /** The SDK's service id as in `AWS_ENDPOINT_URL_<ID>` (upper case, spaces as underscores). */
  envId: string;
  /** Prefix of `X-Amz-Target`. */
  targetPrefix: string;
  /** `application/x-amz-json-<version>`. */
  jsonVersion: '1.0' | '1.1';
}

export const dynamodbService: AwsJsonService = { signingName: 'dynamodb', endpointPrefix: 'dynamodb', envId: 'DYNAMODB', targetPrefix: 'DynamoDB_20120810', jsonVersion: '1.0' };
export const sqsService: AwsJsonService = { signingName: 'sqs', endpointPrefix: 'sqs', envId: 'SQS', targetPrefix: 'AmazonSQS', jsonVersion: '1.0' };
export const secretsManagerService: AwsJsonService = {
  signingName: 'secretsmanager',
  endpointPrefix: 'secretsmanager',
  envId: 'SECRETS_MANAGER',
  targetPrefix: 'secretsmanager',
  jsonVersion: '1.1',
};

type Env = Record<string, string | undefined>;

/** A configuration this client does not implement: refused rather than silently ignored. */
export class AwsConfigurationError extends Error {
  override readonly name = 'AwsConfigurationError';
}

/**
 * The endpoint the SDK would use: `AWS_ENDPOINT_URL_<SERVICE>`, then `AWS_ENDPOINT_URL` (both
 * ignored when `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true`), else the service's regional endpoint.
 */
export function awsEndpoint(service: AwsJsonService, env: Env = process.env): string {
  if (env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS?.toLowerCase() !== 'true') {
    const configured = env[`AWS_ENDPOINT_URL_${service.envId}`] || env.AWS_ENDPOINT_URL;
    if (configured) return configured;
  }
  for (const name of ['AWS_USE_FIPS_ENDPOINT', 'AWS_USE_DUALSTACK_ENDPOINT']) {
    if (env[name]?.toLowerCase() === 'true') throw new AwsConfigurationError(`${name} is not supported by the webhooks' AWS client; set AWS_ENDPOINT_URL_${service.envId} instead.`);
  }
  const region = awsRegion(env);
  return `https://${service.endpointPrefix}.${region}.${region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com'}`;
}

function awsRegion(env: Env): string {
  const region = env.AWS_REGION;
  if (!region) throw new AwsConfigurationError('AWS_REGION is not set.');
  return region;
}

/** An error answer of an AWS service, named by its type (`ResourceNotFoundException`, …) like the SDK's errors. */
export class AwsServiceError extends Error {
  constructor(
    /** AWS's error type without its namespace. */
    readonly type: string,
    message: string,
    /** HTTP status of the answer. */
    readonly status: number,
    readonly operation: string,
  ) {
    super(`${operation}: ${message}`);
    this.name = type;
  }
}

/** Error types the SDK's standard retry strategy treats as throttling (retried, with a longer backoff). */
const throttlingTypes = new Set([
  'BandwidthLimitExceeded',
  'EC2ThrottledException',
  'LimitExceededException',
  'PriorRequestNotComplete',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'SlowDown',
  'ThrottledException',
  'Throttling',
  'ThrottlingException',
  'TooManyRequestsException',
  'TransactionInProgressException',
]);
/** Error types the SDK retries as transient (besides every 5xx). */
const transientTypes = new Set(['RequestTimeout', 'RequestTimeoutException']);

/**
 * The type of an AWS JSON error answer, as the SDK reads it: the `x-amzn-errortype` header, else
 * the body's `code` or `__type`, without namespace (`…#`) or suffix (`:…`, `,…`).
 */
export function errorTypeOf(header: string | null, body: Record<string, unknown>): string {
  const raw = header ?? body.code ?? body.__type;
  if (typeof raw !== 'string' || !raw) return 'UnknownError';
  const bare = raw.split(',')[0]!.split(':')[0]!;
  return bare.slice(bare.lastIndexOf('#') + 1) || 'UnknownError';
}

/** Milliseconds to wait before retry number `retry` (1 for the first retry): full jitter on 100 ms (500 ms when throttled) doubling. */
export function backoffMillis(retry: number, throttled: boolean, random: () => number = Math.random): number {
  return Math.floor(random() * (throttled ? 500 : 100) * 2 ** (retry - 1));
}

interface Failure {
  error: Error;
  retryable: boolean;
  throttled: boolean;
}

export interface AwsJsonClientOptions {
  budget: ClientBudget;
  /** Read on every call (default `process.env`): credentials, region and endpoint. */
  env?: Env;
  random?: () => number;
}

/** One AWS JSON service, called with signed `fetch` requests within a budget. */
export class AwsJsonClient {
  constructor(
    private readonly service: AwsJsonService,
    private readonly options: AwsJsonClientOptions,
  ) {}

  /** Calls `operation` with `input`; resolves with the parsed answer, or rejects with an AwsServiceError (or the last network error). */
  async call<T>(operation: string, input: unknown): Promise<T> {
    const env = this.options.env ?? process.env;
    const url = new URL(awsEndpoint(this.service, env));
    const credentials = credentialsOf(env);
    const region = awsRegion(env);
    const body = JSON.stringify(input);
    const { maxAttempts, requestTimeoutMs } = this.options.budget;
    for (let attempt = 1; ; attempt++) {
      const outcome = await this.attempt<T>(credentials, region, url, operation, body, requestTimeoutMs);
      if (!('error' in outcome)) return outcome.value;
      if (!outcome.retryable || attempt >= maxAttempts) throw outcome.error;
      await new Promise((resolve) => setTimeout(resolve, backoffMillis(attempt, outcome.throttled, this.options.random)));
    }
  }

  private async attempt<T>(credentials: AwsCredentials, region: string, url: URL, operation: string, body: string, timeoutMs: number): Promise<{ value: T } | Failure> {
    let status: number;
    let text: string;
    let errorHeader: string | null;
    // the timeout covers connecting, sending and reading the whole answer
    const signal = AbortSignal.timeout(timeoutMs);
    try {
      // signed on every attempt: the signature carries the time
      const headers = signedHeaders(
        { method: 'POST', url, headers: { 'content-type': `application/x-amz-json-${this.service.jsonVersion}`, 'x-amz-target': `${this.service.targetPrefix}.${operation}` }, body },
        credentials,
        { service: this.service.signingName, region },
      );
      const response = await fetch(url, { method: 'POST', headers, body, signal });
      status = response.status;
      errorHeader = response.headers.get('x-amzn-errortype');
      text = await response.text();
    } catch (cause) {
      // a refused or reset connection, or no whole answer within the timeout: retried, as the SDK does
      const timedOut = signal.aborted;
      const error = new Error(timedOut ? `${operation}: no answer within ${timeoutMs} ms` : `${operation}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
      error.name = timedOut ? 'TimeoutError' : 'NetworkingError';
      return { error, retryable: true, throttled: false };
    }
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : {};
    } catch {
      parsed = undefined;
    }
    if (status >= 200 && status < 300) {
      if (parsed === undefined || typeof parsed !== 'object' || parsed === null) {
        return { error: new AwsServiceError('InvalidResponse', `the answer (HTTP ${status}) is not a JSON object`, status, operation), retryable: false, throttled: false };
      }
      return { value: parsed as T };
    }
    const fields = typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : {};
    const type = errorTypeOf(errorHeader, fields);
    const message = typeof fields.message === 'string' ? fields.message : typeof fields.Message === 'string' ? fields.Message : `HTTP ${status}`;
    const throttled = throttlingTypes.has(type) || status === 429;
    return { error: new AwsServiceError(type, message, status, operation), throttled, retryable: throttled || transientTypes.has(type) || status >= 500 };
  }
}

function credentialsOf(env: Env): AwsCredentials {
  const accessKeyId = env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = env.AWS_SECRET_ACCESS_KEY;
  if (!accessKeyId || !secretAccessKey) throw new AwsConfigurationError('AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set.');
  return { accessKeyId, secretAccessKey, sessionToken: env.AWS_SESSION_TOKEN || undefined };
}
