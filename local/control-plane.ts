import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AwsServiceError, parseJsonBody, readBody, sendAwsJsonError, sendJson, sendRestJsonError } from './aws-wire';
import { EventBusEmulator } from './event-bus';
import { SecretsManagerEmulator } from './secrets-manager';

export interface ControlPlaneOptions {
  region: string;
  /** Directory for secrets.json; memory only when absent. */
  dataDir?: string;
  log(line: string): void;
}

export interface ControlPlane {
  /** One endpoint for Secrets Manager and EventBridge (AWS_ENDPOINT_URL_<SERVICE>). */
  endpoint: string;
  events: EventBusEmulator;
  stop(): Promise<void>;
}

/**
 * Secrets Manager (JSON 1.1) and EventBridge PutEvents (JSON 1.1) on one loopback HTTP server,
 * speaking the wire protocols of the AWS SDK clients.
 */
export async function startControlPlane(options: ControlPlaneOptions): Promise<ControlPlane> {
  const secrets = new SecretsManagerEmulator(options.dataDir && `${options.dataDir}/secrets.json`, options.region);
  const events = new EventBusEmulator();
  const server = createServer((req, res) => {
    void (async () => {
      const target = req.headers['x-amz-target'];
      const jsonRpc = typeof target === 'string' ? /^(secretsmanager|AWSEvents)\.(\w+)$/.exec(target) : null;
      try {
        const input = parseJsonBody(await readBody(req, 10 * 1024 * 1024));
        if (!jsonRpc) throw new AwsServiceError(404, 'UnknownOperationException', `No emulated AWS operation at ${req.method} ${req.url}`);
        const [, service, operation = ''] = jsonRpc;
        const output = service === 'secretsmanager' ? secrets.handle(operation, input) : events.handle(operation, input);
        sendJson(res, 200, output, 'application/x-amz-json-1.1');
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
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    events,
    async stop() {
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
