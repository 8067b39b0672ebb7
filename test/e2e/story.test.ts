/**
 * The whole story, end to end, against `npm run dev` in its own process, through public
 * interfaces only: HTTP (admin API, Flagsmith SDK API, the edge), the `vexilla` CLI run from a
 * directory holding `.vexilla/local.json`, and a webhook receiver. One stack for the whole file;
 * the steps build on each other in order, as a user's session does, from what the banner promises
 * to a restart with the data kept and a Ctrl-C that leaves nothing running. Each start costs
 * seconds of CPU (Java, the table, the demo): the claims about starting, stopping and restarting
 * on persistent data are made here, on this session's starts (dev-process-hygiene.test.ts: the
 * other ways it is stopped).
 */
import { execFile } from 'node:child_process';
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalConfig } from '../../functions/local/seed.js';
import { adminCall, type DevProcess, freePort, isRunning, processGroup, quietEnv, REPO_ROOT, startDev } from '../support/dev-process.js';
import { signInWithCode } from '../support/oidc-flow.js';

const execFileAsync = promisify(execFile);

let workDir: string;
let stateDir: string;
let port: number;
let dev: DevProcess;

/** What the webhook receiver got: the raw body and the headers, as a receiver must verify them. */
const received: { body: string; headers: Record<string, string | string[] | undefined> }[] = [];
let receiver: Server;
let receiverUrl: string;
let webhookSecret: string;
let reviewerToken: string;

/** `npx vexilla ...` in the user's directory (it finds .vexilla/local.json there). */
async function vexilla(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return execFileAsync(process.execPath, [join(REPO_ROOT, 'cli/vexilla.mjs'), ...args], { cwd: workDir, env: quietEnv }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, stdout: error.stdout, stderr: error.stderr }),
  );
}

const admin = <T = any>(method: string, path: string, body?: unknown, token?: string) => adminCall<T>(dev, method, path, body, token);

const environment = (name: string) => {
  const found = dev.config.environments.find((candidate) => candidate.name === name);
  if (!found) throw new Error(`no ${name} environment in local.json`);
  return found;
};

/** A flag as a Flagsmith SDK sees it for one identity. */
async function evaluate(identifier: string, feature: string, env = 'development') {
  const response = await fetch(`${dev.config.apiUrl}/api/v1/identities/`, {
    method: 'POST',
    headers: { 'x-environment-key': environment(env).clientKey, 'content-type': 'application/json' },
    body: JSON.stringify({ identifier, traits: [{ trait_key: 'plan', trait_value: 'free' }] }),
  });
  expect(response.status).toBe(200);
  const body = (await response.json()) as { flags: { feature: { name: string }; enabled: boolean; feature_state_value: unknown }[] };
  const flag = body.flags.find((candidate) => candidate.feature.name === feature);
  return flag && { enabled: flag.enabled, value: flag.feature_state_value };
}

/** Environment flags through the edge cache, as browsers and the edge SDK mode fetch them. */
async function edgeFlags(env = 'development') {
  const response = await fetch(`${dev.config.apiUrl}/api/v1/flags/`, { headers: { 'x-environment-key': environment(env).clientKey } });
  const text = await response.text();
  return { status: response.status, cache: response.headers.get('x-cache'), text };
}

beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'vexilla-e2e-'));
  // The newcomer's layout: the CLI finds .vexilla/local.json in the working directory.
  stateDir = join(workDir, '.vexilla');
  port = await freePort();
  receiver = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      received.push({ body: Buffer.concat(chunks).toString('utf8'), headers: request.headers });
      response.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks/vexilla`;
  // A short edge TTL (1 s fresh, 1 s stale-while-revalidate instead of 10 s and 30 s), so
  // stale-if-error can be seen without waiting 40 s.
  dev = await startDev({ port, stateDir, args: ['--edge-max-age', '1', '--edge-stale-while-revalidate', '1'] });
}, 300_000);

afterAll(async () => {
  dev?.kill();
  receiver?.close();
  await rm(workDir, { recursive: true, force: true });
});

/** Signs the demo user in at the dev stack's OpenID provider, as its banner says, and returns the ID token. */
async function signInAsDemo(config: LocalConfig): Promise<string> {
  const signIn = config.signIn;
  if (!signIn) throw new Error('no sign-in in local.json');
  const { idToken } = await signInWithCode({ issuer: signIn.issuer, clientId: signIn.clientId, redirectUri: `${config.apiUrl}/auth/callback`, email: signIn.demoEmail });
  return idToken;
}

describe('the local stack, end to end', () => {
  it('serves the demo as its banner says: the API, an evaluation, sign-in, the request log', async () => {
    const { config } = dev;
    expect(config.apiUrl).toBe(`http://localhost:${port}`);
    expect(dev.output()).toContain(config.adminToken);
    expect(dev.output()).toContain(`curl -H "Authorization: Bearer ${config.adminToken}" http://localhost:${port}/admin/v1/projects/${config.projectId}/features`);
    // The banner's evaluation line works as printed.
    const printed = /curl -X POST (\S+) -H "Authorization: Bearer (\S+)"/.exec(dev.output());
    expect(printed?.[2]).toBe(config.environments[0]?.clientKey);
    const evaluation = await fetch(printed?.[1] ?? '', {
      method: 'POST',
      headers: { authorization: `Bearer ${printed?.[2]}`, 'content-type': 'application/json' },
      body: JSON.stringify({ context: { targetingKey: 'ana' } }),
    });
    expect(evaluation.status).toBe(200);
    expect(await evaluation.json()).toMatchObject({ key: 'new_checkout', value: expect.any(Boolean) });

    const response = await fetch(`${config.apiUrl}/admin/v1/organisations`, { headers: { authorization: `Bearer ${config.adminToken}` } });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { items: { id: string; name: string }[] };
    expect(body.items).toEqual([expect.objectContaining({ id: config.organisationId, name: 'Demo organisation' })]);

    // Sign-in, as the banner prints it: the demo user at the loopback OpenID provider, an organisation admin.
    expect(config.signIn?.issuer).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(dev.output()).toContain(`as ${config.signIn?.demoEmail} (organisation admin; no password)`);
    expect(dev.output()).toContain(`at the local OpenID provider ${config.signIn?.issuer} (client vexilla-dashboard, code + PKCE)`);
    const published = (await (await fetch(`${config.apiUrl}/admin/v1/auth/config`)).json()) as { issuer: string; clientId: string };
    expect(published).toMatchObject({ issuer: config.signIn?.issuer, clientId: config.signIn?.clientId });
    const me = await fetch(`${config.apiUrl}/admin/v1/me`, { headers: { authorization: `Bearer ${await signInAsDemo(config)}` } });
    expect(await me.json()).toMatchObject({ type: 'user', email: 'demo@example.com', organisations: [{ id: config.organisationId, roles: { organisation: 'admin' } }] });

    // The request log line, from the Powertools logger.
    await expect.poll(() => dev.output()).toMatch(/"message":"request".*"method":"GET","path":"\/admin\/v1\/organisations","status":200/);
  });

  it('creates a feature and evaluates it for an identity through the Flagsmith API', async () => {
    const created = await vexilla('features', 'create', 'e2e_checkout', '--value', '"v1"', '--json');
    expect(created.code, created.stderr).toBe(0);

    // Evaluations are served from the environment's snapshot, kept until the environment's document
    // is published again (the banner's evaluation, in the test before, loaded it): the new flag is
    // served once the change has come through the pipeline, which a busy machine slows.
    await expect.poll(() => evaluate('ana', 'e2e_checkout'), { interval: 25 }).toEqual({ enabled: false, value: 'v1' });
  });

  it('subscribes a webhook to the development environment; its secret is shown once', async () => {
    const envId = environment('development').id;
    const created = await admin('POST', `/admin/v1/environments/${envId}/webhooks`, { url: receiverUrl, events: ['feature-state.changed'] });
    expect(created.status).toBe(201);
    webhookSecret = created.body.secret;
    expect(webhookSecret).toMatch(/^whsec_/);

    const read = await admin('GET', `/admin/v1/environments/${envId}/webhooks/${created.body.id}`);
    expect(read.body).not.toHaveProperty('secret');
  });

  it('toggles it with the CLI, and the next evaluation shows the change', async () => {
    const toggled = await vexilla('features', 'toggle', 'e2e_checkout', '--environment', 'development', '--on');
    expect(toggled.code, toggled.stderr).toBe(0);
    const started = Date.now();

    await expect.poll(() => evaluate('ana', 'e2e_checkout'), { interval: 25 }).toEqual({ enabled: true, value: 'v1' });
    console.log(`e2e: toggle visible to /api/v1/identities/ after ${Date.now() - started} ms`);
  });

  it('delivers the toggle to the webhook, signed with the secret it showed', async () => {
    await expect.poll(() => received.length).toBeGreaterThanOrEqual(1);
    const [delivery] = received;
    const signature = Buffer.from(String(delivery!.headers['x-vexilla-signature']));
    const expected = Buffer.from(`sha256=${createHmac('sha256', webhookSecret).update(delivery!.body).digest('hex')}`);
    expect(signature.length === expected.length && timingSafeEqual(signature, expected)).toBe(true);
    const body = JSON.parse(delivery!.body);
    expect(body).toMatchObject({ type: 'feature-state.changed', data: { subject: { featureName: 'e2e_checkout' }, after: { enabled: true } } });
    expect(String(body.timestamp)).toBe(delivery!.headers['x-vexilla-timestamp']);
    // Exactly one: the filter keeps the feature's own creation (feature.changed) out.
    expect(received).toHaveLength(1);
  });

  it('records who changed what in the audit log', async () => {
    const audit = await vexilla('audit', 'tail', '--environment', 'development', '--limit', '5', '--json');
    expect(audit.code, audit.stderr).toBe(0);
    // One JSON record per line, oldest first, as `tail` prints them.
    const records = audit.stdout.trim().split('\n').map((line) => JSON.parse(line)) as { action: string; subject: Record<string, string>; actor: { name: string }; after: { enabled: boolean } }[];
    const toggle = records.find((record) => record.subject.featureName === 'e2e_checkout' && record.subject.kind === 'feature-state');
    expect(toggle).toMatchObject({ action: 'updated', after: { enabled: true } });
    expect(toggle?.actor.name).toBeTruthy();
  });

  it('rolls a feature state back to an earlier version, recorded as a restore', async () => {
    const dev_ = environment('development');
    await admin('PATCH', `/admin/v1/environments/${dev_.id}/feature-states/e2e_checkout`, { value: 'v2' });
    const versions = await admin('GET', `/admin/v1/environments/${dev_.id}/feature-states/e2e_checkout/versions`);
    expect(versions.body.items.map((v: { version: number; value: unknown }) => [v.version, v.value])).toEqual([
      [2, 'v2'],
      [1, 'v1'],
    ]);

    const restored = await admin('POST', `/admin/v1/environments/${dev_.id}/feature-states/e2e_checkout/versions/1/restore`, {});
    expect(restored.status).toBe(200);
    expect(restored.body).toMatchObject({ version: 3, value: 'v1', enabled: true });
    await expect.poll(() => evaluate('ana', 'e2e_checkout'), { interval: 25 }).toEqual({ enabled: true, value: 'v1' });
    const audit = await admin('GET', `/admin/v1/organisations/${dev.config.organisationId}/audit?featureName=e2e_checkout&limit=1`);
    expect(audit.body.items[0]).toMatchObject({ action: 'restored', version: 3 });
  });

  it('schedules a change that applies at its time, once', async () => {
    const envId = environment('development').id;
    // Far enough ahead that a busy machine still creates it in the future (the API refuses the past).
    const runAt = new Date(Date.now() + 5_000).toISOString();
    const scheduled = await admin('POST', `/admin/v1/environments/${envId}/scheduled-changes`, {
      runAt,
      changes: [{ featureName: 'e2e_checkout', value: 'scheduled' }],
    });
    expect(scheduled.status).toBe(201);
    // Not before its time: an answer that arrived before runAt still has the old value.
    const early = await evaluate('ana', 'e2e_checkout');
    if (Date.now() < new Date(runAt).getTime()) expect(early).toEqual({ enabled: true, value: 'v1' });

    await expect.poll(() => evaluate('ana', 'e2e_checkout'), { interval: 100 }).toEqual({ enabled: true, value: 'scheduled' });
    const done = await admin('GET', `/admin/v1/environments/${envId}/scheduled-changes/${scheduled.body.id}`);
    expect(done.body).toMatchObject({ status: 'applied' });
    expect(new Date(done.body.appliedAt).getTime()).toBeGreaterThanOrEqual(new Date(runAt).getTime());
  });

  it('governs production: direct writes refused, an approved change request applies', async () => {
    const production = environment('production');
    const governed = await admin('PATCH', `/admin/v1/environments/${production.id}`, { requiredApprovals: 1 });
    expect(governed.status).toBe(200);
    const direct = await admin('PATCH', `/admin/v1/environments/${production.id}/feature-states/e2e_checkout`, { enabled: true });
    expect(direct.status).toBe(409);

    const request = await admin('POST', `/admin/v1/environments/${production.id}/change-requests`, {
      title: 'Launch the new checkout',
      changes: [{ featureName: 'e2e_checkout', enabled: true, value: 'launched' }],
    });
    expect(request.status).toBe(201);
    const path = `/admin/v1/environments/${production.id}/change-requests/${request.body.id}`;
    expect((await admin('POST', `${path}/apply`, {})).status).toBe(409);
    expect((await admin('POST', `${path}/approve`, {})).status).toBe(403);

    const reviewer = await admin('POST', `/admin/v1/organisations/${dev.config.organisationId}/tokens`, {
      name: 'reviewer',
      roles: { projects: { [dev.config.projectId]: 'editor' } },
    });
    reviewerToken = reviewer.body.token;
    expect((await admin('POST', `${path}/approve`, {}, reviewerToken)).status).toBe(200);
    const applied = await admin('POST', `${path}/apply`, {});
    expect(applied.status).toBe(200);

    await expect.poll(() => evaluate('ana', 'e2e_checkout', 'production'), { interval: 50 }).toEqual({ enabled: true, value: 'launched' });
  });

  it('exports an environment, imports it into a new one, and exports the same bytes again', async () => {
    const exported = await vexilla('export', '--environment', 'development');
    expect(exported.code, exported.stderr).toBe(0);
    const file = join(workDir, 'development.json');
    await writeFile(file, exported.stdout);

    const project = await admin('POST', `/admin/v1/organisations/${dev.config.organisationId}/projects`, { name: 'Imported copy' });
    const copy = await admin('POST', `/admin/v1/projects/${project.body.id}/environments`, { name: 'copy' });
    const copyId = copy.body.environment.id as string;
    const imported = await vexilla('import', 'flagsmith', file, '--environment', copyId);
    expect(imported.code, imported.stderr).toBe(0);

    expect((await vexilla('export', '--environment', copyId)).stdout).toBe(exported.stdout);
    // And nothing is left to change: diff exits 0.
    expect((await vexilla('diff', file, '--environment', copyId)).code).toBe(0);
  });

  it('never writes a secret or a token hash to its logs', () => {
    // The banner prints the demo's own admin token on purpose; nothing else may appear.
    const logs = dev.output();
    expect(logs).toContain('"message":"request"');
    const sha256 = (secret: string) => createHash('sha256').update(secret).digest('hex');
    for (const secret of [webhookSecret, reviewerToken, sha256(reviewerToken), sha256(dev.config.adminToken)]) {
      expect(logs).not.toContain(secret);
    }
  });

  it(
    'keeps serving the last flags from the edge when the origin dies (stale-if-error)',
    { timeout: 300_000 },
    async () => {
      // Prepare: the edge holds the current flags.
      const fresh = await edgeFlags();
      expect(fresh.status).toBe(200);
      expect(fresh.text).toContain('e2e_checkout');

      // Act: kill the origin's database (DynamoDB Local's Java), hard.
      process.kill(dev.javaPid, 'SIGKILL');
      // Past max-age and stale-while-revalidate (1 s each here), once the origin's own caches have
      // expired and it fails, only stale-if-error may still serve it: wait for that, not for a time.
      await expect.poll(async () => (await edgeFlags()).cache).toBe('Error from origin, stale from edge');

      // Assess
      const stale = await edgeFlags();
      expect(stale).toEqual({ status: 200, cache: 'Error from origin, stale from edge', text: fresh.text });
    },
  );

  it('restarts with its data: the same demo, credentials, sign-in and changes', async () => {
    const before = dev.config;
    const idToken = await signInAsDemo(before);
    const stopped = await dev.stop();
    expect(stopped, dev.output()).toEqual({ code: 0, signal: null });

    dev = await startDev({ port, stateDir });

    // The same demo and secrets; only DynamoDB Local's random port moves.
    expect({ ...dev.config, dynamoEndpoint: undefined }).toEqual({ ...before, dynamoEndpoint: undefined });
    // The sign-in provider kept its port and keys: a token from before the restart still works.
    const me = await fetch(`${dev.config.apiUrl}/admin/v1/me`, { headers: { authorization: `Bearer ${idToken}` } });
    expect(me.status).toBe(200);
    expect(((await me.json()) as { organisations: { id: string }[] }).organisations.map((o) => o.id)).toEqual([dev.config.organisationId]);
    // What the session changed (through the CLI, a schedule and a change request) is still served.
    expect(await evaluate('ana', 'e2e_checkout')).toEqual({ enabled: true, value: 'scheduled' });
    expect(await evaluate('ana', 'e2e_checkout', 'production')).toEqual({ enabled: true, value: 'launched' });
  });

  it('exits 0 on Ctrl-C, leaving nothing running: DynamoDB Local stops before the dev process exits', async () => {
    expect(await isRunning(dev.javaPid)).toBe(true);

    const stopped = await dev.stop();

    expect(stopped, dev.output()).toEqual({ code: 0, signal: null });
    // Java is stopped before dev.ts exits; give `ps` nothing to race against but the reaping.
    await expect.poll(async () => (await processGroup(dev.pgid)).map((member) => member.args)).toEqual([]);
    await expect.poll(() => isRunning(dev.javaPid)).toBe(false);
  });
});
