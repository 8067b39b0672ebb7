/**
 * The management API's OpenAPI 3.1 document, generated from the route table and the very zod
 * schemas that validate requests.
 */
import * as z from 'zod';
import { type PathParameter, pathParameters } from '../domain/schemas.js';
import { acceptedResponses, registry, responses as managementResponses } from './responses.js';
import { peopleResponses } from './people-responses.js';
import { rolloutResponses } from './rollout-responses.js';
import { publicRoutes, type Route, routes } from './routes.js';

const errorSchema = {
  type: 'object',
  required: ['statusCode', 'error', 'message'],
  properties: {
    statusCode: { type: 'integer' },
    error: { type: 'string' },
    message: { type: 'string' },
    details: {},
  },
};

const ERRORS: Record<string, string> = {
  '400': 'Malformed request (bad JSON, bad cursor)',
  '401': 'Missing, unknown or revoked admin token, or a sign-in token that is not exactly right (issuer, audience, signature, expiry)',
  '403': 'The caller lacks the role this needs',
  '404': 'No such resource (or one in another organisation)',
  '409': 'Stale version or duplicate; details carry the current version',
  '413': 'Body larger than 256 KB, or more than an item, a comment list or a commit can hold (details say which limit)',
  '422': 'Invalid body or query; details name the fields',
  '503': "The identity provider's signing keys could not be fetched; try again",
};

/** Named schemas (responses, and the recursive parts requests share), referenced from operations. */
const components: Record<string, object> = {};

/**
 * The metadata of a schema: its component name from `registry`, over what `.describe()` and
 * `.meta()` put in zod's global registry (descriptions, and the JSON Schema of `ownRecord`).
 */
const metadata = Object.assign(Object.create(registry) as typeof registry, {
  get: (schema: z.ZodType) => {
    const global = z.globalRegistry.get(schema);
    const named = registry.get(schema);
    return global || named ? ({ ...global, ...named } as { id: string }) : undefined;
  },
});

/**
 * A schema for an operation, its named parts moved to `components.schemas` and referenced from
 * there (a `$ref` to a local `$defs` would resolve against the document root, where it is not).
 * Unnamed recursive parts get a name unique to the operation.
 */
function componentised(schema: z.ZodType, io: 'input' | 'output', owner: string): Record<string, unknown> {
  const { $defs, $schema: _, ...body } = z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any', metadata }) as {
    $defs?: Record<string, object>;
    $schema?: string;
  } & Record<string, unknown>;
  const nameOf = (name: string) => (name.startsWith('__schema') ? `${owner}${name.slice('__schema'.length)}` : name);
  const relink = <T>(value: T): T =>
    JSON.parse(JSON.stringify(value).replace(/"#\/\$defs\/([^"]+)"/g, (_, name: string) => JSON.stringify(`#/components/schemas/${nameOf(name)}`))) as T;
  for (const [name, definition] of Object.entries($defs ?? {})) components[nameOf(name)] ??= relink(definition);
  return relink(body);
}

const upperFirst = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

/** Every operation's response schema: the management API's, the rollouts' and the people's. */
const responses: Record<string, z.ZodType> = { ...managementResponses, ...rolloutResponses, ...peopleResponses };

/** A response body's schema; any JSON for operations without one in the response table. */
function responseSchema(operationId: string): object {
  const schema = responses[operationId];
  return schema ? componentised(schema, 'output', `${upperFirst(operationId)}Response`) : {};
}

function operation(route: Route) {
  const parameters: object[] = [...route.path.matchAll(/\{([^{}]+)\}/g)].map((match) => {
    const name = match[1] as PathParameter;
    return { name, in: 'path', required: true, schema: componentised(pathParameters[name], 'input', `${upperFirst(route.operation)}${upperFirst(name)}`) };
  });
  if (route.query) {
    const schema = componentised(route.query, 'input', `${upperFirst(route.operation)}Query`) as { properties?: Record<string, object>; required?: string[] };
    for (const [name, property] of Object.entries(schema.properties ?? {})) {
      parameters.push({ name, in: 'query', required: schema.required?.includes(name) ?? false, schema: property });
    }
  }
  const status = String(route.status ?? 200);
  return {
    operationId: route.operation,
    summary: route.summary,
    security: [{ adminToken: [] }],
    parameters,
    ...(route.body ? { requestBody: { required: true, content: { 'application/json': { schema: componentised(route.body, 'input', `${upperFirst(route.operation)}Body`) } } } } : {}),
    responses: {
      [status]: status === '204' ? { description: 'Done' } : { description: 'Success', content: { 'application/json': { schema: responseSchema(route.operation) } } },
      ...(acceptedResponses[route.operation]
        ? {
            '202': {
              description: 'Not written: the environment requires approvals, so a change request was opened (this is it)',
              content: { 'application/json': { schema: componentised(acceptedResponses[route.operation] as z.ZodType, 'output', `${upperFirst(route.operation)}Accepted`) } },
            },
          }
        : {}),
      ...Object.fromEntries(
        Object.entries(ERRORS).map(([code, description]) => [
          code,
          { description, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
        ]),
      ),
    },
  };
}

let cached: object | undefined;

export function openApiDocument(): object {
  if (cached) return cached;
  const paths: Record<string, Record<string, object>> = {};
  for (const route of routes) {
    if (route.function === 'admin-api') (paths[route.path] ??= {})[route.method.toLowerCase()] = operation(route);
  }
  for (const route of publicRoutes) {
    (paths[route.path] ??= {})[route.method.toLowerCase()] = {
      operationId: route.operation,
      summary: route.summary,
      security: [],
      responses: { '200': { description: 'Success', content: { 'application/json': { schema: {} } } } },
    };
  }
  cached = {
    openapi: '3.1.0',
    info: { title: 'Vexilla management API', version: '1.0.0' },
    servers: [{ url: '/' }],
    paths,
    components: {
      schemas: { Error: errorSchema, ...components },
      securitySchemes: {
        adminToken: {
          type: 'http',
          scheme: 'bearer',
          description: "An admin token (vxa_...), or a person's sign-in token from the identity provider (the ID token; see GET /admin/v1/auth/config)",
        },
      },
    },
  };
  return cached;
}
