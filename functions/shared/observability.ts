import type middy from '@middy/core';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { instrumentWith } from './instrument';

/**
 * Business metrics of this function (namespace from POWERTOOLS_METRICS_NAMESPACE, set by the
 * stack), written as CloudWatch embedded metric format log lines when an invocation ends.
 */
export const metrics = new Metrics({ serviceName: 'omnichat' });

// Importing this module is what makes a function traced and measured (see shared/instrument.ts).
instrumentWith({
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
