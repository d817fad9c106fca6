/**
 * The apps' own `build` (the bundle a Dockerfile copies), run by build-image when it is about to
 * build an image, instead of as an Nx dependency of build-image.
 *
 * Why: Nx runs one batch at a time and a batch holds only the tasks that are ready when it forms.
 * With `build-image` depending on the app's `build`, the apps' chains became ready whenever their
 * builds happened to finish, so K changed apps formed K batches and rolled out one after another.
 * Without that dependency every chain of the run is ready at once: one batch, all rollouts together
 * (ferry's own caps — maxParallel, builds per core — still apply).
 *
 * The content tag does not read the build's output (docs/content-tag.md: the build's inputs count,
 * `dist/` does not), so whether an image must be built is known before any build: an app whose
 * tagged image is in the registry (a no-op) needs no bundle and starts no Nx. The apps that do
 * need one are built by ONE nested `nx run-many -t build -p <apps>` per run (Nx's cache and the
 * build's own dependsOn apply as always), started by the batch's prefetch as soon as the registry
 * answered, so it runs beside the lock ahead and the other apps' work.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { exec, FerryError, sessionPart, type RunSession } from '@ferry/core';

/** The target that builds an app's bundle; build-image no longer depends on it through Nx. */
export const APP_BUILD_TARGET = 'build';

/** Variables Nx sets for the task that runs ferry; the nested Nx must start as a run of its own. */
const TASK_ENV = /^NX_(TASK_|TERMINAL_|STREAM_OUTPUT$|PREFIX_OUTPUT$|FORKED_TASK_EXECUTOR$|PROFILE$|PERF_LOGGING$|TUI$)/;

/** The environment of the nested Nx: the run's, without what belongs to the outer Nx task. Pure. */
export function nestedNxEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(env)) if (!TASK_ENV.test(k)) out[k] = v;
  out.NX_TUI = 'false';
  return out;
}

/** `nx run-many -t build -p a,b` arguments (after Nx's bin). Pure. */
export function nestedNxArgs(projects: readonly string[]): string[] {
  return ['run-many', '-t', APP_BUILD_TARGET, '-p', [...projects].sort().join(','), '--output-style=static'];
}

/** Nx's CLI entry of the workspace (its own node_modules). */
function nxBin(workspaceRoot: string): string {
  const req = createRequire(join(workspaceRoot, 'package.json'));
  const pkgFile = req.resolve('nx/package.json');
  const pkg = JSON.parse(readFileSync(pkgFile, 'utf8')) as { bin?: string | Record<string, string> };
  const bin = typeof pkg.bin === 'string' ? pkg.bin : (pkg.bin?.nx ?? 'bin/nx.js');
  return join(dirname(pkgFile), bin);
}

/** Runs the nested Nx; resolves with its output, rejects with a BUILD_FAILED FerryError. */
async function runNxBuild(session: RunSession, projects: readonly string[]): Promise<string> {
  const root = session.workspaceRoot;
  let bin: string;
  try {
    bin = nxBin(root);
  } catch (e) {
    throw new FerryError('BUILD_FAILED', `cannot build ${projects.join(', ')}: Nx is not installed in ${root} (${(e as Error).message}). Run npm install.`);
  }
  const args = nestedNxArgs(projects);
  const r = await exec(process.execPath, [bin, ...args], { cwd: root, baseEnv: nestedNxEnv(session.env), nothrow: true });
  if (r.exitCode === 127) throw new FerryError('BUILD_FAILED', `could not start Nx to build ${projects.join(', ')}: ${r.stderr.trim()}`);
  if (r.exitCode === 0) return r.output;
  throw new FerryError('BUILD_FAILED', `the app's own build failed: nx ${args.join(' ')} exited with ${r.exitCode}. Fix the build (run it alone: nx run ${projects[0]}:${APP_BUILD_TARGET}), then deploy again.`, {
    details: r.output.trimEnd().split('\n').slice(-40),
  });
}

/** The nested Nx run that built an app's bundle: which apps it built and how long it ran. */
export interface AppBuildRun {
  projects: readonly string[];
  /** From starting Nx to its exit, Nx's own start-up included (ms). */
  ms: number;
}

/** Runs the nested Nx and times it. */
async function timedNxBuild(session: RunSession, projects: readonly string[]): Promise<AppBuildRun> {
  const started = session.clock.now();
  await runNxBuild(session, projects);
  return { projects, ms: session.clock.now() - started };
}

export interface AppBuilds {
  /**
   * Starts one nested Nx for the apps `needed` resolves to (the batch's apps whose image is not in
   * the registry), in the background. `candidates` are the apps it decides for: their build-image
   * waits for that decision instead of starting a build of its own.
   */
  startShared(candidates: readonly string[], needed: Promise<string[]>): void;
  /** Resolves once `project`'s build has run in this run (or fails as that build failed), with the Nx run that built it. */
  ensure(project: string): Promise<AppBuildRun>;
}

export const appBuilds = sessionPart<AppBuilds>('app builds', (session) => {
  /** project -> the shared build that covered it, undefined when it did not (rejects when that build failed). */
  const shared = new Map<string, Promise<AppBuildRun | undefined>>();
  const own = new Map<string, Promise<AppBuildRun>>();
  return {
    startShared(candidates, needed) {
      const run = needed.then((projects) => (projects.length ? timedNxBuild(session, projects) : undefined));
      for (const p of candidates) {
        const covered = run.then((r) => (r?.projects.includes(p) ? r : undefined));
        covered.catch(() => undefined);
        shared.set(p, covered);
      }
    },
    async ensure(project) {
      const covered = shared.get(project);
      if (covered) {
        try {
          const r = await covered;
          if (r) return r;
        } catch {
          // The shared build failed for one app or more: build this one alone, so that the
          // failure (or success) is this app's own, with its own output.
        }
      }
      let mine = own.get(project);
      if (!mine) {
        mine = timedNxBuild(session, [project]);
        own.set(project, mine);
      }
      return mine;
    },
  };
});
