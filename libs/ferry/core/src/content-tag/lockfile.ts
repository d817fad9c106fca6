/**
 * npm packages in the tag: the versions package-lock.json resolves for the packages an app imports,
 * and for everything those depend on, following Node's nested node_modules resolution.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FerryError } from '../errors.ts';
import { sortRecord } from './hash.ts';
import { parsedFile, type ContentTagMemo } from './memo.ts';

/** The part of a package-lock.json (lockfileVersion 2 or 3) the tag reads. */
export interface PackageLock {
  packages: Record<string, { version?: string; dependencies?: Record<string, string>; optionalDependencies?: Record<string, string>; peerDependencies?: Record<string, string>; link?: boolean; resolved?: string }>;
}

/** The workspace's package-lock.json; undefined when there is none (or it has no `packages`). */
export function readLock(root: string, memo: ContentTagMemo): PackageLock | undefined {
  const file = join(root, 'package-lock.json');
  if (!existsSync(file)) return undefined;
  return parsedFile(memo.locks, file, (f) => {
    try {
      const raw = JSON.parse(readFileSync(f, 'utf8')) as Partial<PackageLock>;
      return raw.packages ? (raw as PackageLock) : undefined;
    } catch {
      throw new FerryError('CONFIG_INVALID', 'package-lock.json is not valid JSON. Run `npm install` to rewrite it.');
    }
  });
}

/** Resolves `name` as Node would from the lock location `from` (nested node_modules first). */
function lockResolve(lock: PackageLock, from: string, name: string): string | undefined {
  let base = from;
  for (;;) {
    const candidate = base ? `${base}/node_modules/${name}` : `node_modules/${name}`;
    if (lock.packages[candidate]) return candidate;
    if (!base) return undefined;
    const i = base.lastIndexOf('/node_modules/');
    base = i >= 0 ? base.slice(0, i) : '';
  }
}

/** name -> version for the imported packages and everything they depend on, from package-lock.json. */
export function lockClosure(lock: PackageLock, names: Iterable<string>): Record<string, string> {
  const out: Record<string, string> = {};
  const stack: string[] = [];
  for (const name of names) {
    const loc = lockResolve(lock, '', name);
    if (loc) stack.push(loc);
    else out[name] = 'unresolved';
  }
  const seen = new Set<string>();
  while (stack.length) {
    const loc = stack.pop()!;
    if (seen.has(loc)) continue;
    seen.add(loc);
    const entry = lock.packages[loc];
    out[loc.replace(/^node_modules\//, '')] = entry.version ?? entry.resolved ?? 'link';
    const deps = { ...entry.peerDependencies, ...entry.optionalDependencies, ...entry.dependencies };
    for (const dep of Object.keys(deps)) {
      const d = lockResolve(lock, loc, dep);
      if (d) stack.push(d);
    }
  }
  return sortRecord(out);
}
