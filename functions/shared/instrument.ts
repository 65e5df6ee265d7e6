import type { ProductMetrics } from '../domain/ports';

type ClientWrapper = <T>(client: T) => T;

let wrapClient: ClientWrapper = (client) => client;
let recorder: ProductMetrics = { count: () => undefined, duration: () => undefined };

/**
 * How this function observes itself. The chat-driving functions register Powertools Metrics
 * (`shared/observability.ts`) when they load; the webhooks do not, which keeps the metrics library
 * out of their bundles and their cold starts. No function wraps its clients for X-Ray: Lambda's
 * active tracing records each invocation, and X-Ray's SDK (~124 KB of bundle, ~35–70 ms of CPU per
 * cold start) is left out. Until something registers, clients are used as built and figures are
 * not recorded.
 */
export function instrumentWith(instruments: { clients?: ClientWrapper; metrics?: ProductMetrics }): void {
  if (instruments.clients) wrapClient = instruments.clients;
  if (instruments.metrics) recorder = instruments.metrics;
}

/** An AWS SDK client, wrapped as this function observes its calls. */
export function instrumented<T>(client: T): T {
  return wrapClient(client);
}

/** Where this function records its business figures. */
export const recordedMetrics: ProductMetrics = {
  count: (name, value) => recorder.count(name, value),
  duration: (name, millis) => recorder.duration(name, millis),
};
