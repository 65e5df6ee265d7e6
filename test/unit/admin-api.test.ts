import SwaggerParser from '@apidevtools/swagger-parser';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { DynamoAdminStore } from '../../functions/adapters/dynamodb/admin-store';
import { DynamoChatStore } from '../../functions/adapters/dynamodb/chats';
import { DynamoDirectory } from '../../functions/adapters/dynamodb/directory';
import { Table } from '../../functions/adapters/dynamodb/table';
import { GraphApi } from '../../functions/adapters/graph-api';
import { Secrets } from '../../functions/adapters/secrets';
import { TelegramApi } from '../../functions/adapters/telegram-api';
import { adminHandler, adminRoutes } from '../../functions/admin/app';
import type { AdminDeps } from '../../functions/admin/route-table';
import { type AdminStore, type ChatStore, type Directory } from '../../functions/domain/ports';

const dynamo = mockClient(DynamoDBDocumentClient);
const secretsManager = mockClient(SecretsManagerClient);
const unreachable: typeof fetch = async () => {
  throw new Error('no platform calls in unit tests');
};

function deps(): AdminDeps {
  const table = new Table(DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' })), 'omnichat');
  return {
    directory: new DynamoDirectory(table),
    admin: new DynamoAdminStore(table),
    chats: new DynamoChatStore(table),
    secrets: new Secrets(new SecretsManagerClient({ region: 'us-east-1' }), 'omnichat'),
    graph: new GraphApi({ baseUrl: 'http://127.0.0.1:9/v23.0', fetch: unreachable }),
    telegram: new TelegramApi({ baseUrl: 'http://127.0.0.1:9', fetch: unreachable }),
    membership: () => {
      throw new Error('membership is not used by these tests');
    },
    clock: () => new Date('2026-03-01T09:00:00.000Z'),
    newId: () => 'id-1',
    publicApiUrl: 'https://api.example.com',
    fileLinks: { presentAll: async (_channelId, messages) => messages },
  };
}

function request(method: string, path: string, options: { body?: unknown; groups?: string[] | null; query?: Record<string, string> } = {}): APIGatewayProxyEventV2 {
  const groups = options.groups === undefined ? ['chat-admins'] : options.groups;
  return {
    version: '2.0',
    routeKey: 'ANY /api/{proxy+}',
    rawPath: path,
    rawQueryString: '',
    headers: {},
    ...(options.query ? { queryStringParameters: options.query } : {}),
    requestContext: {
      accountId: '1',
      apiId: 'a',
      domainName: 'x',
      domainPrefix: 'x',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'test' },
      requestId: 'r',
      routeKey: 'ANY /api/{proxy+}',
      stage: '$default',
      time: '',
      timeEpoch: 0,
      ...(groups === null ? {} : { authorizer: { jwt: { claims: { sub: 'admin-1', 'cognito:groups': `[${groups.join(' ')}]` }, scopes: [] } } }),
    },
    ...(options.body !== undefined ? { body: typeof options.body === 'string' ? options.body : JSON.stringify(options.body) } : {}),
    isBase64Encoded: false,
  } as APIGatewayProxyEventV2;
}

async function call(event: APIGatewayProxyEventV2) {
  const handler = adminHandler(deps());
  const result = await handler(event, {} as never);
  return { status: result.statusCode, body: result.body ? JSON.parse(result.body) : undefined, raw: result.body ?? '' };
}

beforeEach(() => {
  dynamo.reset();
  secretsManager.reset();
});

describe('management API access', () => {
  it('answers 401 when the request carries no verified claims', async () => {
    // given a request the JWT authorizer did not annotate / when / then
    const res = await call(request('GET', '/api/settings', { groups: null }));
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('unauthorized');
  });

  it('answers 403 to an agent without the chat-admins group', async () => {
    const res = await call(request('GET', '/api/settings', { groups: ['agents'] }));
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('forbidden');
  });

  it('lets a chat admin read the settings, defaults filled in', async () => {
    // given no settings item
    dynamo.on(GetCommand).resolves({});
    // when
    const res = await call(request('GET', '/api/settings'));
    // then
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ simultaneousChats: 2, acceptTimeoutSeconds: 300 });
  });
});

describe('management API validation', () => {
  it('names every bad field of a body in one 400', async () => {
    const res = await call(request('POST', '/api/queues', { body: { name: '', routingRule: 'round-robin', completionTimeoutSeconds: 3 } }));
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('validation_failed');
    expect(res.body.error.details.map((d: { field: string }) => d.field).sort()).toEqual(['completionTimeoutSeconds', 'name', 'routingRule']);
  });

  it('refuses fields it does not know', async () => {
    const res = await call(request('PATCH', '/api/settings', { body: { simultaneousChats: 3, color: 'blue' } }));
    expect(res.status).toBe(400);
    expect(res.body.error.details).toEqual([expect.objectContaining({ field: '(body)' })]);
    expect(JSON.stringify(res.body.error.details)).toContain('color');
  });

  it('requires siteUrl to be https', async () => {
    const res = await call(request('PATCH', '/api/settings', { body: { siteUrl: 'http://chat.example.com' } }));
    expect(res.status).toBe(400);
    expect(res.body.error.details[0].field).toBe('siteUrl');
  });

  it('checks ids in paths', async () => {
    const res = await call(request('GET', '/api/queues/bad%20id'));
    expect(res.status).toBe(400);
    expect(res.body.error.details[0].field).toBe('queueId');
  });

  it('bounds list pages to 100 items', async () => {
    const res = await call(request('GET', '/api/queues', { query: { limit: '500' } }));
    expect(res.status).toBe(400);
    expect(res.body.error.details[0].field).toBe('limit');
  });

  it('refuses a nextToken it never gave out', async () => {
    const res = await call(request('GET', '/api/queues', { query: { nextToken: 'not-a-token' } }));
    expect(res.status).toBe(400);
    expect(res.body.error.details[0].field).toBe('nextToken');
  });

  it('refuses a body that is not JSON', async () => {
    const res = await call(request('POST', '/api/contacts', { body: '{"name":' }));
    expect(res.status).toBe(400);
    expect(res.body.error.details[0].field).toBe('(body)');
  });

  it('answers 404 for an unknown route and 405 for a known path with another method', async () => {
    expect((await call(request('GET', '/api/nothing-here'))).status).toBe(404);
    expect((await call(request('PUT', '/api/queues'))).status).toBe(405);
  });
});

describe('Meta app secrets', () => {
  it('stores the app secret in Secrets Manager only, and never answers it', async () => {
    // given
    const secret = 'app-secret-0123456789abcdef';
    dynamo.on(PutCommand).resolves({});
    dynamo.on(GetCommand).resolves({});
    secretsManager.on(CreateSecretCommand).resolves({});
    // when
    const res = await call(request('POST', '/api/messenger-apps', { body: { appId: '444555666777888', appSecret: secret } }));
    // then
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      appId: '444555666777888',
      verifyToken: expect.stringMatching(/^[A-Za-z0-9_-]{40,}$/),
      callbackUrl: 'https://api.example.com/webhooks/messenger/444555666777888',
      createdAt: '2026-03-01T09:00:00.000Z',
    });
    expect(res.raw).not.toContain(secret);
    const stored = secretsManager.commandCalls(CreateSecretCommand)[0]?.args[0].input;
    expect(stored).toEqual({ Name: 'omnichat/messenger-app/444555666777888', SecretString: secret });
    expect(JSON.stringify(dynamo.commandCalls(PutCommand).map((c) => c.args[0].input))).not.toContain(secret);
  });
});

describe('OpenAPI document', () => {
  it('is a valid OpenAPI 3.1 document describing every route', async () => {
    // given
    dynamo.on(GetCommand).resolves({});
    // when
    const res = await call(request('GET', '/api/openapi.json'));
    // then
    expect(res.status).toBe(200);
    expect(res.body.openapi).toBe('3.1.0');
    await expect(SwaggerParser.validate(structuredClone(res.body))).resolves.toBeDefined();
    for (const route of adminRoutes) expect(res.body.paths[route.path][route.method.toLowerCase()]).toBeDefined();
  });

  it('is checked by a validator that refuses a broken document', async () => {
    await expect(SwaggerParser.validate({ openapi: '3.1.0', info: { title: 'no version' }, paths: {} } as never)).rejects.toThrow();
  });

  it('describes the body fields of queue creation from the same schema that checks them', async () => {
    const res = await call(request('GET', '/api/openapi.json'));
    const schema = res.body.paths['/api/queues'].post.requestBody.content['application/json'].schema;
    expect(schema.additionalProperties).toBe(false);
    expect(schema.properties.routingRule.enum).toEqual(['all-agents', 'available-agent']);
    expect(schema.properties.completionTimeoutSeconds.anyOf).toEqual(expect.arrayContaining([expect.objectContaining({ minimum: 10 })]));
  });
});
