import SwaggerParser from '@apidevtools/swagger-parser';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { adminRoutes } from '../../functions/admin/app';
import { openApiJson } from '../../functions/admin/openapi';

const committedPath = join(__dirname, '..', '..', 'docs', 'openapi.json');

describe('docs/openapi.json', () => {
  it('is exactly the document the code generates', () => {
    // given the committed document and the one the route table builds
    const committed = readFileSync(committedPath, 'utf8');
    const generated = openApiJson(adminRoutes);

    // then they are the same, or the contract in docs/ is stale
    if (committed !== generated) {
      throw new Error('docs/openapi.json differs from what the code generates: run `npm run openapi` and commit the result.');
    }
  });

  it('is a valid OpenAPI 3.1 document naming every route of the management API', async () => {
    // given the committed document
    const document = JSON.parse(readFileSync(committedPath, 'utf8')) as { paths: Record<string, Record<string, unknown>> };

    // when it is validated
    await SwaggerParser.validate(structuredClone(document) as never);

    // then every route of the table is in it
    for (const route of adminRoutes) expect(document.paths[route.path]?.[route.method.toLowerCase()]).toBeDefined();
  });
});
