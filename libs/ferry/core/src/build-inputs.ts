/**
 * Which files an Nx target reads, from its `inputs` (a subset of Nx's semantics that covers what
 * workspaces write): named inputs (project-level over nx.json), `{projectRoot}/glob`,
 * `{workspaceRoot}/glob`, `^name` (the named input of every dependency, transitively), `!`
 * negations and `{ fileset }`. `externalDependencies`, `runtime` and `env` entries are ignored:
 * the content tag covers npm packages through the lock file and does not hash the environment.
 */
import ignore, { type Ignore } from 'ignore';
import type { NxInput, ProjectGraphLite } from './graph.ts';
import { transitiveDependencies } from './graph.ts';

/** Nx's default when a target declares no inputs. */
const DEFAULT_TARGET_INPUTS: NxInput[] = ['default', '^default'];
const DEFAULT_NAMED: Record<string, NxInput[]> = { default: ['{projectRoot}/**/*'] };

interface Globs {
  include: string[];
  exclude: string[];
}

/** The files a target reads: a predicate per project plus workspace-level patterns. */
export interface TargetFileMatcher {
  /** Does `path` (workspace-relative) of project `project` feed the target? */
  matches(project: string, path: string): boolean;
  /** Is `path` a workspace-root input (`{workspaceRoot}/…`) of the target? */
  matchesWorkspaceFile(path: string): boolean;
  /** Projects whose files feed the target (the project and the dependencies reached through `^`). */
  projects: string[];
  /**
   * Workspace-relative directories or files that hold every `{workspaceRoot}/…` input (the part of
   * each pattern before its first glob character); '' when a pattern starts with a glob.
   */
  workspacePrefixes: string[];
}

export function targetFileMatcher(
  graph: ProjectGraphLite,
  project: string,
  target: string,
  nxJsonNamedInputs: Record<string, NxInput[]>,
): TargetFileMatcher {
  const node = graph.nodes[project];
  const inputs = node.targetInputs[target] ?? DEFAULT_TARGET_INPUTS;
  const perProject = new Map<string, Globs>();
  const workspace: Globs = { include: [], exclude: [] };
  const globsFor = (p: string) => {
    let g = perProject.get(p);
    if (!g) perProject.set(p, (g = { include: [], exclude: [] }));
    return g;
  };
  const named = (p: string, name: string): NxInput[] | undefined =>
    graph.nodes[p]?.namedInputs[name] ?? nxJsonNamedInputs[name] ?? DEFAULT_NAMED[name];

  const expand = (p: string, list: NxInput[], seen: Set<string>, allowDeps: boolean) => {
    for (const input of list) {
      const text = typeof input === 'string' ? input : typeof input.fileset === 'string' ? input.fileset : undefined;
      if (text === undefined) continue;
      if (text.startsWith('^')) {
        if (!allowDeps) continue;
        const name = text.slice(1);
        for (const dep of transitiveDependencies(graph, p)) expand(dep, named(dep, name) ?? [], new Set([name]), false);
        continue;
      }
      const negated = text.startsWith('!');
      const body = negated ? text.slice(1) : text;
      if (body.startsWith('{projectRoot}')) {
        const rel = body.slice('{projectRoot}'.length).replace(/^\/+/, '');
        const g = globsFor(p);
        (negated ? g.exclude : g.include).push(`/${rel || '**'}`);
      } else if (body.startsWith('{workspaceRoot}')) {
        const rel = body.slice('{workspaceRoot}'.length).replace(/^\/+/, '');
        (negated ? workspace.exclude : workspace.include).push(`/${rel}`);
      } else if (!negated && !seen.has(body)) {
        const def = named(p, body);
        if (def) expand(p, def, new Set([...seen, body]), allowDeps);
      }
    }
  };
  expand(project, inputs, new Set(), true);

  const compiled = new Map<string, { inc: Ignore; exc: Ignore; root: string }>();
  for (const [p, g] of perProject) {
    compiled.set(p, { inc: ignore().add(g.include), exc: ignore().add(g.exclude), root: graph.nodes[p].root });
  }
  const wsInc = ignore().add(workspace.include);
  const wsExc = ignore().add(workspace.exclude);
  return {
    projects: [...perProject.keys()].sort(),
    workspacePrefixes: workspace.include.map((pattern) => {
      const literal = pattern.slice(1).split('/');
      const firstGlob = literal.findIndex((seg) => /[*?[\]{}!]/.test(seg));
      return (firstGlob < 0 ? literal : literal.slice(0, firstGlob)).join('/');
    }),
    matches(p, path) {
      const c = compiled.get(p);
      if (!c) return false;
      const rel = path.slice(c.root.length + 1);
      return c.inc.ignores(rel) && !c.exc.ignores(rel);
    },
    matchesWorkspaceFile(path) {
      return workspace.include.length > 0 && wsInc.ignores(path) && !wsExc.ignores(path);
    },
  };
}

export type { Globs };
