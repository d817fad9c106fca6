/**
 * Computing tags: one git pass for all the apps of a call, each app's input files selected in
 * memory, the modified ones hashed as git would commit them, then the hash (hash.ts).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import type { ResolvedApp } from '../config-types.ts';
import { FerryError } from '../errors.ts';
import { gitSnapshot, hashWorkingFiles, type GitSnapshot } from '../git.ts';
import type { ProjectGraphLite } from '../graph.ts';
import { gitBlobSha, sha256, canonicalJson, sortRecord, tagFromInputs, type ContentTag, type TagInputs } from './hash.ts';
import { inputSelector, isInput, ProjectOwners, toPosix, type InputSelector } from './inputs.ts';
import { lockClosure, readLock, type PackageLock } from './lockfile.ts';
import { createContentTagMemo, tagKey, type ContentTagMemo } from './memo.ts';
import { readJsonc, readNxNamedInputs, tsconfigProjection } from './tooling.ts';

/**
 * Computes the tags of `apps` in one git pass and keeps them in `memo`, so the run's later
 * `computeContentTag` calls answer from it. Without a memo there is nothing to keep: a no-op.
 */
export async function primeContentTags(apps: ResolvedApp[], graph: ProjectGraphLite, memo?: ContentTagMemo): Promise<void> {
  const missing = memo ? apps.filter((a) => !memo.tags.has(tagKey(a))) : [];
  if (!memo || missing.length === 0) return;
  const all = computeContentTags(missing, graph, memo);
  missing.forEach((a, i) => {
    const one = all.then((tags) => tags[i]);
    one.catch(() => memo.tags.delete(tagKey(a)));
    memo.tags.set(tagKey(a), one);
  });
  await all.catch(() => undefined);
}

/**
 * The content tag of one app. With a memo, the run's first answer for the app (workspace, project
 * and environment) is kept and given again. To tag several apps, `computeContentTags` shares one git pass.
 */
export async function computeContentTag(app: ResolvedApp, graph: ProjectGraphLite, memo?: ContentTagMemo): Promise<ContentTag> {
  if (!memo) return (await computeContentTags([app], graph))[0];
  const known = memo.tags.get(tagKey(app));
  if (known) return known;
  const one = computeContentTags([app], graph, memo).then((t) => t[0]);
  memo.tags.set(tagKey(app), one);
  one.catch(() => memo.tags.delete(tagKey(app)));
  return one;
}

/**
 * Content tags of several apps of one workspace with a single `git ls-files` + `git status`.
 * Always computed afresh; `memo` only lends its parsed lock and ignore files.
 */
export async function computeContentTags(apps: ResolvedApp[], graph: ProjectGraphLite, memo: ContentTagMemo = createContentTagMemo()): Promise<ContentTag[]> {
  if (apps.length === 0) return [];
  const root = apps[0].workspaceRoot;
  if (apps.some((a) => a.workspaceRoot !== root)) throw new FerryError('USAGE', 'computeContentTags: all apps must belong to one workspace.');
  for (const app of apps) {
    if (!graph.nodes[app.app.project]) throw new FerryError('NOT_FOUND', `No Nx project named ${JSON.stringify(app.app.project)} in the project graph.`);
  }
  const nxNamedInputs = readNxNamedInputs(root);
  const selectors = apps.map((app) => inputSelector(app, graph, nxNamedInputs, memo));
  // Ask git only about the places the apps' inputs can be (a large monorepo has much else).
  const specs = selectors.some((s) => !s.pathspecs) ? [] : [...new Set(selectors.flatMap((s) => s.pathspecs!))].sort();
  const snapshot = await gitSnapshot(root, specs);
  const owners = new ProjectOwners(graph);
  const unowned: string[] = [];
  const ctx: TagContext = {
    snapshot,
    owners,
    byProject: owners.group(snapshot.files.keys(), unowned),
    unowned,
    lock: readLock(root, memo),
    tsconfig: readJsonc(join(root, 'tsconfig.base.json')),
  };
  // Select every app's files first, then hash the modified/untracked ones among them in one call.
  const selected = selectors.map((selector) => selectFiles(selector, ctx));
  await hashWorkingFiles(root, snapshot, selected.flatMap((paths, i) => [...paths, selectors[i].dockerfileRel]));
  return apps.map((app, i) => {
    const inputs = tagInputs(app, graph, ctx, selectors[i], selected[i]);
    return { tag: tagFromInputs(inputs), inputs };
  });
}

interface TagContext {
  snapshot: GitSnapshot;
  owners: ProjectOwners;
  /** The snapshot's files by owning project. */
  byProject: Map<string, string[]>;
  /** The snapshot's files no project owns. */
  unowned: string[];
  lock: PackageLock | undefined;
  tsconfig: Record<string, unknown> | undefined;
}

/** The snapshot's files that are inputs of the app of `selector` (not sorted). */
function selectFiles(selector: InputSelector, ctx: TagContext): string[] {
  const paths: string[] = [];
  for (const p of selector.projects) {
    for (const path of ctx.byProject.get(p) ?? []) if (selector.keepProjectFile(p, path)) paths.push(path);
  }
  if (selector.hasWorkspaceInputs) {
    for (const path of ctx.unowned) if (selector.keepWorkspaceFile(path)) paths.push(path);
  }
  return paths;
}

function tagInputs(app: ResolvedApp, graph: ProjectGraphLite, ctx: TagContext, selector: InputSelector, paths: string[]): TagInputs {
  const { snapshot, owners, lock, tsconfig } = ctx;
  const { projects, dockerfileRel } = selector;
  const files: TagInputs['files'] = [];
  let dirty = false;
  for (const path of paths) {
    const f = snapshot.files.get(path);
    if (!f?.sha) continue; // vanished while hashing: counted as deleted below
    files.push({ path, sha: f.sha });
    if (f.dirty) dirty = true;
  }
  files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  if (!dirty) {
    for (const d of snapshot.deleted) {
      if (isInput(selector, owners, d)) {
        dirty = true;
        break;
      }
    }
  }

  const dockerfileAbs = resolve(app.projectRoot, app.app.dockerfile);
  let dockerfile = snapshot.files.get(dockerfileRel)?.sha;
  if (snapshot.files.get(dockerfileRel)?.dirty) dirty = true;
  if (!dockerfile) {
    if (!existsSync(dockerfileAbs)) {
      throw new FerryError('CONFIG_INVALID', `${toPosix(relative(app.workspaceRoot, app.app.file))}: dockerfile ${JSON.stringify(app.app.dockerfile)} does not exist (looked for ${dockerfileRel}). Create it or set "dockerfile" to its path relative to the project root.`);
    }
    // Ignored by git: hashed as-is, and the tag is marked dirty because no commit holds it.
    dockerfile = gitBlobSha(readFileSync(dockerfileAbs));
    dirty = true;
  }

  const packages = new Set<string>();
  for (const p of projects) for (const name of graph.externalDependencies[p] ?? []) packages.add(name);
  const externalPackages = lock ? lockClosure(lock, packages) : Object.fromEntries([...packages].sort().map((n) => [n, graph.externalVersions[n] ?? 'unknown']));

  const tooling: Record<string, string> = {};
  if (tsconfig) tooling['tsconfig.base.json'] = sha256(canonicalJson(tsconfigProjection(tsconfig, projects.map((p) => graph.nodes[p].root))));

  return { files, dockerfile, buildArgs: sortRecord(app.app.buildArgs), platform: app.app.platform, externalPackages, tooling, dirty };
}
