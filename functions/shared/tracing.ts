import type middy from '@middy/core';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import { instrumentWith } from './instrument';

/**
 * X-Ray subsegments around every AWS SDK call of this function, and the invocation's own
 * segment annotations. Only the functions on a customer message's path load this (router,
 * socket actions, sender): the X-Ray SDK it brings is about 96 KB of bundle and its load time,
 * paid where a trace across DynamoDB, SQS and the platforms explains a slow message; the admin
 * API, the timer and the connection handlers keep Lambda's own segment without it. Tracing is on
 * only inside Lambda with active tracing; elsewhere (the local runtime, tests) it does nothing.
 */
const tracer = new Tracer({ serviceName: 'omnichat' });

instrumentWith({ clients: (client) => tracer.captureAWSv3Client(client) });

/** The invocation as an X-Ray segment (cold start, errors, the response not recorded: it may hold customer text). */
export function traceInvocation(): middy.MiddlewareObj {
  return captureLambdaHandler(tracer, { captureResponse: false });
}
