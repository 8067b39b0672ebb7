import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { ORIGIN_VERIFY_HEADER, originVerified, originVerify } from '../../functions/http/origin-verify.js';

const secret = 's3cr3t-value-of-forty-eight-characters-0123456789';
const event = (headers: Record<string, string>) => ({ headers, routeKey: 'GET /api/v1/flags' }) as unknown as APIGatewayProxyEventV2;

/** A handler behind the middleware that reports what it saw. */
function api(configured: string | undefined) {
  const seen: Record<string, string | undefined>[] = [];
  const handler = middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>()
    .use(originVerify(configured))
    .handler(async (request) => {
      seen.push({ ...request.headers });
      return { statusCode: 200, body: 'ok' };
    });
  return { seen, call: (headers: Record<string, string>) => handler(event(headers), {} as never) };
}

describe('origin verification (requests must come through CloudFront)', () => {
  it('answers 403 with the usual error body to a request without the header or with a wrong one, and never runs the handler', async () => {
    const { seen, call } = api(secret);
    const attempts: Record<string, string>[] = [{}, { [ORIGIN_VERIFY_HEADER]: 'guess' }, { [ORIGIN_VERIFY_HEADER]: `${secret}x` }];
    for (const headers of attempts) {
      const response = (await call(headers)) as APIGatewayProxyStructuredResultV2;
      expect(response.statusCode).toBe(403);
      expect(JSON.parse(response.body!)).toEqual({ statusCode: 403, error: 'Forbidden', message: expect.stringContaining('CloudFront') });
      expect(response.body).not.toContain(secret);
    }
    expect(seen).toEqual([]);
  });

  it('lets a request with the header through, without the header, so nothing downstream can log it', async () => {
    const { seen, call } = api(secret);
    const response = (await call({ 'X-Vexilla-Origin-Verify': secret, 'x-environment-key': 'key' })) as APIGatewayProxyStructuredResultV2;
    expect(response.statusCode).toBe(200);
    expect(seen).toEqual([{ 'x-environment-key': 'key' }]);
  });

  it('checks nothing where no secret is configured (the local stack, the tests)', async () => {
    const { call } = api(undefined);
    expect(((await call({})) as APIGatewayProxyStructuredResultV2).statusCode).toBe(200);
  });

  it('compares whole values only', () => {
    expect(originVerified(secret, secret)).toBe(true);
    expect(originVerified(secret.slice(0, -1), secret)).toBe(false);
    expect(originVerified(undefined, secret)).toBe(false);
    expect(originVerified('', secret)).toBe(false);
  });
});
