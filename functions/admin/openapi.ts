import * as z from 'zod';
import { errorBody, type AdminRoute } from './route-table';

const errorDescriptions: Record<number, string> = {
  400: 'The request is not valid: one detail per bad field.',
  401: 'No valid token.',
  403: 'The token lacks the chat-admins group.',
  404: 'Something named in the request does not exist.',
  409: 'The change conflicts with the current state.',
  502: 'The messaging platform did not answer; try again.',
};

function jsonSchema(schema: z.core.$ZodType, io: 'input' | 'output'): Record<string, unknown> {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' });
  return rest;
}

function parameters(schema: z.ZodObject | undefined, where: 'path' | 'query') {
  return Object.entries(schema?.shape ?? {}).map(([name, field]) => {
    const described = jsonSchema(field, 'input');
    return {
      name,
      in: where,
      required: where === 'path' || !z.safeParse(field, undefined).success,
      ...(typeof described.description === 'string' ? { description: described.description } : {}),
      schema: described,
    };
  });
}

function operationId(route: AdminRoute): string {
  const words = route.path
    .split('/')
    .filter((s) => s && s !== 'api')
    .map((s) => s.replace(/[{}]/g, '').replace(/-(\w)/g, (_m, c: string) => c.toUpperCase()));
  return [route.method.toLowerCase(), ...words.map((w) => w.charAt(0).toUpperCase() + w.slice(1))].join('');
}

/** The OpenAPI 3.1 document of the management API, built from the same route table and zod schemas that serve it. */
export function openApiDocument(routes: readonly AdminRoute[]): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const errors = [...new Set([400, 401, 403, ...route.errors])].sort();
    const success =
      route.status === 204
        ? { description: 'Done; no content.' }
        : { description: 'Success.', content: { 'application/json': { schema: route.response ? jsonSchema(route.response, 'output') : {} } } };
    const operation = {
      operationId: operationId(route),
      tags: [route.tag],
      summary: route.summary,
      parameters: [...parameters(route.params, 'path'), ...parameters(route.query, 'query')],
      ...(route.body ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(route.body, 'input') } } } } : {}),
      responses: {
        [String(route.status)]: success,
        ...Object.fromEntries(
          errors.map((status) => [
            String(status),
            { description: errorDescriptions[status] ?? 'Error.', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
          ]),
        ),
      },
    };
    paths[route.path] = { ...paths[route.path], [route.method.toLowerCase()]: operation };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Omnichat management API',
      version: '1.0.0',
      description: 'Channels, queues, agents, settings, chat actions, quick replies, contacts and chats. Every call needs a bearer token of the chat-admins group.',
    },
    servers: [{ url: '/' }],
    security: [{ bearer: [] }],
    tags: [...new Set(routes.map((r) => r.tag))].map((name) => ({ name })),
    paths,
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
      schemas: { Error: jsonSchema(errorBody, 'output') },
    },
  };
}

/** The document as committed in docs/openapi.json (`npm run openapi`): two-space JSON and a final newline. */
export function openApiJson(routes: readonly AdminRoute[]): string {
  return `${JSON.stringify(openApiDocument(routes), null, 2)}\n`;
}
