/**
 * SDK benchmark, local mode on the 200-feature environment: the cost of a flag check once an
 * identity's flags are computed, of a fresh identity, the memory an environment takes, and what
 * an idle poll transfers. Reports; never fails on a time.
 */
import { localFunctions } from '../functions/local/functions.js';
import { startHttpServer } from '../functions/local/http-server.js';
import { createClient } from '../sdk/index.js';
import { withSeededEnvironment } from './stack.js';
import { buildIdentities } from './workload.js';

const gc = (globalThis as { gc?: () => void }).gc;
const heap = () => {
  gc?.();
  return process.memoryUsage().heapUsed;
};

export async function runSdkBench(): Promise<void> {
  console.log('\n## SDK, local mode: 200 features, 30 segments');
  await withSeededEnvironment(async ({ deps, serverKey }) => {
    const server = await startHttpServer({ port: 0, functions: localFunctions(deps) });
    let polls = 0;
    let pollBytes = 0;
    const measuring: typeof fetch = async (input, init) => {
      const response = await fetch(input, init);
      if (String(input).includes('environment-document') && response.status === 304) {
        polls++;
        // Status line and headers: what an unchanged poll costs on the wire.
        let size = 17 + 2;
        response.headers.forEach((value, name) => (size += name.length + value.length + 4));
        pollBytes += size;
      }
      return response;
    };
    const before = heap();
    const client = createClient({ environmentKey: serverKey, apiUrl: server.url, mode: 'local', refreshIntervalMs: 200, analytics: false, fetch: measuring });
    await client.ready();
    const memory = heap() - before;

    const identities = buildIdentities(2000);
    const contexts = identities.map((identity) => ({ identifier: identity.identifier, traits: identity.traits ?? {} }));
    for (const context of contexts.slice(0, 200)) await client.getFlags(context);
    let started = performance.now();
    for (const context of contexts) await client.getFlags(context);
    const freshUs = ((performance.now() - started) * 1000) / identities.length;

    // The engine alone on the same compiled document, to show what the client adds on top.
    const engine = (client as unknown as { evaluator: { evaluate(identity: unknown): unknown } }).evaluator;
    started = performance.now();
    for (const context of contexts) engine.evaluate(context);
    const engineUs = ((performance.now() - started) * 1000) / contexts.length;

    const flags = await client.getFlags(contexts[0]);
    const names = Object.keys(flags.values);
    let on = 0;
    const checks = 2_000_000;
    started = performance.now();
    for (let i = 0; i < checks; i++) if (flags.isEnabled(names[i % names.length] as string)) on++;
    const checkNs = ((performance.now() - started) * 1e6) / checks;

    await new Promise((resolve) => setTimeout(resolve, 1100));
    await client.close();
    await server.close();
    console.log(`isEnabled on computed flags   ${checkNs.toFixed(0).padStart(6)} ns per check (${on > 0 ? 'ok' : 'no flags on'})`);
    console.log(`getFlags for a fresh identity ${freshUs.toFixed(1).padStart(6)} µs (of which the engine ${engineUs.toFixed(1)} µs; hashing keys are UUIDs here)`);
    console.log(`memory for the environment    ${(memory / 1024).toFixed(0).padStart(6)} KiB heap${gc ? '' : ' (approximate: run with --expose-gc)'}`);
    console.log(`idle poll                     ${polls ? (pollBytes / polls).toFixed(0) : '-'} bytes of headers, no body (304 with If-None-Match), ${polls} polls`);
  });
}
