import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { InvokeStore, InvokeStoreBase } from '@aws/lambda-invoke-store';
import type { Context } from 'aws-lambda';
import type { HandlerId } from '../functions/shared/routes';
import { HandlerTimedOut, HandlerUnavailable } from './errors';

/**
 * The per-invocation context store of the Lambda runtime, in its concurrent form (AsyncLocalStorage),
 * created before anything else asks for it (the AWS SDK does, lazily) so every caller shares it.
 */
const invokeStore = await InvokeStore.getInstanceAsync(true);

export type LambdaHandler = (event: unknown, context: Context) => unknown;
/** Resolves a handler id to its `handler` export; cached by the invoker (one cold start per id). */
export type HandlerLoader = (id: HandlerId) => Promise<LambdaHandler>;

/** Loads `<dir>/<id>.ts` with a dynamic import, as the Lambda runtime loads the bundled module. */
export function handlersFromDirectory(dir: string): HandlerLoader {
  return async (id) => {
    const file = join(dir, `${id}.ts`);
    let loaded: unknown;
    try {
      loaded = await import(pathToFileURL(file).href);
    } catch (cause) {
      throw new HandlerUnavailable(`Cannot load handler ${id} from ${file}`, { cause });
    }
    const handler = typeof loaded === 'object' && loaded !== null ? Reflect.get(loaded, 'handler') : undefined;
    if (typeof handler !== 'function') throw new HandlerUnavailable(`${file} does not export a function named handler`);
    return (event, context) => Reflect.apply(handler, undefined, [event, context]);
  };
}

export interface Invoker {
  invoke(id: HandlerId, event: unknown, timeoutMs?: number): Promise<unknown>;
}

/** Calls handlers with a Lambda-shaped context and the function's timeout, loading each module once. */
export function createInvoker(load: HandlerLoader): Invoker {
  const modules = new Map<HandlerId, Promise<LambdaHandler>>();
  return {
    async invoke(id, event, timeoutMs = 30_000) {
      let pending = modules.get(id);
      if (!pending) {
        pending = load(id);
        modules.set(id, pending);
        // A module that failed to load is retried on the next event (it may be written meanwhile).
        pending.catch(() => modules.delete(id));
      }
      const handler = await pending;
      const deadline = Date.now() + timeoutMs;
      const context = lambdaContext(id, deadline);
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new HandlerTimedOut(`${id} timed out after ${timeoutMs} ms`)), timeoutMs);
      });
      // Invocations of every function run concurrently in this one process, as concurrent invocations
      // of a Lambda managed instance do: each in its own InvokeStore context, so Powertools keeps the
      // Lambda context (function_name, request id) per invocation instead of one shared logger's last.
      const invocation = { [InvokeStoreBase.PROTECTED_KEYS.REQUEST_ID]: context.awsRequestId };
      try {
        return await Promise.race([invokeStore.run(invocation, () => Promise.resolve().then(() => handler(event, context))), timeout]);
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

function lambdaContext(id: HandlerId, deadline: number): Context {
  const functionName = `omnichat-local-${id.replace('/', '-')}`;
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${functionName}`,
    memoryLimitInMB: '1024',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
