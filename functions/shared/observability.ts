import type middy from '@middy/core';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { instrumentWith } from './instrument';

/**
 * Business metrics of this function (namespace from POWERTOOLS_METRICS_NAMESPACE, set by the
 * stack), written as CloudWatch embedded metric format log lines when an invocation ends.
 */
export const metrics = new Metrics({ serviceName: 'omnichat' });

/**
 * X-Ray subsegments around every AWS SDK call and outgoing HTTPS request of this function.
 * Tracing is on only inside Lambda with active tracing; elsewhere (the local runtime, tests)
 * the tracer does nothing.
 */
export const tracer = new Tracer({ serviceName: 'omnichat' });

// Importing this module is what makes a function traced and measured (see shared/instrument.ts).
instrumentWith({
  clients: (client) => tracer.captureAWSv3Client(client),
  metrics: {
    count: (name, value = 1) => metrics.addMetric(name, MetricUnit.Count, value),
    duration: (name, millis) => metrics.addMetric(name, MetricUnit.Milliseconds, Math.max(0, Math.round(millis))),
  },
});

/**
 * Publishes what the invocation recorded, also when it failed; an invocation that recorded
 * nothing writes nothing (Powertools' own middleware would warn on every one of them).
 */
export function publishMetrics(): middy.MiddlewareObj {
  const publish = async () => {
    if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
  };
  return { after: publish, onError: publish };
}
