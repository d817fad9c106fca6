/**
 * What `nx g …:app <project>` can learn about an app from its files, as pure functions over file
 * contents (the generator reads the Tree; these decide). Every guess is reported with where it came
 * from, so the person running the generator knows what to confirm.
 */

/** A project file: path relative to the project root (`/`-separated) and a way to read it. */
export interface ProjectFile {
  path: string;
  read(): string;
}

/** The fields of deploy.json the generator can infer, and why. */
export interface AppInference {
  dockerfile?: string;
  context?: string;
  containerPort?: number;
  healthCheckPath?: string;
  /** Set when the health route answers something other than 200 (a `204` in its handler). */
  healthCheckStatus?: number;
  /** A container health check for a Node image that knows its health route (node's own fetch, no curl in the image needed). */
  containerHealthCheck?: { command: string[]; interval: number; timeout: number; retries: number; startPeriod: number };
  /** A Node image: an init process as PID 1 so SIGTERM stops it at once (node ignores it as PID 1 without handlers). */
  initProcessEnabled?: boolean;
  /** The build arg that names the base image (`ARG X` … `FROM ${X}`). */
  baseImageArg?: string;
  /** One line per inferred value or missing piece, for the generator's log. */
  notes: string[];
}

const SOURCE = /\.(?:[cm]?js|[cm]?ts|jsx|tsx)$/;
const SKIP_DIR = /(?:^|\/)(?:node_modules|dist|build|coverage|\.nx|\.git)(?:\/|$)/;
const TEST_FILE = /\.(?:test|spec)\.[cm]?[jt]sx?$/;

/** Dockerfiles of a project: `Dockerfile`, `Dockerfile.<x>`, `<x>.Dockerfile`; the top-level plain one first. */
export function findDockerfiles(paths: readonly string[]): string[] {
  const isDockerfile = (p: string) => /^(?:Dockerfile(?:\.[\w.-]+)?|[\w.-]+\.Dockerfile)$/i.test(p.split('/').pop() ?? '');
  const rank = (p: string) => [p.split('/').length, /^Dockerfile$/i.test(p.split('/').pop() ?? '') ? 0 : 1, p] as const;
  return paths
    .filter((p) => !SKIP_DIR.test(p) && isDockerfile(p))
    .sort((a, b) => {
      const [da, pa, sa] = rank(a);
      const [db, pb, sb] = rank(b);
      return da - db || pa - pb || sa.localeCompare(sb);
    });
}

/** Dockerfile instructions with line continuations joined and comments dropped. */
function instructions(dockerfile: string): Array<{ op: string; args: string }> {
  const out: Array<{ op: string; args: string }> = [];
  const joined = dockerfile.replace(/\\\r?\n/g, ' ');
  for (const raw of joined.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const m = /^(\S+)\s*(.*)$/.exec(line);
    if (m) out.push({ op: m[1].toUpperCase(), args: m[2] });
  }
  return out;
}

/** The first port of an `EXPOSE` (`EXPOSE 8080/tcp` -> 8080). */
export function exposedPort(dockerfile: string): number | undefined {
  for (const { op, args } of instructions(dockerfile)) {
    if (op !== 'EXPOSE') continue;
    const m = /^(\d{1,5})(?:\/tcp)?\b/.exec(args.trim());
    if (m && Number(m[1]) >= 1 && Number(m[1]) <= 65535) return Number(m[1]);
  }
  return undefined;
}

/** The ARG named by the first `FROM ${X}` / `FROM $X` that an earlier `ARG X` declares. */
export function baseImageArg(dockerfile: string): string | undefined {
  const declared = new Set<string>();
  for (const { op, args } of instructions(dockerfile)) {
    if (op === 'ARG') {
      const name = /^([A-Za-z_][A-Za-z0-9_]*)/.exec(args.trim())?.[1];
      if (name) declared.add(name);
    } else if (op === 'FROM') {
      const image = args.trim().replace(/^--platform=\S+\s+/, '').split(/\s+/)[0] ?? '';
      const name = /^\$\{?([A-Za-z_][A-Za-z0-9_]*)(?::-[^}]*)?\}?$/.exec(image)?.[1];
      if (name && declared.has(name)) return name;
    }
  }
  return undefined;
}

/** Source paths of `COPY`/`ADD` instructions (not `--from` stage copies, not URLs). */
export function copySources(dockerfile: string): string[] {
  const sources: string[] = [];
  for (const { op, args } of instructions(dockerfile)) {
    if (op !== 'COPY' && op !== 'ADD') continue;
    const words = args.trim().startsWith('[') ? safeJsonArray(args) : args.trim().split(/\s+/);
    const plain = words.filter((w) => !w.startsWith('--'));
    if (words.some((w) => w.startsWith('--from'))) continue;
    for (const src of plain.slice(0, -1)) if (!/^[a-z]+:\/\//i.test(src)) sources.push(src);
  }
  return sources;
}

function safeJsonArray(text: string): string[] {
  try {
    const v = JSON.parse(text) as unknown;
    return Array.isArray(v) ? v.map(String) : [];
  } catch {
    return [];
  }
}

/** A `PORT` default in sources: `process.env.PORT ?? 3000`, `process.env.PORT || '8080'`. */
export function sourcePort(source: string): number | undefined {
  const m = /process\.env\.PORT\s*\)?\s*(?:\?\?|\|\|)\s*['"`]?(\d{2,5})\b/.exec(source) ?? /process\.env\[['"]PORT['"]\]\s*\)?\s*(?:\?\?|\|\|)\s*['"`]?(\d{2,5})\b/.exec(source);
  const n = m ? Number(m[1]) : NaN;
  return n >= 1 && n <= 65535 ? n : undefined;
}

/** Health routes, most specific convention first. */
const HEALTH_PATHS = ['/healthz', '/health', '/livez', '/readyz', '/ping', '/status'];

/** Health-looking route literals in a source file (`'/healthz'`, `"/health"`), in HEALTH_PATHS order. */
export function healthPaths(source: string): string[] {
  return HEALTH_PATHS.filter((p) => new RegExp(`['"\`]${p.replace('/', '\\/')}/?['"\`?]`).test(source));
}

/**
 * The status a health route answers when its handler says so near the route literal: `204` in
 * `res.writeHead(204)`, `.status(204)`, `.sendStatus(204)`, `.code(204)`, `statusCode = 204`,
 * `new Response(null, { status: 204 })`. Anything else is taken as 200.
 */
export function healthStatus(source: string, path: string): number | undefined {
  const at = source.search(new RegExp(`['"\`]${path.replace('/', '\\/')}/?['"\`?]`));
  if (at < 0) return undefined;
  const near = source.slice(at, at + 400);
  const m = /(?:writeHead|status|sendStatus|code)\(\s*(\d{3})\b|statusCode\s*=\s*(\d{3})\b|status:\s*(\d{3})\b/.exec(near);
  const n = m ? Number(m[1] ?? m[2] ?? m[3]) : undefined;
  return n && n >= 200 && n < 300 && n !== 200 ? n : undefined;
}

/** Whether the Dockerfile's final stage runs node (a `node` base image or a node CMD/ENTRYPOINT). */
export function runsNode(dockerfile: string): boolean {
  const ops = instructions(dockerfile);
  const lastFrom = ops.map((o) => o.op).lastIndexOf('FROM');
  const final = ops.slice(Math.max(0, lastFrom));
  const from = final[0]?.op === 'FROM' ? final[0].args : '';
  return /(?:^|[/\s])node(?::|@|\s|$)/.test(from) || final.some((o) => (o.op === 'CMD' || o.op === 'ENTRYPOINT') && /(?:^|["\s/\[])node["\s]/.test(o.args));
}

/**
 * A container health check through node's own fetch (Node 18+), so the image needs no curl or
 * wget. It reads $PORT first (the port the task's environment gives the app), else containerPort.
 */
export function nodeHealthCheck(port: number, path: string, status = 200): NonNullable<AppInference['containerHealthCheck']> {
  const ok = status === 200 ? 'r.ok' : `r.status===${status}`;
  const script = `fetch('http://127.0.0.1:'+(process.env.PORT||${port})+'${path}').then(r=>process.exit(${ok}?0:1),()=>process.exit(1))`;
  return { command: ['CMD', 'node', '-e', script], interval: 10, timeout: 5, retries: 3, startPeriod: 10 };
}

/**
 * Where a build target's declared outputs land, relative to the workspace root: `{workspaceRoot}/x`
 * and `{projectRoot}/x` resolved, `{options.outputPath}` read from the target's options; anything
 * else with a token left unresolved is dropped.
 */
export function buildOutputs(outputs: readonly string[] | undefined, projectRoot: string, options: Record<string, unknown> = {}): string[] {
  const out: string[] = [];
  for (const raw of outputs ?? []) {
    const resolved = raw
      .replace(/\{options\.([\w.]+)\}/g, (m, key: string) => (typeof options[key] === 'string' ? String(options[key]) : m))
      .replace(/^\{workspaceRoot\}\/?/, '')
      .replace(/^\{projectRoot\}/, projectRoot)
      .replace(/^\.\//, '')
      .replace(/\/+$/, '');
    if (!resolved.includes('{') && !resolved.startsWith('!')) out.push(resolved || '.');
  }
  return out;
}

/** Whether a workspace-relative path is at or under one of the outputs (it will exist after the build). */
export function underOutputs(path: string, outputs: readonly string[]): boolean {
  const p = norm(path);
  return outputs.some((o) => o === '.' || p === o || p.startsWith(`${o}/`) || o.startsWith(`${p}/`));
}

/**
 * The build context for a Dockerfile: the project root when every COPY source exists there, else
 * the workspace root when they all exist there (a Dockerfile that copies workspace libraries), else
 * nothing (keep ferry's default and say so).
 */
export function inferContext(
  sources: readonly string[],
  existsInProject: (p: string) => boolean,
  existsInWorkspace: (p: string) => boolean,
  projectToWorkspace: string,
): string | undefined {
  const literal = sources.filter((s) => !/[*?[]/.test(s) && !s.includes('$'));
  if (literal.length === 0 || literal.every((s) => existsInProject(norm(s)))) return '.';
  if (literal.every((s) => existsInWorkspace(norm(s)))) return projectToWorkspace;
  return undefined;
}

function norm(p: string): string {
  return p.replace(/^\.\//, '').replace(/\/+$/, '') || '.';
}

/** Everything inferable about one project. `files` are the project's files; the exists-checks see the workspace. */
export function inferApp(
  files: readonly ProjectFile[],
  exists: {
    inProject(p: string): boolean;
    inWorkspace(p: string): boolean;
    projectToWorkspace: string;
    /** The project's root and its build target's outputs (workspace-relative), which exist only after a build. */
    projectRoot?: string;
    buildOutputs?: readonly string[];
  },
): AppInference {
  const notes: string[] = [];
  const out: AppInference = { notes };
  const byPath = new Map(files.map((f) => [f.path, f]));
  const dockerfiles = findDockerfiles(files.map((f) => f.path));
  let dockerText = '';
  if (dockerfiles.length === 0) {
    notes.push('no Dockerfile found in the project: add one and set "dockerfile" in deploy.json');
  } else {
    out.dockerfile = dockerfiles[0];
    dockerText = byPath.get(dockerfiles[0])!.read();
    notes.push(`dockerfile: ${dockerfiles[0]}${dockerfiles.length > 1 ? ` (also found: ${dockerfiles.slice(1).join(', ')})` : ''}`);
    // A COPY of the build's output (`COPY dist/ ...`) names a path that exists only after the build:
    // the build target's declared outputs count as existing, where they land.
    const outputs = exists.buildOutputs ?? [];
    const root = exists.projectRoot ?? '.';
    const inProjectOrBuilt = (p: string) => exists.inProject(p) || underOutputs(root === '.' ? p : `${root}/${p}`, outputs);
    const inWorkspaceOrBuilt = (p: string) => exists.inWorkspace(p) || underOutputs(p, outputs);
    const context = inferContext(copySources(dockerText), inProjectOrBuilt, inWorkspaceOrBuilt, exists.projectToWorkspace);
    const fromBuild = copySources(dockerText).filter((s) => !exists.inProject(norm(s)) && !exists.inWorkspace(norm(s)));
    if (context === undefined) notes.push('context: the COPY sources exist neither in the project nor at the workspace root (nor among the build target\'s outputs); set "context" by hand');
    else {
      out.context = context;
      notes.push(`context: ${context === '.' ? 'the project folder' : `${context} (the Dockerfile copies files from outside the project)`}${fromBuild.length ? ` (${fromBuild.join(', ')} from the build target's outputs)` : ''}`);
    }
    out.baseImageArg = baseImageArg(dockerText);
    if (runsNode(dockerText)) {
      out.initProcessEnabled = true;
      notes.push('initProcessEnabled: true (node as PID 1 ignores SIGTERM unless it handles it; with an init process the task stops at once instead of after stopTimeout)');
    }
    if (out.baseImageArg) notes.push(`base image build arg: ${out.baseImageArg}`);
  }
  const sources = files.filter((f) => SOURCE.test(f.path) && !SKIP_DIR.test(f.path) && !TEST_FILE.test(f.path)).sort((a, b) => a.path.localeCompare(b.path));
  const exposed = dockerText ? exposedPort(dockerText) : undefined;
  if (exposed) {
    out.containerPort = exposed;
    notes.push(`containerPort: ${exposed} (EXPOSE in ${out.dockerfile})`);
  } else {
    for (const f of sources) {
      const port = sourcePort(f.read());
      if (port) {
        out.containerPort = port;
        notes.push(`containerPort: ${port} (PORT default in ${f.path})`);
        break;
      }
    }
    if (!out.containerPort) notes.push('containerPort: none found (a worker?); set it if the app serves HTTP');
  }
  if (out.containerPort) {
    const found = new Map<string, string>();
    for (const f of sources) for (const p of healthPaths(f.read())) if (!found.has(p)) found.set(p, f.path);
    const best = HEALTH_PATHS.find((p) => found.has(p));
    if (best) {
      out.healthCheckPath = best;
      const status = healthStatus(byPath.get(found.get(best)!)!.read(), best);
      if (status) out.healthCheckStatus = status;
      notes.push(`healthCheckPath: ${best} (route in ${found.get(best)}): confirm it answers ${status ?? 200}`);
      if (dockerText && runsNode(dockerText)) {
        out.containerHealthCheck = nodeHealthCheck(out.containerPort, best, status);
        notes.push(`containerHealthCheck: GET ${best} through node's fetch inside the container (ECS marks the task UNHEALTHY when it fails)`);
      }
    } else notes.push('healthCheckPath: no health route found; set one so health-check can probe the app');
  }
  return out;
}
