import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BufferedStateStore, StateStore } from './context.ts';
import type { Operations } from './operations.ts';

/**
 * A JSON state file `<dir>/<name>.json`. Every update is written to a temp file and renamed over the
 * old one, so a crash or kill mid-write never leaves a truncated file and a restart loses nothing.
 */
export function openStateStore<T>(dir: string, name: string, initial: T): StateStore<T> {
  if (!/^[a-z0-9][a-z0-9._-]*$/i.test(name)) throw new Error(`invalid state name '${name}'`);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${name}.json`);
  let value: T;
  try {
    value = JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch (err: any) {
    if (err?.code !== 'ENOENT') throw new Error(`sandbox state file ${file} is unreadable (${err.message}); move it away to start fresh`);
    value = structuredClone(initial);
  }
  const save = () => {
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(value, null, 2));
    renameSync(tmp, file);
  };
  return {
    get: () => value,
    update(mutate) {
      mutate(value);
      save();
    },
  };
}

/** Wraps a store so that updates only mark it dirty and `flush()` writes once (see BufferedStateStore). */
export function bufferedStore<T>(store: StateStore<T>): BufferedStateStore<T> {
  let dirty = false;
  return {
    get: () => store.get(),
    update(mutate) {
      mutate(store.get());
      dirty = true;
    },
    markDirty() {
      dirty = true;
    },
    flush() {
      if (!dirty) return;
      dirty = false;
      store.update(() => {});
    },
  };
}

/** Caches stores per name so every part sharing a name shares one in-memory value. */
export function stateFactory(dir: string) {
  const stores = new Map<string, StateStore<any>>();
  return <T>(name: string, initial: T): StateStore<T> => {
    let store = stores.get(name);
    if (!store) {
      store = openStateStore(join(dir, 'state'), name, initial);
      stores.set(name, store);
    }
    return store as StateStore<T>;
  };
}

/** Each handler of `table`, writing `store` once when its call ends (succeeded or refused). In place. */
export function flushAfterEach(table: Operations, store: BufferedStateStore<unknown>): Operations {
  for (const [op, h] of Object.entries(table)) {
    table[op] = async (input) => {
      try {
        return await h(input);
      } finally {
        store.flush();
      }
    };
  }
  return table;
}
