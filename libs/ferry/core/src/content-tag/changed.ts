/** Which input files of an app changed since a git revision (`diff --explain`). */
import type { ResolvedApp } from '../config-types.ts';
import { FerryError } from '../errors.ts';
import { runGit } from '../git.ts';
import type { ProjectGraphLite } from '../graph.ts';
import { inputSelector, isInput, ProjectOwners } from './inputs.ts';
import type { ContentTagMemo } from './memo.ts';
import { readNxNamedInputs } from './tooling.ts';

/**
 * Input files of `app` that changed between `gitRevision` and the working tree (committed, staged,
 * unstaged and untracked changes), plus `package-lock.json` / `tsconfig.base.json` when they changed
 * (they may change the tag through package versions or compiler options). Sorted, workspace-relative.
 */
export async function changedInputsSince(app: ResolvedApp, graph: ProjectGraphLite, gitRevision: string, memo?: ContentTagMemo): Promise<string[]> {
  const root = app.workspaceRoot;
  if (!/^[A-Za-z0-9_./@{}~^-]+$/.test(gitRevision) || gitRevision.startsWith('-')) {
    throw new FerryError('USAGE', `Not a git revision: ${JSON.stringify(gitRevision)}. Example: HEAD~1, main or a commit sha.`);
  }
  const verified = (await runGit(root, ['rev-parse', '--verify', '--quiet', `${gitRevision}^{commit}`], { allowFail: true })).trim();
  if (!verified) throw new FerryError('GIT_FAILED', `Unknown git revision ${JSON.stringify(gitRevision)}. Check the name with \`git log --oneline\`.`);
  const [diffOut, untrackedOut] = await Promise.all([
    runGit(root, ['diff', '--name-only', '-z', '--no-renames', verified]),
    runGit(root, ['ls-files', '-o', '--exclude-standard', '-z']),
  ]);
  const owners = new ProjectOwners(graph);
  const selector = inputSelector(app, graph, readNxNamedInputs(root), memo);
  const out = new Set<string>();
  for (const path of [...diffOut.split('\0'), ...untrackedOut.split('\0')]) {
    if (!path) continue;
    if (path === selector.dockerfileRel || path === 'package-lock.json' || path === 'tsconfig.base.json' || isInput(selector, owners, path)) out.add(path);
  }
  return [...out].sort();
}
