/**
 * The one runner of ferry's targets. A run is a batch of tasks: every ferry task of one Nx run (the
 * Nx batch executor), or a single target run on its own (a script, or Nx's single-task executor):
 * a batch of one. Either way this creates the run's session (clients, caches, locks, clock:
 * core/session.ts), reads what the tasks will need in one pass (prefetch.ts), runs the tasks in
 * dependency order with ferry's concurrency caps (batch.ts), and closes the session at the end.
 */
import { findWorkspaceRoot, loadWorkspaceConfig, redactError, runSecrets, RunSession, type FerryEvent, type Redactor } from '@ferry/core';
import { locksAhead } from '@ferry/deploy';
import { createReporter, endRun, narration, replaceSdkNodeWarning, runRecord, type TargetSpec } from '@ferry/ui';
import { runBatch, type BatchTask, type BatchTaskResult } from './batch.ts';
import { TARGET_SPECS } from './specs.ts';
import { envFlag, prefetchServices } from './prefetch.ts';

/** The deploy chain in order: a later step of a started app goes before a new app's first step. */
const CHAIN = ['build-image', 'push', 'deploy-app', 'health-check', 'smoke-test', 'deploy'];

export const DEFAULT_MAX_PARALLEL = 8;

/**
 * How many tasks run at once: `FERRY_MAX_PARALLEL` (a whole number >= 1), else the smallest
 * `maxParallel` of the environments the batch deploys to, else the default.
 */
export function maxParallelFrom(env: NodeJS.ProcessEnv = process.env, configured: (number | undefined)[] = []): number {
  const n = Number(env.FERRY_MAX_PARALLEL);
  if (Number.isInteger(n) && n >= 1) return n;
  const set = configured.filter((c): c is number => Number.isInteger(c) && (c as number) >= 1);
  return set.length ? Math.min(...set) : DEFAULT_MAX_PARALLEL;
}

/** `maxParallel` of each environment the tasks name (their --env, else the default). */
function configuredCaps(tasks: readonly BatchTask[], session: RunSession): (number | undefined)[] {
  try {
    const ws = loadWorkspaceConfig(session.workspaceRoot);
    const names = new Set(tasks.map((t) => envFlag(t.argv) ?? session.env.FERRY_ENV ?? ws.defaultEnvironment));
    return [...names].map((n) => ws.environments[n]?.maxParallel);
  } catch {
    // A broken ferry.json: every task reports it in its own words.
    return [];
  }
}

export interface RunTasksOptions {
  workspaceRoot: string;
  /** Live output: each task's writes are forwarded here as they happen; omit to only capture. */
  live?: { out: NodeJS.WritableStream; err: NodeJS.WritableStream };
  /** Filled in as the run goes: where the batch's time went (the benchmark reads it). */
  timings?: BatchTimings;
  /** SIGINT/SIGTERM source (default process). */
  signals?: NodeJS.EventEmitter;
}

/** Runs the tasks of one run, yielding each result as it ends. */
export async function* runTasksInProcess(tasks: BatchTask[], opts: RunTasksOptions): AsyncGenerator<BatchTaskResult> {
  const timings = opts.timings ?? ({} as BatchTimings);
  const t0 = performance.now();
  const session = new RunSession({ workspaceRoot: opts.workspaceRoot });
  // All the runner prints itself, and an error it lets out for Nx or Node to print, is masked with the run's secrets.
  const secrets = session.use(runSecrets);
  const err = opts.live?.err ?? process.stderr;
  const restoreWarnings = replaceSdkNodeWarning(process, (line) => err.write(`${secrets.redact(line)}\n`), session.env);
  // A run of one task shows the run's summary in that task's own output (and --json document).
  const single = tasks.length === 1 ? TARGET_SPECS[tasks[0].script] : undefined;
  const specs: Readonly<Record<string, TargetSpec<any>>> = single
    ? { ...TARGET_SPECS, [tasks[0].script]: { ...single, onEnd: ({ session: s, reporter }) => endRun(s, reporter).then(() => undefined) } }
    : TARGET_SPECS;
  const story = session.use(narration);
  story.plan(tasks.map((t) => ({ app: t.project, target: t.script })));
  try {
    const prefetched = await prefetchServices(session, tasks);
    timings.prefetchCalls = prefetched.calls;
    timings.prefetchMs = performance.now() - t0;
    const t1 = performance.now();
    const locks = session.use(locksAhead);
    for await (const result of runBatch(tasks, {
      specs,
      workspaceRoot: opts.workspaceRoot,
      session,
      maxParallel: maxParallelFrom(session.env, configuredCaps(tasks, session)),
      live: opts.live,
      signals: opts.signals,
      priority: (script) => CHAIN.indexOf(script),
      // A lock ahead is decided and taken when the app's chain starts: at most maxParallel apps' at once.
      onStart: (task) => {
        const k = prefetched.lockByChainTask.get(task.id);
        if (k) locks.begin(k);
      },
    })) {
      // A deploy-app that will not run gives back the lock taken ahead for it (its build failed).
      const ahead = result.status === 'skipped' ? prefetched.lockByDeployTask.get(result.id) : undefined;
      if (ahead) await locks.release(ahead);
      const task = tasks.find((t) => t.id === result.id);
      if (task) story.finished(task.project, task.script);
      if (result.status === 'skipped' && task) {
        session.use(runRecord).skipped({ app: task.project, target: task.script, env: envFlag(task.argv) ?? (session.env.FERRY_ENV || undefined) }, session.clock.now());
        // A health-check line held for this smoke-test (it will not run now) is printed after all.
        if (task.script === 'smoke-test') printHeld(story.take(task.project), tasks, opts, secrets);
      }
      yield result;
    }
    timings.tasks = tasks.length;
    timings.runMs = performance.now() - t1;
    if (!single) await endOfBatch(tasks, session, opts);
  } catch (e) {
    throw redactError(e, secrets);
  } finally {
    restoreWarnings();
    // Locks taken ahead that no deploy-app took are given back here, also on interrupt.
    await session.close();
  }
}

/** A line the narration held for a task that did not run (text output only). */
function printHeld(held: FerryEvent | undefined, tasks: readonly BatchTask[], opts: RunTasksOptions, redactor: Redactor): void {
  if (!held || tasks.every((t) => t.argv.includes('--json'))) return;
  const reporter = createReporter({ json: false, redactor, out: opts.live?.out ?? process.stdout, err: opts.live?.err ?? process.stderr });
  reporter.emit(held);
  reporter.finish();
}

/** The summary of a batch, after its last task: `--json` when every task was asked for JSON. */
async function endOfBatch(tasks: readonly BatchTask[], session: RunSession, opts: RunTasksOptions): Promise<void> {
  const has = (flag: string) => (t: BatchTask) => t.argv.some((a) => a === flag || a === `${flag}=true`);
  const json = tasks.length > 0 && tasks.every(has('--json'));
  const reporter = createReporter({ json, redactor: session.use(runSecrets), verbose: tasks.some(has('--verbose')), color: tasks.some(has('--no-color')) ? false : undefined, out: opts.live?.out ?? process.stdout, err: opts.live?.err ?? process.stderr });
  let summed = true;
  try {
    summed = !!(await endRun(session, reporter));
  } catch (e) {
    reporter.emit({ kind: 'warn', message: `could not sum up the run: ${(e as Error).message}` });
  }
  // Nothing to sum up (diff, history): no empty document after the tasks' own.
  if (summed || !json) reporter.finish();
}

/**
 * A target run on its own (`node scripts/<target>.ts --project api …`): a batch of one, with the
 * terminal as its output. Resolves with (and exits the process with) the task's exit code.
 */
export async function runScript(target: string, o: { argv?: string[]; exit?: (code: number) => void } = {}): Promise<number> {
  const argv = o.argv ?? process.argv.slice(2);
  const task: BatchTask = { id: target, project: process.env.NX_TASK_TARGET_PROJECT ?? '', script: target, argv, dependsOn: [] };
  let code = 70;
  for await (const r of runTasksInProcess([task], { workspaceRoot: findWorkspaceRoot(process.cwd()), live: { out: process.stdout, err: process.stderr } })) {
    code = r.code ?? 1;
  }
  (o.exit ?? ((c: number) => process.exit(c)))(code);
  return code;
}

/** Where one batch's time went. */
export interface BatchTimings {
  /** Resolving configs, one content-tag pass, the service and task reads. */
  prefetchMs?: number;
  /** AWS calls the prefetch made. */
  prefetchCalls?: number;
  /** From the first task's start to the last task's end. */
  runMs?: number;
  tasks?: number;
}
