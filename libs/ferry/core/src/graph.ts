/**
 * The Nx project graph, reduced to what ferry needs. Nx computes it, so project inference and
 * import analysis are exactly Nx's; ferry asks through @nx/devkit's public API, loaded from the
 * workspace's own node_modules (never bundled into ferry: one Nx per process, the workspace's). In
 * Nx's batch worker the same functions come from the Nx modules already loaded there.
 *
 * - Inside an Nx task (NX_TASK_TARGET_PROJECT is set) Nx has just computed the graph:
 *   `readCachedProjectGraph()` reads it (milliseconds).
 * - Elsewhere `createProjectGraphAsync()` computes it with Nx's own defaults: from the Nx daemon
 *   when it is enabled, else in this process with Nx's incremental caches.
 * - Nx binds itself to one workspace per process (the one around the directory it was loaded
 *   from). A graph of another workspace is computed by a short child process started there.
 *
 * Within a run (a RunSession) it is computed once per workspace root.
 */
import { realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { ProjectGraph } from '@nx/devkit';
import { FerryError } from './errors.ts';
import { ExecError, exec } from './exec.ts';
import { PromiseMemo, sessionPart, type RunSession } from './session.ts';

/** One Nx project. */
export interface ProjectNodeLite {
  name: string;
  /** Project root relative to the workspace root, `/`-separated (e.g. `apps/api`). */
  root: string;
  type: 'app' | 'lib' | 'e2e';
  /** Names of the project's targets. */
  targetNames: string[];
  /** Nx `inputs` of each target that declares them (targetDefaults already merged by Nx). */
  targetInputs: Record<string, NxInput[]>;
  /** Project-level `namedInputs` (override nx.json's). */
  namedInputs: Record<string, NxInput[]>;
}

/** One entry of an Nx `inputs` array: a named input, a fileset string, or an object form. */
export type NxInput = string | Record<string, unknown>;

/** The project graph as ferry uses it. */
export interface ProjectGraphLite {
  nodes: Record<string, ProjectNodeLite>;
  /** project -> the projects it depends on directly (see `transitiveDependencies`). */
  dependencies: Record<string, string[]>;
  /** project -> npm package names it imports directly (Nx's `npm:` dependencies). */
  externalDependencies: Record<string, string[]>;
  /** npm package name -> version as Nx resolved it from the lock file (fallback when there is no package-lock.json). */
  externalVersions: Record<string, string>;
  /** Where this graph came from: computed by Nx (`createProjectGraphAsync`), or the graph Nx computed for the running task. */
  source?: 'nx' | 'nx-cache';
}

/** The run's project graphs, by workspace root: a run reads the graph once. */
export const projectGraphMemo = sessionPart('project graph', () => new PromiseMemo<ProjectGraphLite>());

/**
 * The project graph of the workspace at `workspaceRoot`: with a session, once per run and root;
 * without one, read now.
 */
export function getProjectGraph(workspaceRoot: string, session?: RunSession): Promise<ProjectGraphLite> {
  if (!session) return loadGraph(workspaceRoot);
  return session.use(projectGraphMemo).get(workspaceRoot, () => loadGraph(workspaceRoot));
}

/** All projects `project` depends on, directly or not (without `project` itself), sorted. */
export function transitiveDependencies(graph: ProjectGraphLite, project: string): string[] {
  const seen = new Set<string>();
  const stack = [...(graph.dependencies[project] ?? [])];
  while (stack.length) {
    const p = stack.pop()!;
    if (p === project || seen.has(p)) continue;
    seen.add(p);
    stack.push(...(graph.dependencies[p] ?? []));
  }
  return [...seen].sort();
}

/** The part of @nx/devkit ferry uses: the same in Nx 23 and 24. */
interface NxDevkit {
  workspaceRoot: string;
  readCachedProjectGraph(): ProjectGraph;
  createProjectGraphAsync(opts?: { exitOnError: boolean }): Promise<ProjectGraph>;
}

async function loadGraph(root: string): Promise<ProjectGraphLite> {
  const devkit = nxGraphApi(root);
  if (!sameDir(devkit.workspaceRoot, root)) return reduced(await graphOfOtherWorkspace(root));
  const taskProject = process.env.NX_TASK_TARGET_PROJECT;
  if (taskProject) {
    const graph = cachedGraph(devkit, taskProject);
    if (graph) return { ...reduceGraph(graph), source: 'nx-cache' };
  }
  try {
    return { ...reduceGraph(await devkit.createProjectGraphAsync({ exitOnError: false })), source: 'nx' };
  } catch (e) {
    throw graphFailed(root, nxErrorLines(e).join('\n'), e);
  }
}

/** An error of Nx's as lines: its message, then each error a ProjectGraphError gathered. */
function nxErrorLines(e: unknown): string[] {
  const gathered = (e as { getErrors?: () => unknown[] })?.getErrors?.() ?? [];
  return [e, ...gathered.flatMap((x) => (x instanceof AggregateError ? x.errors : [x]))].map((x) => String((x as Error)?.message ?? x));
}

/**
 * The graph Nx computed for the task this process runs, when there is one and it is this run's:
 * the project Nx is running must be in it. Undefined otherwise (then it is computed).
 */
function cachedGraph(devkit: NxDevkit, taskProject: string): ProjectGraph | undefined {
  try {
    const graph = devkit.readCachedProjectGraph();
    return graph.nodes[taskProject] ? graph : undefined;
  } catch {
    return undefined;
  }
}

/** The graph functions of the workspace's own Nx: @nx/devkit as the workspace installed it. */
function nxGraphApi(root: string): NxDevkit {
  const req = createRequire(join(root, 'package.json'));
  const loaded = loadedByNx(req);
  if (loaded) return loaded;
  try {
    return req('@nx/devkit') as NxDevkit;
  } catch (e) {
    throw new FerryError('GRAPH_FAILED', `Nx is not installed in ${root} (no @nx/devkit in its node_modules). Run \`npm install --save-dev nx @nx/devkit\` in the workspace root.`, { cause: e });
  }
}

/**
 * In a process Nx runs ferry in (its batch worker), Nx has already loaded the modules @nx/devkit
 * re-exports these functions from; requiring @nx/devkit there would load ~200 more modules
 * (100–300 ms per batch) for the same functions. So they are taken from Nx's loaded modules when
 * Nx loaded them, and never loaded from there: undefined otherwise (then @nx/devkit is used).
 */
function loadedByNx(req: NodeJS.Require): NxDevkit | undefined {
  try {
    const graph = req.cache[req.resolve('nx/src/project-graph/project-graph')]?.exports as Partial<NxDevkit> | undefined;
    const where = req.cache[req.resolve('nx/src/utils/workspace-root')]?.exports as { workspaceRoot?: unknown } | undefined;
    const { readCachedProjectGraph, createProjectGraphAsync } = graph ?? {};
    if (typeof readCachedProjectGraph !== 'function' || typeof createProjectGraphAsync !== 'function' || typeof where?.workspaceRoot !== 'string') return undefined;
    return { workspaceRoot: where.workspaceRoot, readCachedProjectGraph, createProjectGraphAsync };
  } catch {
    return undefined;
  }
}

function sameDir(a: string, b: string): boolean {
  try {
    return realpathSync(a) === realpathSync(b);
  } catch {
    return false;
  }
}

/**
 * What the child process runs (CommonJS, in the other workspace's root): the same two devkit calls,
 * the graph as JSON on stdout after a mark (Nx may print notes of its own before it).
 */
const MARK = '\n--ferry-project-graph--\n';
const CHILD = `
const MARK = ${JSON.stringify(MARK)};
const devkit = require('node:module').createRequire(require('node:path').join(process.cwd(), 'package.json'))('@nx/devkit');
const task = process.env.NX_TASK_TARGET_PROJECT;
(async () => {
  let graph, source = 'nx';
  if (task) {
    try {
      const g = devkit.readCachedProjectGraph();
      if (g.nodes[task]) (graph = g), (source = 'nx-cache');
    } catch {}
  }
  graph ??= await devkit.createProjectGraphAsync({ exitOnError: false });
  const { nodes, externalNodes, dependencies } = graph;
  process.stdout.write(MARK + JSON.stringify({ source, graph: { nodes, externalNodes, dependencies } }), () => process.exit(0));
})().catch((e) => {
  const gathered = (e && typeof e.getErrors === 'function' && e.getErrors()) || [];
  const lines = [e, ...gathered.flatMap((x) => (x instanceof AggregateError ? x.errors : [x]))].map((x) => String((x && x.message) || x));
  process.stderr.write(MARK + lines.join('\\n'));
  process.exit(1);
});
`;

async function graphOfOtherWorkspace(root: string): Promise<{ source: 'nx' | 'nx-cache'; graph: ProjectGraph }> {
  const r = await exec(process.execPath, ['-e', CHILD], { cwd: root, nothrow: true });
  if (r.exitCode !== 0) {
    const said = r.stderr;
    throw graphFailed(root, said.includes(MARK) ? said.slice(said.lastIndexOf(MARK) + MARK.length) : said || new ExecError(r).message, new ExecError(r));
  }
  try {
    return JSON.parse(r.stdout.slice(r.stdout.lastIndexOf(MARK) + MARK.length));
  } catch (e) {
    throw graphFailed(root, `unreadable answer from Nx: ${(e as Error).message}`, e);
  }
}

function reduced({ source, graph }: { source: 'nx' | 'nx-cache'; graph: ProjectGraph }): ProjectGraphLite {
  return { ...reduceGraph(graph), source };
}

function graphFailed(root: string, message: string, cause: unknown): FerryError {
  const lines = message.split('\n').map((l) => l.trim()).filter(Boolean);
  const what = lines[0] ? `: ${lines[0].replace(/\.$/, '')}` : '';
  return new FerryError('GRAPH_FAILED', `Nx could not compute the project graph in ${root}${what}. Run \`npx nx show projects\` there to see why.`, { details: lines.slice(1, 16), cause });
}

/** Reduces Nx's project graph to ProjectGraphLite (pure; exported for tests). */
export function reduceGraph(raw: ProjectGraph): ProjectGraphLite {
  const nodes: ProjectGraphLite['nodes'] = {};
  for (const [name, n] of Object.entries(raw.nodes)) {
    const targetInputs: Record<string, NxInput[]> = {};
    for (const [t, cfg] of Object.entries(n.data.targets ?? {})) if (Array.isArray(cfg?.inputs)) targetInputs[t] = cfg.inputs as NxInput[];
    nodes[name] = {
      name,
      root: n.data.root.replace(/\\/g, '/').replace(/\/$/, ''),
      type: n.type ?? 'lib',
      targetNames: Object.keys(n.data.targets ?? {}).sort(),
      targetInputs,
      namedInputs: (n.data.namedInputs as Record<string, NxInput[]> | undefined) ?? {},
    };
  }
  const externalVersions: Record<string, string> = {};
  for (const ext of Object.values(raw.externalNodes ?? {})) {
    if (ext.data?.packageName && ext.data.version && !externalVersions[ext.data.packageName]) externalVersions[ext.data.packageName] = ext.data.version;
  }
  const dependencies: ProjectGraphLite['dependencies'] = {};
  const externalDependencies: ProjectGraphLite['externalDependencies'] = {};
  for (const name of Object.keys(nodes)) {
    const projects = new Set<string>();
    const packages = new Set<string>();
    for (const d of raw.dependencies[name] ?? []) {
      if (nodes[d.target]) {
        if (d.target !== name) projects.add(d.target);
      } else if (d.target.startsWith('npm:')) {
        packages.add(raw.externalNodes?.[d.target]?.data.packageName ?? d.target.slice(4).replace(/@[^@/]+$/, ''));
      }
    }
    dependencies[name] = [...projects].sort();
    externalDependencies[name] = [...packages].sort();
  }
  return { nodes, dependencies, externalDependencies, externalVersions };
}
