/**
 * What the Nx batch executor calls (through the bundle of scripts/batch.ts): prefetch the
 * services, then run the tasks with ferry's concurrency caps.
 */
import { cpus } from 'node:os';
import { loadWorkspaceConfig, snapshotContentTagsInProcess, snapshotGitInProcess } from '@ferry/core';
import { shareAwsClientsInProcess } from '@ferry/aws';
import { beginLockAhead, keepLiveRecordsInProcess, releaseLockAhead, releaseLocksAhead } from '@ferry/deploy';
import { runBatch, type BatchTask, type BatchTaskResult } from './batch.ts';
import { TARGET_SPECS } from './specs.ts';
import { envFlag, lockAheadChainTasks, locksAheadByTask, prefetchServices } from './prefetch.ts';

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
function configuredCaps(tasks: readonly BatchTask[], workspaceRoot: string): (number | undefined)[] {
  try {
    const ws = loadWorkspaceConfig(workspaceRoot);
    const names = new Set(tasks.map((t) => envFlag(t.argv) ?? process.env.FERRY_ENV ?? ws.defaultEnvironment));
    return [...names].map((n) => ws.environments[n]?.maxParallel);
  } catch {
    // A broken ferry.json: every task reports it in its own words.
    return [];
  }
}

export async function* runTasksInProcess(
  tasks: BatchTask[],
  opts: {
    workspaceRoot: string;
    live?: { out: NodeJS.WritableStream; err: NodeJS.WritableStream };
    /** Filled in as the run goes: where the batch's time went (the benchmark reads it). */
    timings?: BatchTimings;
  },
): AsyncGenerator<BatchTaskResult> {
  const timings = opts.timings ?? ({} as BatchTimings);
  const t0 = performance.now();
  // One process, one Nx run: what deploy-app read is handed to the app's later steps in memory.
  keepLiveRecordsInProcess();
  // One set of AWS clients (and one adaptive rate limiter) per account and region for all tasks.
  shareAwsClientsInProcess();
  // The run deploys the workspace as it is now: one git read and one content tag per app.
  snapshotGitInProcess();
  snapshotContentTagsInProcess();
  timings.prefetchCalls = await prefetchServices(tasks, opts.workspaceRoot);
  timings.prefetchMs = performance.now() - t0;
  const t1 = performance.now();
  try {
    for await (const result of runBatch(tasks, {
      specs: TARGET_SPECS,
      workspaceRoot: opts.workspaceRoot,
      maxParallel: maxParallelFrom(process.env, configuredCaps(tasks, opts.workspaceRoot)),
      maxBuilds: Math.max(1, cpus().length),
      live: opts.live,
      priority: (script) => CHAIN.indexOf(script),
      // A lock ahead is decided and taken when the app's chain starts: at most maxParallel apps' at once.
      onStart: (task) => {
        const k = lockAheadChainTasks.get(task.id);
        if (k) beginLockAhead(k);
      },
    })) {
      // A deploy-app that will not run gives back the lock taken ahead for it (its build failed).
      const ahead = result.status === 'skipped' ? locksAheadByTask.get(result.id) : undefined;
      if (ahead) await releaseLockAhead(ahead);
      yield result;
    }
  } finally {
    await releaseLocksAhead();
    locksAheadByTask.clear();
    lockAheadChainTasks.clear();
  }
  timings.tasks = tasks.length;
  timings.runMs = performance.now() - t1;
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
