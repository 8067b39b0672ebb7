/**
 * The CLI's HTTP client (cli/http.ts, node:http instead of fetch) sends what fetch sent: redirects
 * followed as fetch follows them (a POST answered 302 comes back as a GET without its body; 307
 * keeps both; the token never goes to another origin), compressed answers decoded, UTF-8 text.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { send } from '../../cli/http.js';

interface Seen {
  server: 'home' | 'other';
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}
const seen: Seen[] = [];
let home: Server;
let other: Server;
let homeUrl: string;
let otherUrl: string;

function listen(name: Seen['server'], answer: (url: string, response: import('node:http').ServerResponse) => void): Promise<Server> {
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      seen.push({ server: name, method: request.method ?? '', url: request.url ?? '', headers: request.headers, body: Buffer.concat(chunks).toString('utf8') });
      answer(request.url ?? '', response);
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

beforeAll(async () => {
  other = await listen('other', (_, response) => response.end('elsewhere'));
  otherUrl = `http://127.0.0.1:${(other.address() as AddressInfo).port}`;
  home = await listen('home', (url, response) => {
    if (url === '/found') return response.writeHead(302, { location: '/landing' }).end();
    if (url === '/temporary') return response.writeHead(307, { location: '/landing' }).end();
    if (url === '/away') return response.writeHead(301, { location: `${otherUrl}/there` }).end();
    if (url === '/loop') return response.writeHead(302, { location: '/loop' }).end();
    if (url === '/gzip') return response.writeHead(200, { 'content-encoding': 'gzip' }).end(gzipSync('{"squeezed":"é"}'));
    if (url === '/bom') return response.end(Buffer.from('\uFEFF{"a":1}', 'utf8'));
    response.writeHead(url === '/missing' ? 404 : 200).end(`at ${url}`);
  });
  homeUrl = `http://127.0.0.1:${(home.address() as AddressInfo).port}`;
});

afterAll(async () => {
  for (const server of [home, other]) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

const post = (path: string) =>
  send(`${homeUrl}${path}`, { method: 'POST', headers: { authorization: 'Bearer secret', 'content-type': 'application/json' }, body: '{"é":1}' });
const last = (count: number) => seen.slice(-count);

describe('the CLI HTTP client', () => {
  it('sends the body with its length, and answers the status and text', async () => {
    const answer = await post('/missing');
    expect({ status: answer.status, ok: answer.ok, text: await answer.text() }).toEqual({ status: 404, ok: false, text: 'at /missing' });
    const [request] = last(1);
    expect(request).toMatchObject({ method: 'POST', body: '{"é":1}', headers: { 'content-length': '8', authorization: 'Bearer secret', 'user-agent': expect.any(String) } });
  });

  it('follows a 302 to a POST as a GET without the body; a 307 keeps both', async () => {
    const found = await post('/found');
    expect(await found.text()).toBe('at /landing');
    const [, landing] = last(2);
    expect(landing).toMatchObject({ method: 'GET', body: '', headers: { authorization: 'Bearer secret' } });
    expect(landing?.headers['content-type']).toBeUndefined();

    const temporary = await post('/temporary');
    expect(await temporary.text()).toBe('at /landing');
    expect(last(1)[0]).toMatchObject({ method: 'POST', body: '{"é":1}', headers: { 'content-type': 'application/json' } });
  });

  it('never sends the token to another origin it is redirected to', async () => {
    const moved = await send(`${homeUrl}/away`, { method: 'GET', headers: { authorization: 'Bearer secret' } });
    expect(await moved.text()).toBe('elsewhere');
    const [request] = last(1);
    expect(request?.server).toBe('other');
    expect(request?.headers.authorization).toBeUndefined();
  });

  it('stops following a redirect loop', async () => {
    await expect(send(`${homeUrl}/loop`, { method: 'GET', headers: {} })).rejects.toThrow('redirect count exceeded');
  });

  it('decodes a gzip answer, and reads text as fetch does (a byte-order mark dropped)', async () => {
    const squeezed = await send(`${homeUrl}/gzip`, { method: 'GET', headers: {} });
    expect(JSON.parse(await squeezed.text())).toEqual({ squeezed: 'é' });
    expect(last(1)[0]?.headers['accept-encoding']).toContain('gzip');
    expect(await (await send(`${homeUrl}/bom`, { method: 'GET', headers: {} })).text()).toBe('{"a":1}');
  });

  it('refuses a GET with a body, and fails with the reason when nothing answers', async () => {
    await expect(send(`${homeUrl}/x`, { method: 'GET', headers: {}, body: '{}' })).rejects.toThrow('cannot have body');
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    await expect(send(`http://127.0.0.1:${port}/`, { method: 'GET', headers: {} })).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });
});
