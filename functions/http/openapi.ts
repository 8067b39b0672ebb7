/**
 * The management API's OpenAPI 3.1 document, generated from the route table and the very zod
 * schemas that validate requests.
 */
import * as z from 'zod';
import { type PathParameter, pathParameters } from '../domain/schemas.js';
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

const jsonSchema = (schema: z.ZodType) => z.toJSONSchema(schema, { target: 'draft-2020-12', io: 'input', unrepresentable: 'any' });

function operation(route: Route) {
  const parameters: object[] = [...route.path.matchAll(/\{([^{}]+)\}/g)].map((match) => {
    const name = match[1] as PathParameter;
    const { $schema: _ignored, ...schema } = jsonSchema(pathParameters[name]) as Record<string, unknown>;
    return { name, in: 'path', required: true, schema };
  });
  if (route.query) {
    const schema = jsonSchema(route.query) as { properties?: Record<string, object>; required?: string[] };
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
    ...(route.body ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(route.body) } } } } : {}),
    responses: {
      [status]: status === '204' ? { description: 'Done' } : { description: 'Success', content: { 'application/json': { schema: {} } } },
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
      schemas: { Error: errorSchema },
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
