/**
 * What the Nx batch executor calls (through the bundle of scripts/batch.ts): prefetch the
 * services, then run the tasks with ferry's concurrency caps.
 */
import { cpus } from 'node:os';
import { shareAwsClientsInProcess } from '@ferry/aws';
import { keepLiveRecordsInProcess } from '@ferry/deploy';
import { runBatch, type BatchTask, type BatchTaskResult } from './batch.ts';
import { TARGET_SPECS } from './specs.ts';
import { prefetchServices } from './prefetch.ts';

/** The deploy chain in order: a later step of a started app goes before a new app's first step. */
const CHAIN = ['build-image', 'push', 'deploy-app', 'health-check', 'smoke-test', 'deploy'];

export const DEFAULT_MAX_PARALLEL = 8;

/** `FERRY_MAX_PARALLEL` (a whole number >= 1) or the default. */
export function maxParallelFrom(env: NodeJS.ProcessEnv = process.env): number {
  const n = Number(env.FERRY_MAX_PARALLEL);
  return Number.isInteger(n) && n >= 1 ? n : DEFAULT_MAX_PARALLEL;
}

export async function* runTasksInProcess(
  tasks: BatchTask[],
  opts: { workspaceRoot: string; live?: { out: NodeJS.WritableStream; err: NodeJS.WritableStream } },
): AsyncGenerator<BatchTaskResult> {
  // One process, one Nx run: what deploy-app read is handed to the app's later steps in memory.
  keepLiveRecordsInProcess();
  // One set of AWS clients (and one adaptive rate limiter) per account and region for all tasks.
  shareAwsClientsInProcess();
  await prefetchServices(tasks, opts.workspaceRoot);
  yield* runBatch(tasks, {
    specs: TARGET_SPECS,
    workspaceRoot: opts.workspaceRoot,
    maxParallel: maxParallelFrom(),
    maxBuilds: Math.max(1, cpus().length),
    live: opts.live,
    priority: (script) => CHAIN.indexOf(script),
  });
}
