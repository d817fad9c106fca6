/**
 * The Nx project graph, reduced to what ferry needs. Nx computes it (so project inference and
 * import analysis are exactly Nx's); ferry reads the graph Nx caches in its workspace-data
 * directory, which also carries the npm dependencies that `nx graph --file` leaves out.
 *
 * Cost: inside an Nx task (NX_TASK_TARGET_PROJECT is set) Nx has just written the graph, so it is
 * read from disk (milliseconds). Elsewhere ferry runs `nx show projects` once to refresh it (~2 s,
 * Nx's own incremental caches apply). Either way one process computes it once per workspace root.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, isAbsolute, join } from 'node:path';
import { FerryError } from './errors.ts';
import { runGit } from './git.ts';

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
  /** Where this graph came from: Nx just now, the graph Nx cached for the running task, or ferry's cache of an identical tree. */
  source?: 'nx' | 'nx-cache' | 'ferry-cache';
}

const cache = new Map<string, Promise<ProjectGraphLite>>();

/** Forgets graphs computed in this process (tests that change imports between calls). */
export function clearProjectGraphCache(): void {
  cache.clear();
}

/** The project graph of the workspace at `workspaceRoot`; computed once per process and root. */
export function getProjectGraph(workspaceRoot: string, opts: { refresh?: boolean } = {}): Promise<ProjectGraphLite> {
  let p = opts.refresh ? undefined : cache.get(workspaceRoot);
  if (!p) {
    p = loadGraph(workspaceRoot);
    cache.set(workspaceRoot, p);
    p.catch(() => cache.delete(workspaceRoot));
  }
  return p;
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

function workspaceDataDir(root: string): string {
  const dir = process.env.NX_WORKSPACE_DATA_DIRECTORY ?? process.env.NX_PROJECT_GRAPH_CACHE_DIRECTORY ?? join('.nx', 'workspace-data');
  return isAbsolute(dir) ? dir : join(root, dir);
}

async function loadGraph(root: string): Promise<ProjectGraphLite> {
  const dataDir = workspaceDataDir(root);
  const cached = join(dataDir, 'project-graph.json');
  const taskProject = process.env.NX_TASK_TARGET_PROJECT;
  if (taskProject && existsSync(cached)) {
    const graph = readCachedGraph(cached);
    // Sanity check that the cache belongs to this run: the project Nx is running must be in it.
    if (graph?.nodes[taskProject]) return { ...graph, source: 'nx-cache' };
  }
  // Outside Nx: reuse ferry's last graph when the working tree is exactly as it was then.
  const ferryCache = join(dataDir, 'ferry-project-graph.json');
  const key = await treeKey(root);
  if (key) {
    try {
      const saved = JSON.parse(readFileSync(ferryCache, 'utf8')) as { key: string; graph: ProjectGraphLite };
      if (saved.key === key && saved.graph?.nodes) return { ...saved.graph, source: 'ferry-cache' };
    } catch {
      // no cache yet, or unreadable: compute
    }
  }
  await refreshNxGraph(root);
  const graph = readCachedGraph(cached);
  if (!graph) throw new FerryError('GRAPH_FAILED', `Cannot read the Nx project graph at ${cached}. Run \`npx nx reset\` and retry.`);
  if (key) {
    try {
      mkdirSync(dataDir, { recursive: true });
      const tmp = `${ferryCache}.${process.pid}.tmp`;
      writeFileSync(tmp, JSON.stringify({ key, graph }));
      renameSync(tmp, ferryCache);
    } catch {
      // a cache we cannot write only costs time
    }
  }
  return { ...graph, source: 'nx' };
}

/**
 * A fingerprint of everything the project graph is computed from: the index (paths and blob shas
 * of tracked files: sources, project.json, nx.json, tsconfig, lock file, the Nx plugin), the
 * working-tree changes (paths with size and mtime), and the installed Nx version. Undefined when
 * git cannot answer (then there is no cache).
 */
async function treeKey(root: string): Promise<string | undefined> {
  try {
    const [ls, status] = await Promise.all([
      runGit(root, ['ls-files', '-s', '-z']),
      runGit(root, ['status', '--porcelain=v1', '-z', '--untracked-files=all', '--no-renames']),
    ]);
    const h = createHash('sha256').update('ferry-graph-cache/1\0').update(ls).update('\0').update(status);
    for (const entry of status.split('\0')) {
      if (entry.length < 4) continue;
      const path = entry.slice(3);
      try {
        const st = statSync(join(root, path));
        h.update(`\0${path}\0${st.size}\0${st.mtimeMs}`);
      } catch {
        h.update(`\0${path}\0gone`);
      }
    }
    try {
      h.update(readFileSync(join(dirname(createRequire(join(root, 'package.json')).resolve('nx/package.json')), 'package.json')));
    } catch {
      h.update('no-nx');
    }
    return h.digest('hex');
  } catch {
    return undefined;
  }
}

function readCachedGraph(file: string): ProjectGraphLite | undefined {
  try {
    return reduceGraph(JSON.parse(readFileSync(file, 'utf8')) as NxGraphFile);
  } catch {
    return undefined;
  }
}

interface NxGraphFile {
  nodes: Record<string, { name: string; type: string; data: { root: string; targets?: Record<string, { inputs?: NxInput[] }>; namedInputs?: Record<string, NxInput[]> } }>;
  externalNodes?: Record<string, { name: string; data: { packageName: string; version: string } }>;
  dependencies: Record<string, { source: string; target: string; type: string }[]>;
}

/** Reduces Nx's graph file to ProjectGraphLite (pure; exported for tests). */
export function reduceGraph(raw: NxGraphFile): ProjectGraphLite {
  const nodes: ProjectGraphLite['nodes'] = {};
  for (const [name, n] of Object.entries(raw.nodes)) {
    const targetInputs: Record<string, NxInput[]> = {};
    for (const [t, cfg] of Object.entries(n.data.targets ?? {})) if (Array.isArray(cfg?.inputs)) targetInputs[t] = cfg.inputs;
    nodes[name] = {
      name,
      root: n.data.root.replace(/\\/g, '/').replace(/\/$/, ''),
      type: (n.type as ProjectNodeLite['type']) ?? 'lib',
      targetNames: Object.keys(n.data.targets ?? {}).sort(),
      targetInputs,
      namedInputs: n.data.namedInputs ?? {},
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

function nxBin(root: string): string {
  try {
    const req = createRequire(join(root, 'package.json'));
    const pkgFile = req.resolve('nx/package.json');
    const pkg = JSON.parse(readFileSync(pkgFile, 'utf8')) as { bin: Record<string, string> | string };
    const bin = typeof pkg.bin === 'string' ? pkg.bin : pkg.bin.nx;
    return join(dirname(pkgFile), bin);
  } catch {
    throw new FerryError('GRAPH_FAILED', `Nx is not installed in ${root} (no node_modules/nx). Run \`npm install\` in the workspace root.`);
  }
}

/** Runs `nx show projects` so Nx recomputes and caches the project graph. */
function refreshNxGraph(root: string): Promise<void> {
  const bin = nxBin(root);
  return new Promise((resolvePromise, reject) => {
    execFile(
      process.execPath,
      [bin, 'show', 'projects', '--json'],
      { cwd: root, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false' } },
      (err, _stdout, stderr) => {
        if (err) {
          const lines = String(stderr).split('\n').map((l) => l.trim()).filter(Boolean);
          reject(new FerryError('GRAPH_FAILED', `Nx could not compute the project graph in ${root}. Run \`npx nx show projects\` there to see why.`, { details: lines.slice(0, 15), cause: err }));
          return;
        }
        resolvePromise();
      },
    );
  });
}
