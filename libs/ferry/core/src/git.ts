/**
 * The git port: every git call ferry makes goes through `runGit` (argument arrays, never a shell).
 */
import { execFile } from 'node:child_process';
import { FerryError } from './errors.ts';

/** Runs git in `cwd` and returns stdout; a failure is FerryError('GIT_FAILED') with git's message. */
export function runGit(cwd: string, args: string[], opts: { input?: string; allowFail?: boolean } = {}): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const child = execFile(
      'git',
      args,
      { cwd, maxBuffer: 256 * 1024 * 1024, encoding: 'utf8', env: { ...process.env, GIT_OPTIONAL_LOCKS: '0', LC_ALL: 'C' } },
      (err, stdout, stderr) => {
        if (err) {
          if (opts.allowFail) return resolvePromise('');
          const why = (stderr || err.message).trim().split('\n')[0];
          reject(new FerryError('GIT_FAILED', `git ${args[0]} failed in ${cwd}: ${why}`, { cause: err }));
          return;
        }
        resolvePromise(stdout);
      },
    );
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}

/** The commit checked out in the workspace and whether the working tree differs from it (untracked files count). */
export async function gitRevision(workspaceRoot: string): Promise<{ sha: string; dirty: boolean }> {
  const [head, status] = await Promise.all([
    runGit(workspaceRoot, ['rev-parse', '--verify', '--quiet', 'HEAD'], { allowFail: true }),
    runGit(workspaceRoot, ['status', '--porcelain=v1', '-z', '--untracked-files=normal']),
  ]);
  const sha = head.trim();
  // No commit yet: there is no revision to name, and everything in the tree is uncommitted.
  return { sha, dirty: sha === '' || status.length > 0 };
}

/** One file of the working tree as git sees it. */
export interface GitFile {
  /** Git blob sha of the content as git would commit it (filters such as autocrlf applied). */
  sha: string;
  /** The working-tree content differs from HEAD (modified, staged, added or untracked). */
  dirty: boolean;
}

/**
 * The working tree in one pass: tracked files (blob shas from the index, `git ls-files -s`) plus
 * untracked files that are not ignored; files modified in the working tree are hashed with
 * `git hash-object` so their sha is what a commit of them would hold.
 */
export interface GitSnapshot {
  files: Map<string, GitFile>;
  /** Paths that are tracked at HEAD but deleted in the working tree or index. */
  deleted: Set<string>;
}

export async function gitSnapshot(workspaceRoot: string, pathspecs: string[] = []): Promise<GitSnapshot> {
  const spec = pathspecs.length ? ['--', ...pathspecs] : [];
  const [lsOut, statusOut] = await Promise.all([
    runGit(workspaceRoot, ['ls-files', '-s', '-z', ...spec]),
    runGit(workspaceRoot, ['status', '--porcelain=v1', '-z', '--untracked-files=all', '--no-renames', ...spec]),
  ]);
  const files = new Map<string, GitFile>();
  for (const entry of lsOut.split('\0')) {
    if (!entry) continue;
    // "<mode> <sha> <stage>\t<path>"
    const tab = entry.indexOf('\t');
    const path = entry.slice(tab + 1);
    if (files.has(path)) continue; // conflicted: stages 1-3; the working tree is hashed below anyway
    files.set(path, { sha: entry.slice(7, tab).split(' ')[0], dirty: false });
  }
  const deleted = new Set<string>();
  const toHash: string[] = [];
  for (const entry of statusOut.split('\0')) {
    if (entry.length < 4) continue;
    const x = entry[0];
    const y = entry[1];
    const path = entry.slice(3);
    if (x === '?' && y === '?') {
      toHash.push(path);
      continue;
    }
    if (x === '!') continue;
    if (y === 'D' || (x === 'D' && !files.has(path))) {
      files.delete(path);
      deleted.add(path);
      continue;
    }
    const f = files.get(path);
    if (f) f.dirty = true;
    if (y !== ' ' || x === 'U') toHash.push(path);
  }
  if (toHash.length) {
    const out = await runGit(workspaceRoot, ['hash-object', '--stdin-paths'], { input: toHash.join('\n') + '\n' });
    const shas = out.trim().split('\n');
    toHash.forEach((path, i) => files.set(path, { sha: shas[i], dirty: true }));
  }
  return { files, deleted };
}
