/** Why two tags differ: the differences between two TagInputs, and one line per difference for people. */
import type { TagInputs } from './hash.ts';

/** One difference between two TagInputs. */
export interface TagInputChange {
  kind: 'file' | 'dockerfile' | 'buildArg' | 'platform' | 'package' | 'tooling';
  /** File path, build arg name, package location or tooling name; empty for dockerfile/platform. */
  name: string;
  change: 'added' | 'removed' | 'changed';
  before?: string;
  after?: string;
}

/**
 * What differs between two sets of inputs (pure; for `diff --explain`). Tolerates partial inputs
 * (e.g. read back from an older image record): a missing part compares as empty.
 */
export function explainTag(a: Partial<TagInputs>, b: Partial<TagInputs>): TagInputChange[] {
  const changes: TagInputChange[] = [];
  const files = (x: Partial<TagInputs>) => Object.fromEntries((x.files ?? []).map((f) => [f.path, f.sha]));
  diffRecords('file', files(a), files(b), changes);
  if ((a.dockerfile ?? '') !== (b.dockerfile ?? '')) changes.push({ kind: 'dockerfile', name: '', change: 'changed', before: a.dockerfile, after: b.dockerfile });
  diffRecords('buildArg', a.buildArgs ?? {}, b.buildArgs ?? {}, changes);
  if ((a.platform ?? '') !== (b.platform ?? '')) changes.push({ kind: 'platform', name: '', change: 'changed', before: a.platform, after: b.platform });
  diffRecords('package', a.externalPackages ?? {}, b.externalPackages ?? {}, changes);
  diffRecords('tooling', a.tooling ?? {}, b.tooling ?? {}, changes);
  return changes;
}

/** One line per change, for people: `file libs/shared/src/index.ts changed`, `buildArg BASE_IMAGE: a -> b`. */
export function formatTagChanges(changes: TagInputChange[]): string[] {
  return changes.map((c) => {
    const what = c.name ? `${c.kind} ${c.name}` : c.kind;
    if (c.kind === 'file' || c.kind === 'dockerfile' || c.kind === 'tooling') return `${what} ${c.change}`;
    if (c.change === 'changed') return `${what}: ${c.before ?? '(none)'} -> ${c.after ?? '(none)'}`;
    return `${what} ${c.change}${c.change === 'added' ? ` (${c.after})` : ` (was ${c.before})`}`;
  });
}

function diffRecords(kind: TagInputChange['kind'], a: Record<string, string>, b: Record<string, string>, out: TagInputChange[]): void {
  for (const k of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
    if (!(k in b)) out.push({ kind, name: k, change: 'removed', before: a[k] });
    else if (!(k in a)) out.push({ kind, name: k, change: 'added', after: b[k] });
    else if (a[k] !== b[k]) out.push({ kind, name: k, change: 'changed', before: a[k], after: b[k] });
  }
}
