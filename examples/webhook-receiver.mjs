#!/usr/bin/env node
/**
 * A Vexilla webhook receiver that verifies every signature, rejects replays, deduplicates
 * deliveries, and prints each event. Node's standard library only.
 *
 *   node examples/webhook-receiver.mjs [webhook.json]
 *
 * The signing secret comes from VEXILLA_WEBHOOK_SECRET, or from the `secret` field of the JSON
 * file named (what `vexilla webhooks create ... --json` prints), read at each request, so the
 * receiver can start before the webhook exists. It listens on http://127.0.0.1:$PORT/hook
 * (PORT defaults to 9000).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';

/** rawBody: the request body exactly as received, before any JSON parsing. */
export function verifyVexilla(rawBody, headers, secret, toleranceSeconds = 300) {
  const expected = Buffer.from(`sha256=${createHmac('sha256', secret).update(rawBody).digest('hex')}`);
  const given = Buffer.from(headers['x-vexilla-signature'] ?? '');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return false;
  const { timestamp } = JSON.parse(rawBody);
  return String(timestamp) === headers['x-vexilla-timestamp'] && Math.abs(Date.now() / 1000 - timestamp) <= toleranceSeconds;
}

const secretFile = process.argv[2];
const secret = () => process.env.VEXILLA_WEBHOOK_SECRET ?? (secretFile ? JSON.parse(readFileSync(secretFile, 'utf8')).secret : undefined);
const port = Number(process.env.PORT ?? 9000);
const seen = new Set();

const server = createServer((request, response) => {
  const chunks = [];
  request.on('data', (chunk) => chunks.push(chunk));
  request.on('end', () => {
    if (request.method !== 'POST' || request.url !== '/hook') {
      response.writeHead(404).end();
      return;
    }
    const rawBody = Buffer.concat(chunks).toString('utf8');
    let key;
    try {
      key = secret();
    } catch (error) {
      console.error(`no secret yet (${error.message}): answering 503 so Vexilla retries`);
      response.writeHead(503).end();
      return;
    }
    if (!key || !verifyVexilla(rawBody, request.headers, key)) {
      console.error(`rejected: bad signature or stale timestamp (delivery ${request.headers['x-vexilla-delivery']})`);
      response.writeHead(401).end();
      return;
    }
    const delivery = request.headers['x-vexilla-delivery'];
    // Delivery is at least once: the same delivery id may come again.
    if (!seen.has(delivery)) {
      seen.add(delivery);
      const event = JSON.parse(rawBody);
      const subject = Object.values(event.data.subject ?? {}).join(' ');
      console.log(`verified ${event.type} ${event.data.action} ${subject} (delivery ${delivery})`);
    }
    response.writeHead(204).end();
  });
});

server.listen(port, '127.0.0.1', () => console.log(`Listening on http://127.0.0.1:${port}/hook (Ctrl-C to stop)`));
process.on('SIGINT', () => server.close(() => process.exit(0)));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
