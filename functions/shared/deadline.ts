import type { MiddlewareObj } from '@middy/core';
import type { Context } from 'aws-lambda';
import { OmnichatError } from './errors';

/** Webhooks answer within this many milliseconds (3 s promised, with room for API Gateway and a cold start's log line). */
export const webhookDeadlineMillis = 2_500;

/** A dependency did not answer in time, or failed: the platform should retry. */
export class TemporarilyUnavailable extends OmnichatError {
  constructor(message: string, cause?: unknown) {
    super(message, { code: 'temporarily_unavailable', status: 503, cause });
  }
}

/**
 * Answers within `millis` of the request's start, whatever the dependencies do: middy races the
 * handler against `context.getRemainingTimeInMillis()` (its `timeoutEarly`), and this middleware
 * caps that remaining time at the deadline. Past it, and for any failure that is not one of our
 * typed answers (a throttled, failing or timed-out AWS call), the answer is 503 so the platform
 * retries the delivery; what the late handler still does later is harmless because every delivery
 * is deduplicated by its platform id. Use before `httpErrors()`, which turns the error into the answer.
 */
export function answerWithin<E, R>(millis: number): MiddlewareObj<E, R, Error, Context> {
  return {
    before: (request) => {
      const deadline = Date.now() + millis;
      const context = request.context;
      const lambdaRemaining = typeof context.getRemainingTimeInMillis === 'function' ? context.getRemainingTimeInMillis.bind(context) : () => millis;
      // Lambda's own context is rebuilt per invocation; the cap applies to this request only.
      context.getRemainingTimeInMillis = () => Math.max(0, Math.min(lambdaRemaining(), deadline - Date.now()));
    },
    onError: (request) => {
      const error = request.error;
      if (error instanceof OmnichatError) return;
      const late = error?.name === 'TimeoutError' && (error.cause as { package?: string } | undefined)?.package === '@middy/core';
      request.error = late
        ? new TemporarilyUnavailable(`No answer within ${millis} ms; try again.`, error)
        : new TemporarilyUnavailable('A dependency failed; try again.', error ?? undefined);
    },
  };
}
