/**
 * The git port: every git call ferry makes goes through `runGit` (on the process port: argument
 * values, never a shell string).
 */
import { createHash } from 'node:crypto';
import { lstatSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { FerryError } from './errors.ts';
import { ExecError, exec } from './exec.ts';
import { PromiseMemo, sessionPart, type RunSession } from './session.ts';

/** Runs git in `cwd` and returns stdout; a failure is FerryError('GIT_FAILED') with git's message. */
export async function runGit(cwd: string, args: string[], opts: { input?: string; allowFail?: boolean } = {}): Promise<string> {
  const r = await exec('git', args, { cwd, input: opts.input, env: { GIT_OPTIONAL_LOCKS: '0', LC_ALL: 'C' }, nothrow: true });
  if (r.exitCode === 0) return r.stdout;
  if (opts.allowFail) return '';
  const cause = new ExecError(r);
  const why = (r.stderr || cause.message).trim().split('\n')[0];
  if (/not a git repository/i.test(why)) {
    throw new FerryError('GIT_FAILED', `${cwd} is not inside a git repository. ferry computes content tags from git: run \`git init\` and commit the workspace.`, { cause });
  }
  if (r.exitCode === 127) {
    throw new FerryError('GIT_FAILED', 'git is not installed or not on PATH; ferry needs it to compute content tags.', { cause });
  }
  throw new FerryError('GIT_FAILED', `git ${args.find((a) => !a.startsWith('-')) ?? ''} failed in ${cwd}: ${why}`, { cause });
}

/** The commit checked out in the workspace, and whether the working tree differs from it. */
export interface GitRevision {
  sha: string;
  dirty: boolean;
}

/** The run's answer per workspace: every task of one run records the same commit and dirty flag. */
export const gitRevisionMemo = sessionPart('git revision', () => new PromiseMemo<GitRevision>());

/**
 * The commit checked out in the workspace and whether the working tree differs from it (untracked
 * files count). With a session, one git read per workspace for the whole run (a run deploys one
 * snapshot); without, a fresh read.
 */
export function gitRevision(workspaceRoot: string, session?: RunSession): Promise<GitRevision> {
  if (!session) return readGitRevision(workspaceRoot);
  return session.use(gitRevisionMemo).get(workspaceRoot, () => readGitRevision(workspaceRoot));
}

async function readGitRevision(workspaceRoot: string): Promise<GitRevision> {
  // One git process: porcelain v2's branch header names the commit (`# branch.oid <sha>`, or
  // `(initial)` before the first commit), and any other entry means the tree differs from it.
  // https://git-scm.com/docs/git-status#_porcelain_format_version_2
  const out = await runGit(workspaceRoot, ['status', '--porcelain=v2', '--branch', '--no-ahead-behind', '-z', '--untracked-files=normal']);
  return parseStatusV2(out);
}

/** The commit and dirty flag from `git status --porcelain=v2 --branch -z` output. Pure. */
export function parseStatusV2(out: string): GitRevision {
  const records = out.split('\0').filter(Boolean);
  const oid = records.find((r) => r.startsWith('# branch.oid '))?.slice('# branch.oid '.length) ?? '';
  const sha = /^[0-9a-f]{40,64}$/.test(oid) ? oid : '';
  // No commit yet: there is no revision to name, and everything in the tree is uncommitted.
  return { sha, dirty: sha === '' || records.some((r) => !r.startsWith('# ')) };
}

/** The run's answer per workspace for the origin remote's URL ('' when there is none). */
const remoteUrlMemo = sessionPart('git remote URL', () => new PromiseMemo<string>());

/** `remote.origin.url` of the workspace, '' when unset; with a session, one git read per run. */
export function gitRemoteUrl(workspaceRoot: string, session?: RunSession): Promise<string> {
  const read = async () => (await runGit(workspaceRoot, ['config', '--get', 'remote.origin.url'], { allowFail: true })).trim();
  return session ? session.use(remoteUrlMemo).get(workspaceRoot, read) : read();
}

/** One file of the working tree as git sees it. */
export interface GitFile {
  /**
   * Git blob sha of the content as git would commit it (filters such as autocrlf applied).
   * Undefined until `hashWorkingFiles` ran for a modified or untracked file.
   */
  sha?: string;
  /** The working-tree content differs from HEAD (modified, staged, added or untracked). */
  dirty: boolean;
}

/**
 * The working tree in one pass: tracked files (blob shas from the index, `git ls-files -s`) plus
 * untracked files that are not ignored. Modified and untracked files are hashed on demand
 * (`hashWorkingFiles`), only those a caller needs.
 */
export interface GitSnapshot {
  files: Map<string, GitFile>;
  /** Paths that are tracked at HEAD but deleted in the working tree or index. */
  deleted: Set<string>;
}

export async function gitSnapshot(workspaceRoot: string, pathspecs: string[] = []): Promise<GitSnapshot> {
  // Pathspecs are literal paths (directories or files), never patterns.
  const spec = pathspecs.length ? ['--', ...pathspecs] : [];
  const [lsOut, statusOut] = await Promise.all([
    runGit(workspaceRoot, ['--literal-pathspecs', 'ls-files', '-s', '-z', ...spec]),
    runGit(workspaceRoot, ['--literal-pathspecs', 'status', '--porcelain=v1', '-z', '--untracked-files=all', '--no-renames', ...spec]),
  ]);
  const files = new Map<string, GitFile>();
  for (const entry of lsOut.split('\0')) {
    if (!entry) continue;
    // "<mode> <sha> <stage>\t<path>"
    const tab = entry.indexOf('\t');
    const path = entry.slice(tab + 1);
    if (files.has(path)) continue; // conflicted: stages 1-3; the working tree is hashed anyway
    files.set(path, { sha: entry.slice(7, tab).split(' ')[0], dirty: false });
  }
  const deleted = new Set<string>();
  for (const entry of statusOut.split('\0')) {
    if (entry.length < 4) continue;
    const x = entry[0];
    const y = entry[1];
    const path = entry.slice(3);
    if (x === '?' && y === '?') {
      // A nested repository shows as `dir/`: its content is not this repository's to hash.
      if (!path.endsWith('/')) files.set(path, { dirty: true });
      continue;
    }
    if (x === '!') continue;
    if (y === 'D' || (x === 'D' && !files.has(path))) {
      files.delete(path);
      deleted.add(path);
      continue;
    }
    const f = files.get(path) ?? { dirty: true };
    f.dirty = true;
    // Worktree differs from the index (or a conflict): the index sha is not the content.
    if (y !== ' ' || x === 'U') f.sha = undefined;
    files.set(path, f);
  }
  return { files, deleted };
}

/**
 * Fills in the shas of `paths` that `gitSnapshot` left unhashed, with one `git hash-object` call.
 * A file that vanished since the snapshot is moved to `deleted`.
 */
export async function hashWorkingFiles(workspaceRoot: string, snapshot: GitSnapshot, paths: Iterable<string>): Promise<void> {
  const todo = [...new Set(paths)].filter((p) => snapshot.files.has(p) && snapshot.files.get(p)!.sha === undefined);
  if (!todo.length) return;
  const present = todo.filter((p) => {
    try {
      return lstatSync(join(workspaceRoot, p)).isFile() || lstatSync(join(workspaceRoot, p)).isSymbolicLink();
    } catch {
      return false;
    }
  });
  for (const p of todo) if (!present.includes(p)) {
    snapshot.files.delete(p);
    snapshot.deleted.add(p);
  }
  // --stdin-paths is line-based: the rare name with a newline is hashed in-process (without filters).
  const viaGit = present.filter((p) => !p.includes('\n'));
  let shas: string[] | undefined;
  if (viaGit.length) {
    const out = await runGit(workspaceRoot, ['hash-object', '--stdin-paths'], { input: viaGit.join('\n') + '\n', allowFail: true });
    const lines = out.trim().split('\n');
    if (lines.length === viaGit.length && lines.every((l) => /^[0-9a-f]{40,64}$/.test(l))) shas = lines;
  }
  const inProcess = shas ? present.filter((p) => p.includes('\n')) : present;
  viaGit.forEach((p, i) => {
    if (shas) snapshot.files.get(p)!.sha = shas[i];
  });
  // Fallback (a file vanished mid-call, or an odd name): hash the bytes as git would without filters.
  for (const p of inProcess) {
    try {
      const abs = join(workspaceRoot, p);
      const content = lstatSync(abs).isSymbolicLink() ? Buffer.from(readlinkSync(abs)) : readFileSync(abs);
      snapshot.files.get(p)!.sha = createHash('sha1').update(`blob ${content.length}\0`).update(content).digest('hex');
    } catch {
      snapshot.files.delete(p);
      snapshot.deleted.add(p);
    }
  }
}
