/**
 * The sdk-api as it ships (lib/bundling.ts: split ESM, re2js, json-p3, semver and zod in chunks
 * loaded on demand), run the way Lambda runs it: a fresh Node process imports `index.mjs` and
 * calls `handler`, on DynamoDB Local (through the SDK's AWS_ENDPOINT_URL_DYNAMODB). REGEX, JSONPath
 * and SemVer segments decide flags, and an environment without them is served by a copy of the
 * bundle whose chunks of those libraries were deleted: neither a cold start nor its requests load them.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildFunctionBundle, filesLoadedAtInit } from '../../lib/bundling.js';
import { functionSettings } from '../../lib/functions.js';
import { testDynamoEndpoint } from '../support/dynamodb.js';
import { startTestApi, type TestApi } from '../support/test-api.js';
import { testEnvironment } from '../support/test-environment.js';

let api: TestApi;
let dir: string;
let shipped: string;
let withoutConditionChunks: string;
let conditionChunks: string[];
let loadedAtInit: string[];
/** The packages and modules a cold start's files hold code of. */
let inputsAtInit: string[];
let withConditions: Awaited<ReturnType<typeof testEnvironment>>;
let plain: Awaited<ReturnType<typeof testEnvironment>>;

beforeAll(async () => {
  api = await startTestApi();
  dir = mkdtempSync(join(tmpdir(), 'vexilla-sdk-api-bundle-'));
  shipped = join(dir, 'shipped');
  const metafile = await buildFunctionBundle(functionSettings['sdk-api'].entry, shipped, { sourceMaps: false });
  const fileName = (output: string) => output.slice(output.lastIndexOf('/') + 1);
  loadedAtInit = filesLoadedAtInit(metafile).map(fileName);
  inputsAtInit = filesLoadedAtInit(metafile).flatMap((output) => Object.entries(metafile.outputs[output]!.inputs).filter(([, input]) => input.bytesInOutput > 0).map(([path]) => path));
  conditionChunks = Object.entries(metafile.outputs)
    .filter(([, output]) => Object.keys(output.inputs).some((input) => /node_modules\/(re2js|json-p3|semver)\//.test(input)))
    .map(([output]) => fileName(output));
  withoutConditionChunks = join(dir, 'without-condition-chunks');
  cpSync(shipped, withoutConditionChunks, { recursive: true });
  for (const chunk of conditionChunks) rmSync(join(withoutConditionChunks, 'chunks', chunk));

  withConditions = await testEnvironment(api, 'Conditions');
  const { call, projectId, envId } = withConditions;
  await call('POST', `/admin/v1/projects/${projectId}/features`, { name: 'beta', initialValue: 'off' });
  const regex = await call('POST', `/admin/v1/projects/${projectId}/segments`, { name: 'staff', rules: [{ type: 'ALL', conditions: [{ operator: 'REGEX', property: 'email', value: '.*@acme\\.com$' }] }] });
  const jsonPath = await call('POST', `/admin/v1/projects/${projectId}/segments`, {
    name: 'vip',
    rules: [{ type: 'ALL', conditions: [{ operator: 'IS_SET', property: "$.identity[?match(@, 'vip-.*')]", value: null }] }],
  });
  const newApp = await call('POST', `/admin/v1/projects/${projectId}/segments`, { name: 'new app', rules: [{ type: 'ALL', conditions: [{ operator: 'GREATER_THAN_INCLUSIVE', property: 'version', value: '2.0.0:semver' }] }] });
  await call('PUT', `/admin/v1/environments/${envId}/feature-states/beta/segment-overrides/${newApp.id}`, { enabled: true, value: 'new app', priority: 3 });
  await call('PUT', `/admin/v1/environments/${envId}/feature-states/beta/segment-overrides/${regex.id}`, { enabled: true, value: 'staff', priority: 1 });
  await call('PUT', `/admin/v1/environments/${envId}/feature-states/beta/segment-overrides/${jsonPath.id}`, { enabled: true, value: 'vip', priority: 2 });

  plain = await testEnvironment(api, 'Plain');
  await plain.call('POST', `/admin/v1/projects/${plain.projectId}/features`, { name: 'beta', initialValue: 'off' });
  const pro = await plain.call('POST', `/admin/v1/projects/${plain.projectId}/segments`, { name: 'pro', rules: [{ type: 'ALL', conditions: [{ operator: 'EQUAL', property: 'plan', value: 'pro' }] }] });
  await plain.call('PUT', `/admin/v1/environments/${plain.envId}/feature-states/beta/segment-overrides/${pro.id}`, { enabled: true, value: 'pro' });
}, 180_000);

afterAll(async () => {
  await api?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Identities' `beta` value, each from POST /api/v1/identities/ through the bundle's handler, in one fresh process. */
function betaValues(bundle: string, clientKey: string, identities: { identifier: string; traits: Record<string, string> }[]): unknown[] {
  const events = identities.map(({ identifier, traits }) => ({
    version: '2.0',
    routeKey: 'POST /api/v1/identities',
    rawPath: '/api/v1/identities/',
    headers: { 'x-environment-key': clientKey, 'content-type': 'application/json' },
    requestContext: { requestId: `req-${identifier}`, http: { method: 'POST', path: '/api/v1/identities/' } },
    body: JSON.stringify({ identifier, traits: Object.entries(traits).map(([trait_key, trait_value]) => ({ trait_key, trait_value })) }),
    isBase64Encoded: false,
  }));
  const probe = `
    const { handler } = await import(${JSON.stringify(pathToFileURL(join(bundle, 'index.mjs')).href)});
    const context = { functionName: 'sdk-api', awsRequestId: 'r', getRemainingTimeInMillis: () => 5000 };
    const out = [];
    for (const event of ${JSON.stringify(events)}) {
      const result = await handler(event, context);
      if (result.statusCode !== 200) throw new Error(result.statusCode + ' ' + result.body);
      out.push(JSON.parse(result.body).flags.find((flag) => flag.feature.name === 'beta').feature_state_value);
    }
    process.stdout.write(JSON.stringify(out));`;
  const output = execFileSync(process.execPath, ['--input-type=module', '-e', probe], {
    env: {
      PATH: process.env.PATH,
      TABLE_NAME: api.tableName,
      AWS_ENDPOINT_URL_DYNAMODB: testDynamoEndpoint(),
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      POWERTOOLS_LOG_LEVEL: 'ERROR',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    },
    encoding: 'utf8',
    // Its errors are the thrown Error's message (execFileSync puts stderr there), not the run's output.
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return JSON.parse(output) as unknown[];
}

describe('the shipped sdk-api bundle', () => {
  it('keeps re2js, json-p3 and semver out of what a cold start loads, in chunks of their own', () => {
    expect(conditionChunks.length).toBeGreaterThan(0);
    expect(loadedAtInit).toContain('index.mjs');
    for (const chunk of conditionChunks) expect(loadedAtInit).not.toContain(chunk);
    for (const chunk of conditionChunks) expect(readdirSync(join(shipped, 'chunks'))).toContain(chunk);
  });

  it('loads no zod at a cold start: the schemas of what callers send load with the first request that sends something', () => {
    const text = (file: string) => readFileSync(join(shipped, file === 'index.mjs' ? file : join('chunks', file)), 'utf8');
    const atInit = loadedAtInit.map(text).join('\n');
    const onDemand = readdirSync(join(shipped, 'chunks')).filter((chunk) => !loadedAtInit.includes(chunk)).map(text).join('\n');
    expect(inputsAtInit.some((input) => input.includes('node_modules/zod/'))).toBe(false);
    expect(inputsAtInit).not.toContain('functions/domain/schemas.ts');
    expect(inputsAtInit).not.toContain('functions/engine/schema.ts');
    // The identity schemas of POST /api/v1/identities are shipped, in a chunk loaded on demand
    // (the requests below go through them)...
    expect(atInit).not.toContain('"not valid Unicode"');
    expect(onDemand).toContain('"not valid Unicode"');
    // ...but not the management API's JSON value schema (functions/domain/schemas.ts, the same module),
    // nor the webhook target checks it used to drag in (lib/bundling.ts: pureSchemaDeclarations).
    expect(`${atInit}\n${onDemand}`).not.toContain('expected a JSON value');
    expect(`${atInit}\n${onDemand}`).not.toContain('::ffff:0:0');
  });

  it('loads them when an environment has REGEX, JSONPath and SemVer conditions, and evaluates those conditions', () => {
    const values = betaValues(shipped, withConditions.clientKey, [
      { identifier: 'ana', traits: { email: 'ana@acme.com' } },
      { identifier: 'bob', traits: { email: 'bob@acme.com.evil.org' } },
      { identifier: 'vip-carla', traits: { email: 'carla@example.org' } },
      { identifier: 'dan', traits: {} },
      { identifier: 'eve', traits: { version: '2.10.0' } },
      { identifier: 'fay', traits: { version: '1.99.0' } },
    ]);
    expect(values).toEqual(['staff', 'off', 'vip', 'off', 'new app', 'off']);
  });

  it('serves an environment without them from a bundle that does not even have them', () => {
    // The environment that needs them fails for want of the chunk (a 500), not for another reason.
    expect(() => betaValues(withoutConditionChunks, withConditions.clientKey, [{ identifier: 'ana', traits: { email: 'ana@acme.com' } }])).toThrow(/ERR_MODULE_NOT_FOUND[\s\S]*Error: 500 /);
    expect(betaValues(withoutConditionChunks, plain.clientKey, [
      { identifier: 'erin', traits: { plan: 'pro' } },
      { identifier: 'finn', traits: { plan: 'free' } },
    ])).toEqual(['pro', 'off']);
  });
});
