import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { StorageAdapter } from './storage.js';

/** Last-known-good flags in a JSON file (Node), written atomically. */
export function fileStorage(path: string): StorageAdapter {
  return {
    async get(key) {
      try {
        return (JSON.parse(await readFile(path, 'utf8')) as Record<string, string>)[key];
      } catch {
        return undefined;
      }
    },
    async set(key, value) {
      let current: Record<string, string> = {};
      try {
        current = JSON.parse(await readFile(path, 'utf8')) as Record<string, string>;
      } catch {
        // A first write.
      }
      await mkdir(dirname(path), { recursive: true });
      await writeFile(`${path}.tmp`, JSON.stringify({ ...current, [key]: value }));
      await rename(`${path}.tmp`, path);
    },
  };
}
