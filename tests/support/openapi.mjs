// Validates API response bodies against the OpenAPI 3.1 document in src/routes/openapi.json (the one
// the Worker serves at /api/v1/openapi.json). JSON Schema 2020-12, as OpenAPI 3.1 uses.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import Ajv2020 from 'ajv/dist/2020.js';

import { ROOT } from './shop.mjs';

const ID = 'https://vestify.test/openapi.json';

export const openapi = JSON.parse(readFileSync(join(ROOT, 'src', 'routes', 'openapi.json'), 'utf8'));

const ajv = new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true });
// OpenAPI's own keywords around the schemas; the schemas themselves stay strict.
ajv.addVocabulary(['openapi', 'info', 'servers', 'paths', 'components']);
// The string formats the document uses; strict mode refuses an unknown one, so a new format must be
// added here rather than silently ignored.
ajv.addFormat('date-time', /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i);
ajv.addSchema({ ...openapi, $id: ID });

/** Asserts that `body` is valid for `#/components/schemas/{name}`, listing every violation. */
export function assertSchema(name, body) {
  const validate = ajv.getSchema(`${ID}#/components/schemas/${name}`);
  assert.ok(validate, `no schema named ${name} in openapi.json`);
  const ok = validate(body);
  assert.ok(ok, `body does not match ${name}: ${ajv.errorsText(validate.errors, { separator: '\n' })}\n${JSON.stringify(body).slice(0, 500)}`);
}

/** The schema name of the JSON body an operation answers with for `status` (resolving response $refs). */
export function responseSchema(path, status) {
  const op = openapi.paths[path]?.get;
  assert.ok(op, `openapi.json has no GET ${path}`);
  let response = op.responses[String(status)];
  assert.ok(response, `openapi.json documents no ${status} for GET ${path}`);
  if (response.$ref) response = openapi.components.responses[response.$ref.split('/').pop()];
  const ref = response.content?.['application/json']?.schema?.$ref;
  return ref ? ref.split('/').pop() : null;
}
