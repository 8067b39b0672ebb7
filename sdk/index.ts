/**
 * The Vexilla TypeScript SDK: remote, local and edge evaluation for Node, browsers and edge
 * runtimes. It depends only on the engine.
 */
export { createClient, VexillaClient, type ClientOptions, type EvaluationContext, type Mode } from './client.js';
export { Flags, type EvaluationDetails, type ErrorCode, type FlagValue, type Reason } from './flags.js';
export { localStorageAdapter, memoryStorage, type StorageAdapter } from './storage.js';
