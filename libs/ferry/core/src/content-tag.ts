/**
 * The content tag: a hash of exactly what reaches an app's image, so an unchanged app is never
 * rebuilt, re-pushed or redeployed. See docs/content-tag.md for what is in it and what is not.
 *
 * Inputs: the files of the app project and of every project it depends on (transitively), as git
 * would commit them, filtered by the build context's .dockerignore; the Dockerfile; build args;
 * the platform; the lock-file versions of the npm packages those projects import (and what those
 * packages depend on); the bundle-shaping part of tsconfig.base.json. Working-tree content is what
 * is hashed, so an uncommitted change gives another tag and `dirty: true`.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import ignore, { type Ignore } from 'ignore';
import type { ResolvedApp } from './config-types.ts';
import { FerryError } from './errors.ts';
import { gitSnapshot, hashWorkingFiles, runGit, type GitSnapshot } from './git.ts';
import { targetFileMatcher } from './build-inputs.ts';
import { transitiveDependencies, type NxInput, type ProjectGraphLite } from './graph.ts';

/** Everything that went into a tag; comparing two of these explains why tags differ. */
export interface TagInputs {
  /** Workspace-relative `/` paths with their git blob shas, sorted by path. */
  files: { path: string; sha: string }[];
  /** Git blob sha of the Dockerfile. */
  dockerfile: string;
  buildArgs: Record<string, string>;
  platform: string;
  /** Lock-file location (`chalk`, `a/node_modules/b`) -> resolved version. */
  externalPackages: Record<string, string>;
  /** Build tooling that shapes the bundle: name -> sha256 (e.g. the compiler options of tsconfig.base.json). */
  tooling: Record<string, string>;
  /** Some input differs from HEAD (modified, staged or untracked): the tag names unpublished content. */
  dirty: boolean;
}

export interface ContentTag {
  /** `ft-` + 20 hex characters: a valid ECR/Docker tag. */
  tag: string;
  inputs: TagInputs;
}

/** One difference between two TagInputs. */
export interface TagInputChange {
  kind: 'file' | 'dockerfile' | 'buildArg' | 'platform' | 'package' | 'tooling';
  /** File path, build arg name, package location or tooling name; empty for dockerfile/platform. */
  name: string;
  change: 'added' | 'removed' | 'changed';
  before?: string;
  after?: string;
}

/** Bump when the way inputs are hashed changes, so old and new tags never collide. */
const TAG_SCHEME = 'ferry-content-tag/1';

/** The tag for `inputs` (pure: same inputs, same tag on every machine). */
export function tagFromInputs(inputs: TagInputs): string {
  const h = createHash('sha256');
  h.update(`${TAG_SCHEME}\n`);
  for (const f of inputs.files) h.update(`file\0${f.path}\0${f.sha}\n`);
  h.update(`dockerfile\0${inputs.dockerfile}\n`);
  for (const k of Object.keys(inputs.buildArgs).sort()) h.update(`arg\0${k}\0${inputs.buildArgs[k]}\n`);
  h.update(`platform\0${inputs.platform}\n`);
  for (const k of Object.keys(inputs.externalPackages).sort()) h.update(`pkg\0${k}\0${inputs.externalPackages[k]}\n`);
  for (const k of Object.keys(inputs.tooling).sort()) h.update(`tool\0${k}\0${inputs.tooling[k]}\n`);
  return `ft-${h.digest('hex').slice(0, 20)}`;
}

/**
 * Tags kept for the rest of this process (batch mode, `snapshotContentTagsInProcess`), by
 * workspace, project and environment. A batch computes every app's tag in one git pass before its
 * tasks start (`primeContentTags`), and build-image, push and deploy-app of an app then agree on
 * one tag: the workspace as it was when the run started.
 */
let tagMemo: Map<string, Promise<ContentTag>> | undefined;
const tagKey = (app: ResolvedApp) => JSON.stringify([app.workspaceRoot, app.app.project, app.env.name]);

export function snapshotContentTagsInProcess(): void {
  tagMemo ??= new Map();
}

/** Computes the tags of `apps` in one git pass and keeps them (batch mode only; no-op otherwise). */
export async function primeContentTags(apps: ResolvedApp[], graph: ProjectGraphLite): Promise<void> {
  const memo = tagMemo;
  const missing = memo ? apps.filter((a) => !memo.has(tagKey(a))) : [];
  if (!memo || missing.length === 0) return;
  const all = computeContentTags(missing, graph);
  missing.forEach((a, i) => {
    const one = all.then((tags) => tags[i]);
    one.catch(() => memo.delete(tagKey(a)));
    memo.set(tagKey(a), one);
  });
  await all.catch(() => undefined);
}

/** The content tag of one app. To tag several apps, `computeContentTags` shares one git pass. */
export async function computeContentTag(app: ResolvedApp, graph: ProjectGraphLite): Promise<ContentTag> {
  const known = tagMemo?.get(tagKey(app));
  if (known) return known;
  const one = computeContentTags([app], graph).then((t) => t[0]);
  if (tagMemo) {
    tagMemo.set(tagKey(app), one);
    one.catch(() => tagMemo?.delete(tagKey(app)));
  }
  return one;
}

/** Content tags of several apps of one workspace with a single `git ls-files` + `git status`. */
export async function computeContentTags(apps: ResolvedApp[], graph: ProjectGraphLite): Promise<ContentTag[]> {
  if (apps.length === 0) return [];
  const root = apps[0].workspaceRoot;
  if (apps.some((a) => a.workspaceRoot !== root)) throw new FerryError('USAGE', 'computeContentTags: all apps must belong to one workspace.');
  // Ask git only about the places the apps' inputs can be (a large monorepo has much else).
  const selectors = apps.map((app) => inputSelector(app, graph, readNxNamedInputs(root)));
  const specs = selectors.some((s) => !s.pathspecs) ? [] : [...new Set(selectors.flatMap((s) => s.pathspecs!))].sort();
  const snapshot = await gitSnapshot(root, specs);
  const owners = new ProjectOwners(graph);
  const unowned: string[] = [];
  const byProject = owners.group(snapshot.files.keys(), unowned);
  const ctx: TagContext = {
    snapshot,
    owners,
    byProject,
    unowned,
    lock: readLock(root),
    tsconfig: readJsonc(join(root, 'tsconfig.base.json')),
    nxNamedInputs: readNxNamedInputs(root),
  };
  // Select every app's files first, then hash the modified/untracked ones among them in one call.
  const selections = apps.map((app) => selectFiles(app, graph, ctx));
  await hashWorkingFiles(root, snapshot, selections.flatMap((s) => [...s.paths, s.dockerfileRel]));
  return apps.map((app, i) => {
    const inputs = tagInputs(app, graph, ctx, selections[i]);
    return { tag: tagFromInputs(inputs), inputs };
  });
}

/** Maps a workspace-relative file to the project owning it (the deepest project root containing it). */
class ProjectOwners {
  private readonly byRoot = new Map<string, string>();
  constructor(graph: ProjectGraphLite) {
    for (const n of Object.values(graph.nodes)) if (n.root && n.root !== '.') this.byRoot.set(n.root, n.name);
  }
  owner(path: string): string | undefined {
    let i = path.lastIndexOf('/');
    while (i > 0) {
      const p = this.byRoot.get(path.slice(0, i));
      if (p) return p;
      i = path.lastIndexOf('/', i - 1);
    }
    return undefined;
  }
  group(paths: Iterable<string>, unowned?: string[]): Map<string, string[]> {
    const out = new Map<string, string[]>();
    for (const path of paths) {
      const p = this.owner(path);
      if (!p) {
        unowned?.push(path);
        continue;
      }
      let list = out.get(p);
      if (!list) out.set(p, (list = []));
      list.push(path);
    }
    return out;
  }
}

/** Files that never count as image content: ferry's own config and workspace files covered otherwise. */
const NEVER_FILES = new Set(['nx.json', 'package.json', 'package-lock.json', 'tsconfig.base.json', 'ferry.json']);

/**
 * Decides which files are inputs of an app's image. A project file counts when
 *  - the app has a `build` target and the file is one of that target's Nx inputs (it reaches the
 *    image through the bundle, whatever the .dockerignore says), or
 *  - it is inside the build context and not excluded by the .dockerignore (it is COPY'd), or
 *  - no build target covers its project and it lies outside the build context (ferry cannot tell
 *    how it reaches the image, so it counts: a needless rebuild is cheaper than a stale image).
 * `{workspaceRoot}/…` inputs of the build target (e.g. the bundler script) count too.
 * `deploy.json` never counts: it configures the service, not the image.
 */
export interface InputSelector {
  projects: string[];
  keepProjectFile(owner: string, path: string): boolean;
  keepWorkspaceFile(path: string): boolean;
  hasWorkspaceInputs: boolean;
  /** Where in the workspace this app's inputs can be, as literal git pathspecs; undefined = anywhere. */
  pathspecs: string[] | undefined;
}

export function inputSelector(app: ResolvedApp, graph: ProjectGraphLite, nxNamedInputs: Record<string, NxInput[]>): InputSelector {
  const project = app.app.project;
  const contextAbs = resolve(app.projectRoot, app.app.context);
  const contextRel = toPosix(relative(app.workspaceRoot, contextAbs));
  const ig = dockerignoreFor(app, contextAbs);
  const build = graph.nodes[project]?.targetNames.includes('build') ? targetFileMatcher(graph, project, 'build', nxNamedInputs) : undefined;
  const covered = new Set(build?.projects ?? []);
  const inContext = (path: string): string | undefined =>
    contextRel === '' ? path : path.startsWith(`${contextRel}/`) ? path.slice(contextRel.length + 1) : undefined;
  return {
    projects: [project, ...transitiveDependencies(graph, project)],
    hasWorkspaceInputs: !!build,
    pathspecs: (() => {
      const prefixes = build?.workspacePrefixes ?? [];
      if (prefixes.includes('')) return undefined;
      const roots = [project, ...transitiveDependencies(graph, project)].map((p) => graph.nodes[p]?.root ?? '');
      if (roots.some((r) => r === '' || r === '.')) return undefined;
      const dockerfileRel = toPosix(relative(app.workspaceRoot, resolve(app.projectRoot, app.app.dockerfile)));
      return [...roots, ...prefixes, dockerfileRel];
    })(),
    keepProjectFile(owner, path) {
      if (path === 'deploy.json' || path.endsWith('/deploy.json')) return false;
      if (build && build.matches(owner, path)) return true;
      const rel = inContext(path);
      if (rel !== undefined) return !ig || !ig.ignores(rel);
      return !covered.has(owner);
    },
    keepWorkspaceFile(path) {
      return !!build && !NEVER_FILES.has(path) && build.matchesWorkspaceFile(path);
    },
  };
}

interface TagContext {
  snapshot: GitSnapshot;
  owners: ProjectOwners;
  byProject: Map<string, string[]>;
  unowned: string[];
  lock: Lock | undefined;
  tsconfig: Record<string, unknown> | undefined;
  nxNamedInputs: Record<string, NxInput[]>;
}

interface FileSelection {
  projects: string[];
  selector: InputSelector;
  paths: string[];
  dockerfileRel: string;
}

function selectFiles(app: ResolvedApp, graph: ProjectGraphLite, ctx: TagContext): FileSelection {
  const project = app.app.project;
  if (!graph.nodes[project]) throw new FerryError('NOT_FOUND', `No Nx project named ${JSON.stringify(project)} in the project graph.`);
  const projects = [project, ...transitiveDependencies(graph, project)];
  const selector = inputSelector(app, graph, ctx.nxNamedInputs);
  const paths: string[] = [];
  for (const p of projects) {
    for (const path of ctx.byProject.get(p) ?? []) if (selector.keepProjectFile(p, path)) paths.push(path);
  }
  if (selector.hasWorkspaceInputs) {
    for (const path of ctx.unowned) if (selector.keepWorkspaceFile(path)) paths.push(path);
  }
  const dockerfileRel = toPosix(relative(app.workspaceRoot, resolve(app.projectRoot, app.app.dockerfile)));
  return { projects, selector, paths, dockerfileRel };
}

function tagInputs(app: ResolvedApp, graph: ProjectGraphLite, ctx: TagContext, selection: FileSelection): TagInputs {
  const { snapshot, owners, lock, tsconfig } = ctx;
  const { projects, selector: sel, dockerfileRel } = selection;
  const files: TagInputs['files'] = [];
  let dirty = false;
  for (const path of selection.paths) {
    const f = snapshot.files.get(path);
    if (!f?.sha) continue; // vanished while hashing: counted as deleted below
    files.push({ path, sha: f.sha });
    if (f.dirty) dirty = true;
  }
  files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  if (!dirty) {
    for (const d of snapshot.deleted) {
      const owner = owners.owner(d);
      if (owner ? projects.includes(owner) && sel.keepProjectFile(owner, d) : sel.keepWorkspaceFile(d)) dirty = true;
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

/**
 * The part of tsconfig.base.json that shapes this app's bundle: compiler options, with `paths`
 * reduced to the aliases that point into the app's own projects, so adding an alias for another
 * project does not change this app's tag.
 */
export function tsconfigProjection(tsconfig: Record<string, unknown>, projectRoots: string[]): unknown {
  const co = { ...((tsconfig.compilerOptions as Record<string, unknown>) ?? {}) };
  const paths = (co.paths as Record<string, string[]>) ?? {};
  delete co.paths;
  const kept: Record<string, string[]> = {};
  for (const [alias, targets] of Object.entries(paths)) {
    if (targets.some((t) => projectRoots.some((r) => t.replace(/^\.\//, '').startsWith(`${r}/`)))) kept[alias] = targets;
  }
  return { compilerOptions: co, paths: kept, extends: tsconfig.extends ?? null };
}

const cachedIgnores = new Map<string, { key: string; ig: Ignore | undefined }>();

/** The build's ignore file: `<Dockerfile>.dockerignore` (BuildKit) wins over `<context>/.dockerignore`. */
function dockerignoreFor(app: ResolvedApp, contextAbs: string): Ignore | undefined {
  const candidates = [`${resolve(app.projectRoot, app.app.dockerfile)}.dockerignore`, join(contextAbs, '.dockerignore')];
  const file = candidates.find((f) => existsSync(f));
  if (!file) return undefined;
  const st = statSync(file);
  const key = `${st.mtimeMs}:${st.size}`;
  const hit = cachedIgnores.get(file);
  if (hit && hit.key === key) return hit.ig;
  const ig = ignore().add(dockerignoreToGitignore(readFileSync(file, 'utf8')));
  cachedIgnores.set(file, { key, ig });
  return ig;
}

/**
 * Docker anchors every .dockerignore pattern at the context root (`*.md` matches only top-level
 * files), while gitignore lets a slash-less pattern match at any depth. Anchoring each pattern
 * gives the `ignore` package Docker's meaning.
 */
export function dockerignoreToGitignore(text: string): string[] {
  const out: string[] = [];
  for (let line of text.split(/\r?\n/)) {
    line = line.trim();
    if (!line || line.startsWith('#')) continue;
    let neg = '';
    if (line.startsWith('!')) {
      neg = '!';
      line = line.slice(1).trim();
    }
    line = line.replace(/^(\.\/)+/, '').replace(/^\/+/, '');
    if (!line || line === '.') continue;
    out.push(`${neg}/${line}`);
  }
  return out;
}

interface Lock {
  packages: Record<string, { version?: string; dependencies?: Record<string, string>; optionalDependencies?: Record<string, string>; peerDependencies?: Record<string, string>; link?: boolean; resolved?: string }>;
}

const lockCache = new Map<string, { key: string; lock: Lock | undefined }>();

function readLock(root: string): Lock | undefined {
  const file = join(root, 'package-lock.json');
  if (!existsSync(file)) return undefined;
  const st = statSync(file);
  const key = `${st.mtimeMs}:${st.size}`;
  const hit = lockCache.get(file);
  if (hit && hit.key === key) return hit.lock;
  let lock: Lock | undefined;
  try {
    const raw = JSON.parse(readFileSync(file, 'utf8')) as Partial<Lock>;
    lock = raw.packages ? (raw as Lock) : undefined;
  } catch {
    throw new FerryError('CONFIG_INVALID', 'package-lock.json is not valid JSON. Run `npm install` to rewrite it.');
  }
  lockCache.set(file, { key, lock });
  return lock;
}

/** Resolves `name` as Node would from the lock location `from` (nested node_modules first). */
function lockResolve(lock: Lock, from: string, name: string): string | undefined {
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
export function lockClosure(lock: Lock, names: Iterable<string>): Record<string, string> {
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

/**
 * Input files of `app` that changed between `gitRevision` and the working tree (committed, staged,
 * unstaged and untracked changes), plus `package-lock.json` / `tsconfig.base.json` when they changed
 * (they may change the tag through package versions or compiler options). Sorted, workspace-relative.
 */
export async function changedInputsSince(app: ResolvedApp, graph: ProjectGraphLite, gitRevision: string): Promise<string[]> {
  const root = app.workspaceRoot;
  if (!/^[A-Za-z0-9_./@{}~^-]+$/.test(gitRevision) || gitRevision.startsWith('-')) {
    throw new FerryError('USAGE', `Not a git revision: ${JSON.stringify(gitRevision)}. Example: HEAD~1, main or a commit sha.`);
  }
  const verified = (await runGit(root, ['rev-parse', '--verify', '--quiet', `${gitRevision}^{commit}`], { allowFail: true })).trim();
  if (!verified) throw new FerryError('GIT_FAILED', `Unknown git revision ${JSON.stringify(gitRevision)}. Check the name with \`git log --oneline\`.`);
  const projects = [app.app.project, ...transitiveDependencies(graph, app.app.project)];
  const dockerfileRel = toPosix(relative(root, resolve(app.projectRoot, app.app.dockerfile)));
  const [diffOut, untrackedOut] = await Promise.all([
    runGit(root, ['diff', '--name-only', '-z', '--no-renames', verified]),
    runGit(root, ['ls-files', '-o', '--exclude-standard', '-z']),
  ]);
  const owners = new ProjectOwners(graph);
  const sel = inputSelector(app, graph, readNxNamedInputs(root));
  const wanted = new Set(projects);
  const out = new Set<string>();
  for (const path of [...diffOut.split('\0'), ...untrackedOut.split('\0')]) {
    if (!path) continue;
    if (path === dockerfileRel || path === 'package-lock.json' || path === 'tsconfig.base.json') out.add(path);
    else {
      const owner = owners.owner(path);
      if (owner ? wanted.has(owner) && sel.keepProjectFile(owner, path) : sel.keepWorkspaceFile(path)) out.add(path);
    }
  }
  return [...out].sort();
}

function gitBlobSha(content: Buffer): string {
  return createHash('sha1').update(`blob ${content.length}\0`).update(content).digest('hex');
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function toPosix(p: string): string {
  return p.split('\\').join('/');
}

function sortRecord(r: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.keys(r).sort().map((k) => [k, r[k]]));
}

function readNxNamedInputs(root: string): Record<string, NxInput[]> {
  const nx = readJsonc(join(root, 'nx.json'));
  return (nx?.namedInputs as Record<string, NxInput[]>) ?? {};
}

/** JSON with sorted keys at every level: the same value always gives the same text. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value as object).sort().map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** Parses JSON with comments and trailing commas (tsconfig files); undefined when missing or unreadable. */
export function readJsonc(file: string): Record<string, unknown> | undefined {
  if (!existsSync(file)) return undefined;
  const text = readFileSync(file, 'utf8');
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      out += text.slice(i, j + 1);
      i = j;
    } else if (c === '/' && text[i + 1] === '/') {
      while (i < text.length && text[i] !== '\n') i++;
      out += '\n';
    } else if (c === '/' && text[i + 1] === '*') {
      i = text.indexOf('*/', i + 2);
      if (i < 0) break;
      i++;
    } else out += c;
  }
  try {
    return JSON.parse(out.replace(/,(\s*[}\]])/g, '$1')) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}
