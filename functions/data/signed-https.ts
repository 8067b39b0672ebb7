/**
 * One AWS JSON-protocol call: a POST signed with Signature Version 4 by `aws4` (the long-lived,
 * dependency-free signer most non-SDK AWS clients use), sent with node:https (node:http for
 * DynamoDB Local), over the global agent's kept-alive connections. Node's global `fetch` would
 * load undici, several times node:https's cost, at the first request.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import aws4 from 'aws4';

export interface SignedPostInput {
  url: URL;
  region: string;
  service: string;
  /** X-Amz-Target, e.g. `DynamoDB_20120810.GetItem` */
  target: string;
  body: string;
  credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** The signing time (tests); @default now */
  date?: Date;
}

export type SignedPost = (input: SignedPostInput) => Promise<{ status: number; body: string }>;

/** An abandoned connection fails the attempt (ETIMEDOUT, retried) rather than hanging the invocation. */
const SOCKET_TIMEOUT_MS = 5000;

/** The request options, signed: method, host, path and headers (Authorization, X-Amz-Date, X-Amz-Security-Token). */
export function signedRequest(input: SignedPostInput): { host: string; path: string; method: 'POST'; headers: Record<string, string> } {
  const headers: Record<string, string> = { 'Content-Type': 'application/x-amz-json-1.0', 'X-Amz-Target': input.target };
  // aws4 signs with the current time unless X-Amz-Date is set: "YYYYMMDD'T'HHMMSS'Z'".
  if (input.date) headers['X-Amz-Date'] = input.date.toISOString().replace(/[:-]|\.\d{3}/g, '');
  const request = { host: input.url.host, path: input.url.pathname || '/', method: 'POST' as const, service: input.service, region: input.region, headers, body: input.body };
  aws4.sign(request, input.credentials);
  return { host: request.host, path: request.path, method: 'POST', headers: request.headers as Record<string, string> };
}

export const signedPost: SignedPost = (input) =>
  new Promise((resolve, reject) => {
    const signed = signedRequest(input);
    const send = input.url.protocol === 'http:' ? httpRequest : httpsRequest;
    const request = send(
      { hostname: input.url.hostname, port: input.url.port || undefined, path: signed.path, method: 'POST', headers: signed.headers, timeout: SOCKET_TIMEOUT_MS },
      (response: IncomingMessage) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        response.on('error', reject);
      },
    );
    request.on('timeout', () => request.destroy(Object.assign(new Error(`No answer from ${input.url.host} in ${SOCKET_TIMEOUT_MS} ms`), { code: 'ETIMEDOUT' })));
    request.on('error', reject);
    request.end(input.body);
  });
