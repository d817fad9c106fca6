/**
 * What content tagging keeps between calls. There is no module state: whoever owns a run (a batch
 * of Nx tasks, one script) creates a memo and passes it to every call of that run.
 */
import { statSync } from 'node:fs';
import type { Ignore } from 'ignore';
import type { ResolvedApp } from '../config-types.ts';
import { sessionPart, type RunSession } from '../session.ts';
import type { ContentTag } from './hash.ts';
import type { PackageLock } from './lockfile.ts';

/** A parsed file and the size and mtime it had when parsed. */
interface Stamped<T> {
  stamp: string;
  value: T;
}

export interface ContentTagMemo {
  /**
   * Tags by workspace, project and environment (`computeContentTag`, `primeContentTags`). A run
   * tags the workspace as it was when it first asked: build-image, push and deploy-app of an app
   * then agree on one tag, and a batch computes every app's tag in one git pass before its tasks
   * start.
   */
  readonly tags: Map<string, Promise<ContentTag>>;
  /** Parsed package-lock.json files, re-read when their size or mtime changes. */
  readonly locks: Map<string, Stamped<PackageLock | undefined>>;
  /** Compiled ignore files of build contexts, re-read when their size or mtime changes. */
  readonly ignores: Map<string, Stamped<Ignore | undefined>>;
}

export function createContentTagMemo(): ContentTagMemo {
  return { tags: new Map(), locks: new Map(), ignores: new Map() };
}

const contentTagsPart = sessionPart('content tags', () => createContentTagMemo());

/** The run's content tag memo (one tag per app for the whole run). */
export const contentTagMemo = (session: RunSession): ContentTagMemo => session.use(contentTagsPart);

export function tagKey(app: ResolvedApp): string {
  return JSON.stringify([app.workspaceRoot, app.app.project, app.env.name]);
}

/** `parse(file)`, or what the same file gave before while its size and mtime are unchanged. */
export function parsedFile<T>(cache: Map<string, Stamped<T>>, file: string, parse: (file: string) => T): T {
  const st = statSync(file);
  const stamp = `${st.mtimeMs}:${st.size}`;
  const hit = cache.get(file);
  if (hit && hit.stamp === stamp) return hit.value;
  const value = parse(file);
  cache.set(file, { stamp, value });
  return value;
}
