/**
 * Which files are inputs of an app's image: the selection rules of docs/content-tag.md ("Which
 * project files count"), and which project owns a file.
 */
import { relative, resolve } from 'node:path';
import type { ResolvedApp } from '../config-types.ts';
import { targetFileMatcher } from '../build-inputs.ts';
import { transitiveDependencies, type NxInput, type ProjectGraphLite } from '../graph.ts';
import { dockerignoreFor } from './dockerignore.ts';
import { createContentTagMemo, type ContentTagMemo } from './memo.ts';

/**
 * ferry's own records under a project (`<projectRoot>/dist/ferry/<env>/image.json`,
 * docker/image-record.ts): written after each build, so counting them would give every run a new
 * tag when the build context holds `dist/` and .gitignore does not cover them.
 */
export const RECORDS_DIR = 'dist/ferry/';

/** Is `path` (workspace-relative) inside ferry's records of the project rooted at `projectRoot`? */
export function isFerryRecord(projectRoot: string, path: string): boolean {
  const root = projectRoot === '' || projectRoot === '.' ? '' : `${projectRoot.replace(/\/+$/, '')}/`;
  return path.startsWith(`${root}${RECORDS_DIR}`);
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
 * `deploy.json` and the task definition templates it names never count: they configure the
 * service, not the image; nor do ferry's records
 * under a project (`dist/ferry/`), whatever .gitignore says.
 */
export interface InputSelector {
  /** The app's project and every project it depends on, transitively. */
  projects: string[];
  keepProjectFile(owner: string, path: string): boolean;
  keepWorkspaceFile(path: string): boolean;
  hasWorkspaceInputs: boolean;
  /** Where in the workspace this app's inputs can be, as literal git pathspecs; undefined = anywhere. */
  pathspecs: string[] | undefined;
  /** The Dockerfile, workspace-relative. */
  dockerfileRel: string;
}

/** Builds the selector of one app: once per app and tagging pass (it compiles globs and reads the ignore file). */
export function inputSelector(app: ResolvedApp, graph: ProjectGraphLite, nxNamedInputs: Record<string, NxInput[]>, memo: ContentTagMemo = createContentTagMemo()): InputSelector {
  const project = app.app.project;
  const projects = [project, ...transitiveDependencies(graph, project)];
  const contextAbs = resolve(app.projectRoot, app.app.context);
  const contextRel = toPosix(relative(app.workspaceRoot, contextAbs));
  const dockerfileAbs = resolve(app.projectRoot, app.app.dockerfile);
  const dockerfileRel = toPosix(relative(app.workspaceRoot, dockerfileAbs));
  const ig = dockerignoreFor(dockerfileAbs, contextAbs, memo);
  // Task definition templates (deploy.json `taskDefinition`, any environment's) configure the service, like deploy.json.
  const templates = new Set(
    [app.app.taskDefinition, ...Object.values(app.app.environments ?? {}).map((o) => o?.taskDefinition)]
      .filter((f): f is string => typeof f === 'string')
      .map((f) => toPosix(relative(app.workspaceRoot, resolve(app.projectRoot, f)))),
  );
  const build = graph.nodes[project]?.targetNames.includes('build') ? targetFileMatcher(graph, project, 'build', nxNamedInputs) : undefined;
  const covered = new Set(build?.projects ?? []);
  const inContext = (path: string): string | undefined =>
    contextRel === '' ? path : path.startsWith(`${contextRel}/`) ? path.slice(contextRel.length + 1) : undefined;
  const pathspecs = (): string[] | undefined => {
    const prefixes = build?.workspacePrefixes ?? [];
    if (prefixes.includes('')) return undefined;
    const roots = projects.map((p) => graph.nodes[p]?.root ?? '');
    if (roots.some((r) => r === '' || r === '.')) return undefined;
    return [...roots, ...prefixes, dockerfileRel];
  };
  return {
    projects,
    hasWorkspaceInputs: !!build,
    pathspecs: pathspecs(),
    dockerfileRel,
    keepProjectFile(owner, path) {
      if (path === 'deploy.json' || path.endsWith('/deploy.json') || templates.has(path)) return false;
      if (isFerryRecord(graph.nodes[owner]?.root ?? '', path)) return false;
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

/** Maps a workspace-relative file to the project owning it (the deepest project root containing it). */
export class ProjectOwners {
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

/** Does `path` (workspace-relative) count for the app of `selector`, whoever owns it? */
export function isInput(selector: InputSelector, owners: ProjectOwners, path: string): boolean {
  const owner = owners.owner(path);
  return owner ? selector.projects.includes(owner) && selector.keepProjectFile(owner, path) : selector.keepWorkspaceFile(path);
}

export function toPosix(p: string): string {
  return p.split('\\').join('/');
}
