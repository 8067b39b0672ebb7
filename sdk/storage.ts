/**
 * Where last-known-good flags survive a restart. Browsers use localStorage; Node can use
 * `fileStorage` from `sdk/file-storage.ts` (kept out of this module so browser bundles carry no
 * Node built-ins).
 */
export interface StorageAdapter {
  get(key: string): Promise<string | undefined> | string | undefined;
  set(key: string, value: string): Promise<void> | void;
}

/** localStorage, when the runtime has one. */
export function localStorageAdapter(storage: Pick<Storage, 'getItem' | 'setItem'> | undefined = globalThis.localStorage): StorageAdapter {
  if (!storage) throw new Error('This runtime has no localStorage.');
  return {
    get: (key) => storage.getItem(key) ?? undefined,
    set: (key, value) => storage.setItem(key, value),
  };
}

export function memoryStorage(): StorageAdapter {
  const values = new Map<string, string>();
  return { get: (key) => values.get(key), set: (key, value) => void values.set(key, value) };
}
