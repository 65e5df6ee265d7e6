/**
 * `npm run openapi`: writes the management API's OpenAPI 3.1 document to docs/openapi.json, built
 * from the same route table and zod schemas that serve `GET /api/openapi.json`.
 * `npm run openapi -- --check` writes nothing and exits 1 if the file differs from the code.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { adminRoutes } from '../functions/admin/app';
import { openApiJson } from '../functions/admin/openapi';

const target = fileURLToPath(new URL('../docs/openapi.json', import.meta.url));
const { values } = parseArgs({ options: { check: { type: 'boolean', default: false } } });
const wanted = openApiJson(adminRoutes);

if (values.check) {
  const current = await readFile(target, 'utf8').catch(() => '');
  if (current !== wanted) {
    console.error('docs/openapi.json differs from the code: run `npm run openapi`.');
    process.exit(1);
  }
  console.log('docs/openapi.json matches the code.');
} else {
  await writeFile(target, wanted);
  console.log(`wrote ${target}`);
}
