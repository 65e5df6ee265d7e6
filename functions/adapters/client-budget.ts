/**
 * How long an AWS SDK call may take before it is given up, per kind of function. The SDK's own
 * defaults wait forever on a stalled connection; a webhook must answer its platform within seconds
 * (Meta wants 200 within 5 s, Telegram retries slow answers), so its clients give up early and the
 * webhook answers 503 in time for the platform to retry.
 */
export interface ClientBudget {
  /** Milliseconds to open a TCP connection. */
  connectionTimeoutMs: number;
  /** Milliseconds a request may take, answer included (also the socket's idle limit). */
  requestTimeoutMs: number;
  /** Attempts per call, the first included (the SDK backs off between them). */
  maxAttempts: number;
}

/** Webhooks: two attempts of at most ~1 s each stay inside the 2.5 s answer deadline. */
export const webhookBudget: ClientBudget = { connectionTimeoutMs: 300, requestTimeoutMs: 1_000, maxAttempts: 2 };

/** Queue consumers, socket actions and the admin API: a stalled call fails and is retried instead of hanging to the function's timeout. */
export const workerBudget: ClientBudget = { connectionTimeoutMs: 1_000, requestTimeoutMs: 5_000, maxAttempts: 3 };

/** The client configuration of a budget (the SDK builds its NodeHttpHandler from `requestHandler`). */
export function clientConfig(budget: ClientBudget): {
  maxAttempts: number;
  requestHandler: { connectionTimeout: number; requestTimeout: number; throwOnRequestTimeout: boolean; socketTimeout: number };
} {
  return {
    maxAttempts: budget.maxAttempts,
    requestHandler: {
      connectionTimeout: budget.connectionTimeoutMs,
      // Newer SDKs only warn on a late answer unless told to throw; older ones treat requestTimeout as the idle limit.
      requestTimeout: budget.requestTimeoutMs,
      throwOnRequestTimeout: true,
      socketTimeout: budget.requestTimeoutMs,
    },
  };
}
