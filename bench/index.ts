/** `npm run bench`: every benchmark, printed. Figures are reported, never asserted. */
import { runEngineBench } from './engine.js';
import { runSdkApiBench } from './sdk-api.js';
import { runSdkBench } from './sdk.js';

console.log(`# Vexilla benchmarks (node ${process.version}, ${process.platform}/${process.arch})`);
await runEngineBench();
await runSdkApiBench();
await runSdkBench();
