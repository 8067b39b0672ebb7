/**
 * One webhook POST over node:http(s). Not fetch: Node's fetch cannot be told which address to
 * connect to, and the private-target check must hold for the connection itself. With `addresses`
 * the socket connects to those (already checked) addresses only, through the `lookup` hook, so
 * a DNS answer that changes between the check and the connection (DNS rebinding) is never used;
 * TLS still verifies the certificate against the URL's host name. A kept-alive connection from an
 * earlier attempt to the same host and port may be reused without a lookup: it was made to an
 * address checked then, and this attempt's own check has just passed.
 */
import type { LookupFunction } from 'node:net';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { ResolvedAddress } from './webhook-targets.js';

export interface PostRequest {
  url: URL;
  body: string;
  headers: Record<string, string>;
  timeoutMs: number;
  /** Connect to these addresses only; without them, the system resolver decides. */
  addresses?: ResolvedAddress[] | undefined;
}

/** A `lookup` that answers with the given addresses, whatever it is asked. */
function pinnedLookup(addresses: ResolvedAddress[]): LookupFunction {
  return (_hostname, options, callback) => {
    const [first] = addresses as [ResolvedAddress];
    // Node asks for all addresses when it races IPv4 and IPv6 (autoSelectFamily), else for one.
    if ((options as { all?: boolean }).all) (callback as unknown as (error: null, all: ResolvedAddress[]) => void)(null, addresses);
    else callback(null, first.address, first.family);
  };
}

/** POSTs and resolves with the answer's status code; the answer's body is discarded unread. Rejects on network errors and timeouts. */
export function postOnce({ url, body, headers, timeoutMs, addresses }: PostRequest): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = (url.protocol === 'https:' ? httpsRequest : httpRequest)(
      url,
      {
        method: 'POST',
        headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
        signal: AbortSignal.timeout(timeoutMs),
        ...(addresses && addresses.length > 0 ? { lookup: pinnedLookup(addresses) } : {}),
      },
      (response) => {
        // Only the status matters, and a receiver's answer may hold anything: drain it unread
        // (the timeout still bounds it) so the connection can be reused.
        response.on('error', () => undefined);
        response.resume();
        resolve(response.statusCode ?? 0);
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}
