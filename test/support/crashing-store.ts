import type { Store } from '../../functions/domain/ports.js';
import type { Deps } from '../../functions/domain/use-cases/support.js';

/** The same dependencies, with a store whose commits fail (`killed`) after `commits` of them: a process killed mid-way. */
export function crashingAfter(deps: Deps, commits: number): Deps {
  let left = commits;
  const store: Store = new Proxy(deps.store, {
    get(target, property, receiver) {
      if (property === 'commit') {
        return async (writes: Parameters<Store['commit']>[0]) => {
          if (left-- <= 0) throw new Error('killed');
          return target.commit(writes);
        };
      }
      const value = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return { ...deps, store };
}
