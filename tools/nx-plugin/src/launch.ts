/**
 * How the script executor starts `scripts/<target>.ts`: from a pre-built esbuild bundle when one is
 * fresh, else through tsx.
 *
 * Why: every target is its own process, and `node --import tsx` transpiles ferry's libraries and
 * walks hundreds of AWS SDK modules in each of them (~1.5 s per process on 2 cores, measured in
 * docs/performance.md). One esbuild pass bundles all entry scripts at once (shared chunks, packages
 * included) into `.ferry/cache/scripts/` (gitignored); a bundled target starts in a fraction of that.
 *
 * The typed scripts stay the source of truth: the bundle records every workspace file it was built
 * from (size + mtime) plus the lock file, and any change makes the next launch rebuild it, so
 * nobody runs stale code. Concurrent launches (Nx runs tasks in parallel) each see a complete
 * bundle: builds go to a fresh folder and a manifest rename publishes them. Any bundling problem
 * falls back to tsx, which then reports the real error.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
// The process port itself (not @ferry/core's index): Nx loads this file, and it must stay light.
import { startProcess } from '../../../libs/ferry/core/src/exec.ts';

/** A command line for `node` (`runNode`). */
export interface Launch {
  args: string[];
  /** `bundle` when a fresh bundle runs, `tsx` otherwise (with why, for diagnostics). */
  mode: 'bundle' | 'tsx';
  reason?: string;
}

interface Manifest {
  version: number;
  dir: string;
  node: string;
  /** Workspace-relative path -> `size:mtimeMs` of every input outside node_modules, plus lock files. */
  inputs: Record<string, string>;
  /** Entry script (workspace-relative) -> bundle file (relative to the cache dir). */
  outputs: Record<string, string>;
}

const MANIFEST_VERSION = 1;
export const CACHE_DIR = join('.ferry', 'cache', 'scripts');
const LOCK_FILES = ['package-lock.json', 'node_modules/.package-lock.json'];

const fingerprint = (abs: string): string => {
  try {
    const s = statSync(abs);
    return `${s.size}:${s.mtimeMs}`;
  } catch {
    return 'missing';
  }
};

function readManifest(cache: string): Manifest | undefined {
  try {
    const m = JSON.parse(readFileSync(join(cache, 'manifest.json'), 'utf8')) as Manifest;
    return m.version === MANIFEST_VERSION ? m : undefined;
  } catch {
    return undefined;
  }
}

/** Why the manifest's bundle cannot run `entry` now, or undefined when it is fresh. */
export function staleReason(root: string, m: Manifest | undefined, entry: string): string | undefined {
  if (!m) return 'no bundle yet';
  if (m.node !== process.version) return `built for node ${m.node}`;
  if (!m.outputs[entry]) return `${entry} is not in the bundle`;
  for (const [path, print] of Object.entries(m.inputs)) {
    if (fingerprint(join(root, path)) !== print) return `${path} changed`;
  }
  // A script added next to the bundled ones is picked up by the next build.
  const dir = dirname(join(root, entry));
  for (const f of readdirSync(dir)) {
    if (f.endsWith('.ts') && !f.endsWith('.test.ts') && !m.outputs[relative(root, join(dir, f))]) return `${f} is new`;
  }
  return undefined;
}

/**
 * esbuild keeps each file's code but not its location: give workspace and package files their own
 * `import.meta.url`, `__dirname` and `__filename` (config.ts finds its JSON schemas that way).
 */
function locationPlugin() {
  return {
    name: 'ferry-file-location',
    setup(build: { onLoad: (o: { filter: RegExp }, cb: (a: { path: string }) => { contents: string; loader: string } | undefined) => void }) {
      build.onLoad({ filter: /\.(ts|mts|cts|js|mjs|cjs)$/ }, ({ path }) => {
        const text = readFileSync(path, 'utf8');
        if (!/import\.meta\.url|__dirname|__filename/.test(text)) return undefined;
        const url = JSON.stringify(pathToFileURL(path).href);
        const loader = /\.[mc]?ts$/.test(path) ? 'ts' : 'js';
        const cjs = path.endsWith('.cjs') || (!path.endsWith('.mjs') && !/^\s*(import|export)\s/m.test(text));
        const contents = cjs
          ? `var __filename = ${JSON.stringify(path)}, __dirname = ${JSON.stringify(dirname(path))};\n${text}`
          : text.replace(/\bimport\.meta\.url\b/g, url);
        return { contents, loader };
      });
    },
  };
}

/** Bundles every `scripts/*.ts` entry beside `entry` and publishes the manifest. */
export async function buildBundle(root: string, entry: string): Promise<Manifest> {
  // A variable specifier: the npm package's own bundler must not pull esbuild into the executor.
  const esbuild = 'esbuild';
  const { build } = (await import(esbuild)) as typeof import('esbuild');
  const cache = join(root, CACHE_DIR);
  const scriptsDir = dirname(join(root, entry));
  const entries = readdirSync(scriptsDir).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts')).map((f) => join(scriptsDir, f));
  const dir = `b-${Date.now().toString(36)}-${process.pid}`;
  const outdir = join(cache, dir);
  mkdirSync(outdir, { recursive: true });
  const tsconfig = ['tsconfig.base.json', 'tsconfig.json'].map((f) => join(root, f)).find(existsSync);
  const result = await build({
    absWorkingDir: root,
    entryPoints: entries,
    outdir,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: `node${process.versions.node.split('.')[0]}`,
    ...(tsconfig ? { tsconfig } : {}),
    metafile: true,
    logLevel: 'silent',
    // Packages bundled as CommonJS may still call require() for builtins at run time.
    banner: { js: "import { createRequire as __ferryCreateRequire } from 'node:module'; const require = __ferryCreateRequire(import.meta.url);" },
    plugins: [locationPlugin() as never],
  });
  const inputs: Record<string, string> = {};
  for (const path of [...Object.keys(result.metafile.inputs).filter((p) => !p.includes('node_modules/')), ...LOCK_FILES]) {
    inputs[path] = fingerprint(join(root, path));
  }
  for (const f of ['tsconfig.base.json', 'tsconfig.json']) if (existsSync(join(root, f))) inputs[f] = fingerprint(join(root, f));
  const outputs: Record<string, string> = {};
  for (const [out, meta] of Object.entries(result.metafile.outputs)) {
    if (meta.entryPoint) outputs[relative(root, resolve(root, meta.entryPoint))] = join(dir, basename(out));
  }
  const manifest: Manifest = { version: MANIFEST_VERSION, dir, node: process.version, inputs, outputs };
  const tmp = join(cache, `manifest.${process.pid}.json`);
  writeFileSync(tmp, JSON.stringify(manifest));
  renameSync(tmp, join(cache, 'manifest.json'));
  // Earlier builds: a process may still be starting from one, so only remove those a minute old.
  for (const old of readdirSync(cache)) {
    if (old.startsWith('b-') && old !== dir && Date.now() - statSync(join(cache, old)).mtimeMs > 60_000) rmSync(join(cache, old), { recursive: true, force: true });
  }
  return manifest;
}

/**
 * The node argv for a repository-mode launch (`--import tsx <abs script> ...args`): the same script
 * from a fresh bundle when possible. Any other argv (the npm package's bundled scripts) is returned
 * unchanged.
 */
export async function launchArgs(root: string, nodeArgs: string[]): Promise<Launch> {
  if (nodeArgs[0] !== '--import' || nodeArgs[1] !== 'tsx' || !nodeArgs[2]) return { args: nodeArgs, mode: 'tsx', reason: 'not a tsx launch' };
  const file = relative(root, nodeArgs[2]);
  const rest = nodeArgs.slice(3);
  const tsx = (reason: string): Launch => ({ args: nodeArgs, mode: 'tsx', reason });
  if (file.startsWith('..')) return tsx('script outside the workspace');
  const cache = join(root, CACHE_DIR);
  let manifest = readManifest(cache);
  let reason = staleReason(root, manifest, file);
  if (reason) {
    try {
      manifest = await buildBundle(root, file);
      reason = staleReason(root, manifest, file);
    } catch (e) {
      return tsx(`bundling failed: ${(e as Error).message.split('\n')[0]}`);
    }
    if (reason) return tsx(reason);
  }
  return { args: [join(cache, manifest!.outputs[file]), ...rest], mode: 'bundle' };
}

/**
 * Whether a bundled script can run inside this process instead of a child: only in the process Nx
 * forks for this one task (`NX_FORKED_TASK_EXECUTOR`). The single-task executor runs only when Nx
 * runs a process per task (`--batch=false`; otherwise batch.ts serves the whole run), so the fork
 * runs exactly one task and its exit code is the task's result. Saves a node start per task.
 */
export function canRunInProcess(launch: Launch, env: NodeJS.ProcessEnv = process.env): boolean {
  return launch.mode === 'bundle' && env.NX_FORKED_TASK_EXECUTOR === 'true';
}

/**
 * Runs a bundled script in this process as if started as `node <bundle> ...args` in `root`. The
 * script's top-level handler (runTarget) ends the process with its exit code, which Nx reads as the
 * task's result; should a script return without exiting, its `process.exitCode` decides.
 */
export async function runInProcess(root: string, args: string[]): Promise<{ success: boolean }> {
  const [bundle, ...rest] = args;
  process.chdir(root);
  process.argv = [process.execPath, bundle, ...rest];
  // Nx loads this file through its TypeScript transpiler as CommonJS, which would turn a plain
  // import() into require() (and Node 20 cannot require ESM): keep a real dynamic import.
  const importEsm = new Function('url', 'return import(url)') as (url: string) => Promise<unknown>;
  await importEsm(pathToFileURL(bundle).href);
  return { success: !process.exitCode };
}

/**
 * Runs `node <args>` in `root` with the terminal inherited, forwarding SIGINT/SIGTERM; resolves with
 * its exit code (130 when a signal ended it, 1 when it could not start: `shown` names the script).
 */
export async function runNode(root: string, args: string[], shown: string): Promise<number> {
  const child = startProcess(process.execPath, args, { cwd: root, stdio: 'inherit', nothrow: true });
  const forward = (signal: NodeJS.Signals) => child.kill(signal);
  process.once('SIGINT', forward);
  process.once('SIGTERM', forward);
  try {
    const r = await child.result;
    // With the terminal inherited, stderr holds only a failure to start the process at all.
    if (r.stderr) {
      console.error(`ferry: could not start ${shown}: ${r.stderr.trim()}`);
      return 1;
    }
    return r.signal ? 130 : r.exitCode;
  } finally {
    process.off('SIGINT', forward);
    process.off('SIGTERM', forward);
  }
}
