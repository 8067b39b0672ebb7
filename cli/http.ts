/**
 * The CLI's HTTP client: node:http, not fetch. In every new process, fetch (undici) loads and
 * compiles its HTTP parser, a WebAssembly module, on its first request: about 0.5 s of CPU, more
 * than all the rest of a command. node:http costs a few milliseconds. Each request is what fetch
 * sent for the CLI: redirects followed the way fetch follows them (the token never goes to
 * another origin), answers compressed with gzip or deflate decoded, UTF-8 text.
 */
import { type IncomingMessage, request as httpRequest, type RequestOptions } from 'node:http';
import type { Readable } from 'node:stream';

export interface HttpAnswer {
  status: number;
  /** 2xx. */
  ok: boolean;
  /** The body as it arrives, decoded (export reads its exact bytes). */
  body: AsyncIterable<Uint8Array>;
  /** The whole body as UTF-8 text. */
  text(): Promise<string>;
}

const MAX_REDIRECTS = 20;
/** As long as fetch waits for an answer or the next part of one. */
const IDLE_TIMEOUT_MS = 300_000;

export async function send(url: string, init: { method: string; headers: Record<string, string>; body?: string }): Promise<HttpAnswer> {
  let target = new URL(url);
  let { method, body } = init;
  let headers: Record<string, string> = { accept: '*/*', 'user-agent': 'Vexilla-CLI/1', 'accept-encoding': 'gzip, deflate', ...init.headers };
  if (body !== undefined && (method === 'GET' || method === 'HEAD')) throw new TypeError('Request with GET/HEAD method cannot have body.');
  for (let redirects = 0; ; redirects++) {
    const response = await exchange(target, method, headers, body);
    const status = response.statusCode ?? 0;
    const location = response.headers.location;
    if (![301, 302, 303, 307, 308].includes(status) || location === undefined) return answer(response, status);
    response.resume();
    if (redirects === MAX_REDIRECTS) throw new Error('redirect count exceeded');
    const next = new URL(location, target);
    // As fetch: a POST answered 301/302, or anything but GET/HEAD answered 303, is sent again as
    // a GET without its body; the credentials stay with the origin they were given for.
    if (((status === 301 || status === 302) && method === 'POST') || (status === 303 && method !== 'GET' && method !== 'HEAD')) {
      method = 'GET';
      body = undefined;
      headers = Object.fromEntries(Object.entries(headers).filter(([name]) => !['content-type', 'content-length', 'content-encoding', 'content-language', 'content-location'].includes(name.toLowerCase())));
    }
    if (next.origin !== target.origin) headers = Object.fromEntries(Object.entries(headers).filter(([name]) => !['authorization', 'cookie', 'proxy-authorization'].includes(name.toLowerCase())));
    target = next;
  }
}

async function exchange(url: URL, method: string, headers: Record<string, string>, body: string | undefined): Promise<IncomingMessage> {
  const options: RequestOptions = { method, headers: body === undefined ? headers : { ...headers, 'content-length': String(Buffer.byteLength(body)) } };
  // TLS loads only for an https API.
  const request = url.protocol === 'https:' ? (await import('node:https')).request : url.protocol === 'http:' ? httpRequest : undefined;
  if (!request) throw new TypeError(`${url.protocol} is not a protocol of the API: its URL starts with http:// or https://`);
  return new Promise((resolve, reject) => {
    const outgoing = request(url, options, resolve);
    outgoing.setTimeout(IDLE_TIMEOUT_MS, () => outgoing.destroy(Object.assign(new Error('no answer'), { code: 'ETIMEDOUT' })));
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

async function answer(response: IncomingMessage, status: number): Promise<HttpAnswer> {
  const encoding = response.headers['content-encoding']?.trim().toLowerCase();
  let body: Readable = response;
  if (encoding === 'gzip' || encoding === 'x-gzip' || encoding === 'deflate') {
    const zlib = await import('node:zlib');
    // Lenient about a truncated end, as fetch is.
    const flush = { flush: zlib.constants.Z_SYNC_FLUSH, finishFlush: zlib.constants.Z_SYNC_FLUSH };
    const decoder = encoding === 'deflate' ? zlib.createInflate(flush) : zlib.createGunzip(flush);
    response.on('error', (error) => decoder.destroy(error));
    body = response.pipe(decoder);
  }
  return {
    status,
    ok: status >= 200 && status < 300,
    body,
    async text() {
      const chunks: Buffer[] = [];
      for await (const chunk of body) chunks.push(chunk as Buffer);
      // TextDecoder, as fetch's text(): a byte-order mark dropped, invalid bytes replaced.
      return new TextDecoder().decode(Buffer.concat(chunks));
    },
  };
}
