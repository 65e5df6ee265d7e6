import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AwsServiceError, parseJsonBody, readBody, sendAwsJsonError, sendJson, sendRestJsonError } from './aws-wire';
import { EventBusEmulator } from './event-bus';
import { SchedulerEmulator, type SchedulerOptions } from './scheduler';
import { SecretsManagerEmulator } from './secrets-manager';

export interface ControlPlaneOptions {
  region: string;
  /** Directory for secrets.json and schedules.json; memory only when absent. */
  dataDir?: string;
  scheduler: Omit<SchedulerOptions, 'file' | 'region'>;
  log(line: string): void;
}

export interface ControlPlane {
  /** One endpoint for Secrets Manager, EventBridge and Scheduler (AWS_ENDPOINT_URL_<SERVICE>). */
  endpoint: string;
  events: EventBusEmulator;
  scheduler: SchedulerEmulator;
  stop(): Promise<void>;
}

/**
 * Secrets Manager (JSON 1.1), EventBridge PutEvents (JSON 1.1) and EventBridge Scheduler (REST-JSON)
 * on one loopback HTTP server, speaking the wire protocols of the AWS SDK clients.
 */
export async function startControlPlane(options: ControlPlaneOptions): Promise<ControlPlane> {
  const secrets = new SecretsManagerEmulator(options.dataDir && `${options.dataDir}/secrets.json`, options.region);
  const events = new EventBusEmulator();
  const scheduler = new SchedulerEmulator({
    ...options.scheduler,
    file: options.dataDir && `${options.dataDir}/schedules.json`,
    region: options.region,
  });
  const server = createServer((req, res) => {
    void (async () => {
      const target = req.headers['x-amz-target'];
      const jsonRpc = typeof target === 'string' ? /^(secretsmanager|AWSEvents)\.(\w+)$/.exec(target) : null;
      try {
        const input = parseJsonBody(await readBody(req, 10 * 1024 * 1024));
        if (jsonRpc) {
          const [, service, operation = ''] = jsonRpc;
          const output = service === 'secretsmanager' ? secrets.handle(operation, input) : events.handle(operation, input);
          sendJson(res, 200, output, 'application/x-amz-json-1.1');
          return;
        }
        const url = new URL(req.url ?? '/', 'http://control-plane');
        const answer = scheduler.handle(req.method ?? 'GET', url, input);
        if (!answer) throw new AwsServiceError(404, 'UnknownOperationException', `No emulated AWS operation at ${req.method} ${url.pathname}`);
        sendJson(res, answer.status, answer.body);
      } catch (error) {
        const failure =
          error instanceof AwsServiceError ? error : new AwsServiceError(500, 'InternalFailure', error instanceof Error ? error.message : String(error));
        if (failure.status >= 500) options.log(`Emulated AWS call failed: ${String(error)}`);
        if (jsonRpc) sendAwsJsonError(res, failure);
        else sendRestJsonError(res, failure);
      }
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  scheduler.start();
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    events,
    scheduler,
    async stop() {
      await scheduler.stop();
      await closeServer(server);
    },
  };
}

export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
