// Types of lib/bundle-cache.mjs (plain JavaScript: it runs before anything compiles TypeScript).
import type { BuildOptions } from 'esbuild';

export declare const REQUIRE_BANNER: string;
export declare function cachedBundle(settings: { root: string; name: string; launcher: string; entry: string; options?: BuildOptions }): Promise<string>;
export declare function pruneGoneCheckouts(caches: string): void;
