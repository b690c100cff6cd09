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

// --- the document as the contract: every answer of every operation checked against it -------------

const METHODS = ['get', 'head', 'post', 'put', 'patch', 'delete'];
/** Every documented operation, as "METHOD /path/{template}". */
export const operations = Object.entries(openapi.paths).flatMap(([path, ops]) =>
  METHODS.filter((m) => ops[m]).map((m) => `${m.toUpperCase()} ${path}`));
/** The operations a test file's answers were checked for (see `assertDocumented`). */
export const exercised = new Set();

const templates = Object.keys(openapi.paths).map((template) => ({
  template,
  pattern: new RegExp(`^${template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]+')}$`),
}));
const pointer = (...parts) => parts.map((p) => encodeURIComponent(String(p).replace(/~/g, '~0').replace(/\//g, '~1'))).join('/');

/** The documented path template a concrete path (without its query) matches, or undefined. */
export function templateOf(path) {
  const bare = path.split('?')[0];
  // A literal segment wins over a parameter (`/regions/provinces` before `/products/{slug}`).
  const matches = templates.filter((t) => t.pattern.test(bare));
  return matches.sort((a, b) => (a.template.match(/\{/g) ?? []).length - (b.template.match(/\{/g) ?? []).length)[0]?.template;
}

/**
 * Asserts that an answer is what the document says `method path` answers: the operation exists,
 * the status is documented for it, and a JSON body matches that status's schema (a status
 * documented without content has an empty body). Records the operation as exercised.
 */
export function assertDocumented(method, path, res) {
  const template = templateOf(path);
  assert.ok(template, `${method} ${path}: no such path in openapi.json`);
  const m = method.toLowerCase();
  const op = openapi.paths[template][m];
  assert.ok(op, `${method} ${template} is not documented`);
  let response = op.responses[String(res.status)];
  assert.ok(response, `${method} ${template} answered ${res.status}, which openapi.json does not document (${Object.keys(op.responses).join(', ')}): ${String(res.text).slice(0, 200)}`);
  let at = `#/${pointer('paths', template, m, 'responses', res.status)}`;
  if (response.$ref) {
    at = response.$ref;
    response = openapi.components.responses[response.$ref.split('/').pop()];
  }
  const schema = response.content?.['application/json']?.schema;
  if (schema) {
    assert.match(res.headers.get('content-type') ?? '', /^application\/json/, `${method} ${path} ${res.status}`);
    const validate = ajv.getSchema(`${ID}${at}/${pointer('content', 'application/json', 'schema')}`);
    assert.ok(validate, `no schema at ${at}`);
    const body = JSON.parse(res.text);
    assert.ok(validate(body), `${method} ${path} ${res.status} does not match its schema: ${ajv.errorsText(validate.errors, { separator: '\n' })}\n${res.text.slice(0, 400)}`);
  } else if (m !== 'head') {
    assert.equal(res.text, '', `${method} ${path} ${res.status} is documented without content`);
  }
  exercised.add(`${method.toUpperCase()} ${template}`);
}
