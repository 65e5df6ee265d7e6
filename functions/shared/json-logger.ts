import { AsyncLocalStorage } from 'node:async_hooks';
import type { Context } from 'aws-lambda';

/**
 * A structured JSON logger writing the lines Powertools' Logger writes (`level`, `message`,
 * `timestamp`, `service`, the Lambda context's `cold_start`, `function_arn`,
 * `function_memory_size`, `function_name`, `function_request_id`, `sampling_rate`,
 * `xray_trace_id`, then the line's own attributes), at the level Powertools would choose
 * (`AWS_LAMBDA_LOG_LEVEL`, else `POWERTOOLS_LOG_LEVEL`, else `LOG_LEVEL`, else INFO; `SILENT`
 * writes nothing). The webhooks log with it: Powertools' Logger and its helpers were ~23 KB of
 * each webhook bundle. The Lambda context is kept per invocation (`withLambdaContext`), so
 * invocations running concurrently in one process each log their own.
 */

const thresholds = { TRACE: 6, DEBUG: 8, INFO: 12, WARN: 16, ERROR: 20, CRITICAL: 24, SILENT: 28 } as const;
type LevelName = keyof typeof thresholds;
type Attributes = Record<string, unknown>;

function levelOf(value: string | undefined): number | undefined {
  const name = value?.toUpperCase();
  return name && name in thresholds ? thresholds[name as LevelName] : undefined;
}

/** `Root=1-…;Parent=…;Sampled=1` → `1-…`, as Powertools reports it. */
function traceId(): string | undefined {
  const header = process.env._X_AMZN_TRACE_ID;
  return header ? /(?:^|;)Root=([^;]+)/.exec(header)?.[1] ?? header : undefined;
}

/** Errors as names and messages, never stacks (what the webhooks log). */
function replacer(_key: string, value: unknown): unknown {
  if (value instanceof Error) return { name: value.name, message: value.message };
  if (typeof value === 'bigint') return value.toString();
  return value;
}

export class JsonLogger {
  private readonly invocation = new AsyncLocalStorage<{ context: Context; coldStart: boolean; sampled: boolean }>();
  private coldStart = true;
  private readonly threshold: number;
  private readonly sampleRate: number;

  constructor(
    private readonly serviceName: string,
    env: Record<string, string | undefined> = process.env,
    private readonly write: (line: string, toStderr: boolean) => void = (line, toStderr) => void (toStderr ? process.stderr : process.stdout).write(line),
  ) {
    this.threshold = levelOf(env.AWS_LAMBDA_LOG_LEVEL) ?? levelOf(env.POWERTOOLS_LOG_LEVEL || env.LOG_LEVEL) ?? thresholds.INFO;
    const rate = Number(env.POWERTOOLS_LOGGER_SAMPLE_RATE ?? 0);
    this.sampleRate = Number.isFinite(rate) && rate > 0 ? Math.min(rate, 1) : 0;
  }

  debug(message: string, attributes?: Attributes): void {
    this.log('DEBUG', message, attributes);
  }

  info(message: string, attributes?: Attributes): void {
    this.log('INFO', message, attributes);
  }

  warn(message: string, attributes?: Attributes): void {
    this.log('WARN', message, attributes);
  }

  error(message: string, attributes?: Attributes): void {
    this.log('ERROR', message, attributes);
  }

  /** The handler, run with its invocation's Lambda context in every line it logs. */
  withLambdaContext<E, R>(handler: (event: E, context: Context) => Promise<R>): (event: E, context: Context) => Promise<R> {
    return (event, context) => {
      const coldStart = this.coldStart;
      this.coldStart = false;
      // like Powertools: this share of invocations logs at DEBUG
      const sampled = this.sampleRate > 0 && Math.random() < this.sampleRate;
      return this.invocation.run({ context, coldStart, sampled }, () => handler(event, context));
    };
  }

  private log(level: Exclude<LevelName, 'SILENT'>, message: string, attributes: Attributes = {}): void {
    const current = this.invocation.getStore();
    if (thresholds[level] < (current?.sampled ? Math.min(this.threshold, thresholds.DEBUG) : this.threshold)) return;
    const context = current?.context;
    const line = {
      level,
      message,
      timestamp: new Date().toISOString(),
      service: this.serviceName,
      cold_start: current?.coldStart,
      function_arn: context?.invokedFunctionArn,
      function_memory_size: context?.memoryLimitInMB === undefined ? undefined : Number(context.memoryLimitInMB),
      function_name: context?.functionName,
      function_request_id: context?.awsRequestId,
      sampling_rate: this.sampleRate,
      xray_trace_id: traceId(),
      ...attributes,
    };
    this.write(`${JSON.stringify(line, replacer)}\n`, thresholds[level] >= thresholds.WARN);
  }
}
