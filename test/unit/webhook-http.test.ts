/**
 * The webhook POST connects to the addresses the private-target check approved, not to whatever
 * DNS answers next: a name under `.invalid` (which never resolves) reaches a real local server.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postOnce } from '../../functions/domain/webhook-http.js';

let server: Server;
let port: number;
const seen: { headers: IncomingHttpHeaders; body: string }[] = [];

beforeAll(async () => {
  server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      seen.push({ headers: request.headers, body: Buffer.concat(chunks).toString('utf8') });
      if (request.url === '/hang') return; // never answers
      response.writeHead(request.url === '/gone' ? 410 : 204).end('ignored');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

describe('postOnce', () => {
  it('connects to the pinned address without asking DNS, with the URL host in the Host header', async () => {
    // Act
    const status = await postOnce({
      url: new URL(`http://hooks.invalid:${port}/hook`),
      body: '{"a":1}',
      headers: { 'content-type': 'application/json' },
      timeoutMs: 5000,
      addresses: [{ address: '127.0.0.1', family: 4 }],
    });

    // Assess
    expect(status).toBe(204);
    expect(seen.at(-1)).toMatchObject({ body: '{"a":1}', headers: { host: `hooks.invalid:${port}`, 'content-type': 'application/json', 'content-length': '7' } });
  });

  it('fails on an unresolvable name when nothing is pinned', async () => {
    await expect(postOnce({ url: new URL(`http://unpinned.invalid:${port}/hook`), body: '{}', headers: {}, timeoutMs: 5000 })).rejects.toMatchObject({ code: 'ENOTFOUND' });
  });

  it('answers with the status of any answer, and gives up after the timeout', async () => {
    const addresses = [{ address: '127.0.0.1', family: 4 as const }];
    expect(await postOnce({ url: new URL(`http://hooks.invalid:${port}/gone`), body: '{}', headers: {}, timeoutMs: 5000, addresses })).toBe(410);
    await expect(postOnce({ url: new URL(`http://hooks.invalid:${port}/hang`), body: '{}', headers: {}, timeoutMs: 200, addresses })).rejects.toMatchObject({ name: 'AbortError' });
  });
});
