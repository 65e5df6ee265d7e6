import type { MiddlewareObj } from '@middy/core';
import type { Context } from 'aws-lambda';
import { OmnichatError, TemporarilyUnavailable } from '../domain/errors';

/** Webhooks answer within this many milliseconds (3 s promised, with room for API Gateway and a cold start's log line). */
export const webhookDeadlineMillis = 2_500;

/**
 * Answers within `millis` of the request's start, whatever the dependencies do: middy races the
 * handler against `context.getRemainingTimeInMillis()` (its `timeoutEarly`), and this middleware
 * caps that remaining time at the deadline. Past it, and for any failure that is not one of our
 * typed answers (a throttled, failing or timed-out AWS call), the answer is 503 so the platform
 * retries the delivery; what the late handler still does later is harmless because every delivery
 * is deduplicated by its platform id. Use before `httpErrors()`, which turns the error into the answer.
 */
export function answerWithin<E, R>(millis: number): MiddlewareObj<E, R, Error, Context> {
  const uncapped = new WeakMap<Context, { clock: Context['getRemainingTimeInMillis'] | undefined }>();
  // The cap applies to this request only: a context object used again (a caller's, or a test's) gets its own clock back.
  const restore = (context: Context) => {
    const saved = uncapped.get(context);
    if (!saved) return;
    uncapped.delete(context);
    if (saved.clock) context.getRemainingTimeInMillis = saved.clock;
    else Reflect.deleteProperty(context, 'getRemainingTimeInMillis');
  };
  return {
    before: (request) => {
      const deadline = Date.now() + millis;
      const context = request.context;
      const original = context.getRemainingTimeInMillis;
      uncapped.set(context, { clock: typeof original === 'function' ? original : undefined });
      const lambdaRemaining = typeof original === 'function' ? original.bind(context) : () => millis;
      context.getRemainingTimeInMillis = () => Math.max(0, Math.min(lambdaRemaining(), deadline - Date.now()));
    },
    after: (request) => restore(request.context),
    onError: (request) => {
      restore(request.context);
      const error = request.error;
      if (error instanceof OmnichatError) return;
      const late = error?.name === 'TimeoutError' && (error.cause as { package?: string } | undefined)?.package === '@middy/core';
      request.error = late
        ? new TemporarilyUnavailable(`No answer within ${millis} ms; try again.`, error)
        : new TemporarilyUnavailable('A dependency failed; try again.', error ?? undefined);
    },
  };
}
