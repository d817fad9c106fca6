/**
 * What deploy-app read from ECS, handed to the steps after it (health-check, smoke-test, deploy) in
 * the same Nx run, so a no-op chain reads the service once instead of four times.
 *
 * Correctness: the record is used only by a task of the same Nx invocation that wrote it
 * (`NX_INVOCATION_ROOT_PID`, set by Nx for every task of one run) and only for a short time; a step
 * run on its own — a new Nx run, or the script called directly — always reads ECS. The HTTP health
 * and smoke checks are live either way, and a health check that fails on the recorded view reads
 * ECS again before it gives up. Nx's own cache plays no part: the record is a read of the cluster
 * taken seconds earlier, not a cached result.
 */
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { EnvironmentConfig, ResolvedApp } from '@ferry/core';
import type { EcsPort, EcsService, EcsTask } from '@ferry/aws';
import type { LiveState } from './plan.ts';

/** `dist/ferry/<env>/live.json` beside build-image's image.json. */
export function liveRecordPath(resolved: Pick<ResolvedApp, 'projectRoot' | 'env'>): string {
  return join(resolved.projectRoot, 'dist', 'ferry', resolved.env.name, 'live.json');
}

interface LiveRecordFile {
  version: 1;
  /** The Nx invocation that wrote it. */
  run: string;
  readAt: number;
  cluster: string;
  service: string;
  live: LiveState;
}

/** How long a record stays usable within one run (a chain's later steps start within seconds). */
export const LIVE_RECORD_MAX_AGE_MS = 120_000;

/**
 * Records kept in memory when one process runs many tasks of one Nx run (the batch executor calls
 * `keepLiveRecordsInProcess`): there the process is the run, so no file and no run id are needed.
 */
let inProcess: Map<string, LiveRecordFile> | undefined;

/** Turns on in-memory records for the rest of this process (batch mode). */
export function keepLiveRecordsInProcess(): void {
  inProcess ??= new Map();
}

const currentRun = (env: NodeJS.ProcessEnv): string | undefined => env.NX_INVOCATION_ROOT_PID || undefined;

/**
 * Records `live` (read at `readAt`) for the rest of this Nx run. Outside Nx it removes any earlier
 * record instead, so nothing can pick up a view older than the deploy that just ran.
 */
export function writeLiveRecord(resolved: Pick<ResolvedApp, 'projectRoot' | 'env' | 'app'>, live: LiveState, readAt: number, env: NodeJS.ProcessEnv = process.env): void {
  const file = liveRecordPath(resolved);
  if (inProcess && env.FERRY_REUSE_LIVE !== '0') {
    inProcess.set(file, { version: 1, run: 'this process', readAt, cluster: resolved.env.cluster, service: resolved.app.service, live });
    return;
  }
  const run = currentRun(env);
  if (!run || env.FERRY_REUSE_LIVE === '0') {
    rmSync(file, { force: true });
    return;
  }
  const record: LiveRecordFile = { version: 1, run, readAt, cluster: resolved.env.cluster, service: resolved.app.service, live };
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(record));
  renameSync(tmp, file);
}

/** Forgets the record (deploy-app changed the service, so the earlier view is wrong). */
export function clearLiveRecord(resolved: Pick<ResolvedApp, 'projectRoot' | 'env'>): void {
  inProcess?.delete(liveRecordPath(resolved));
  rmSync(liveRecordPath(resolved), { force: true });
}

/**
 * The live state deploy-app recorded earlier in this same Nx run, or undefined (then read ECS).
 * `FERRY_REUSE_LIVE=0` turns reuse off.
 */
export function readLiveRecord(resolved: Pick<ResolvedApp, 'projectRoot' | 'env' | 'app'>, o: { env?: NodeJS.ProcessEnv; now?: number } = {}): LiveState | undefined {
  const env = o.env ?? process.env;
  if (env.FERRY_REUSE_LIVE === '0') return undefined;
  const mine = inProcess?.get(liveRecordPath(resolved));
  const run = mine ? mine.run : currentRun(env);
  if (!run) return undefined;
  let r: LiveRecordFile;
  try {
    r = mine ?? (JSON.parse(readFileSync(liveRecordPath(resolved), 'utf8')) as LiveRecordFile);
  } catch {
    return undefined;
  }
  const age = (o.now ?? Date.now()) - r.readAt;
  if (r.version !== 1 || r.run !== run || r.cluster !== resolved.env.cluster || r.service !== resolved.app.service) return undefined;
  if (age < 0 || age > LIVE_RECORD_MAX_AGE_MS) return undefined;
  return r.live;
}

/** How old a batch's prefetched service read may be when deploy-app plans on it. */
export const PRIMED_MAX_AGE_MS = 60_000;

interface PrimedRead {
  readAt: number;
  service?: EcsService;
  /** DescribeServices answered MISSING for it. */
  missing: boolean;
}

/** Service reads a batch took for many apps at once, by environment, cluster and service. */
const primed = new Map<string, PrimedRead>();
const primedKey = (env: Pick<EnvironmentConfig, 'name' | 'cluster'>, service: string) => JSON.stringify([env.name, env.cluster, service]);

/**
 * Keeps one DescribeServices answer covering `names` (a batch's prefetch) for the deploy-app task
 * of each service to plan on. Each read is used at most once (`takePrimedService`).
 */
export function primeServices(env: Pick<EnvironmentConfig, 'name' | 'cluster'>, answer: { services: EcsService[]; failures: { arn?: string; reason?: string }[] }, names: string[], readAt: number): void {
  for (const name of names) {
    const service = answer.services.find((s) => s.serviceName === name || s.serviceArn === name);
    const missing = !service && answer.failures.some((f) => f.reason === 'MISSING' && (f.arn === name || (f.arn ?? '').endsWith(`/${name}`)));
    if (service || missing) primed.set(primedKey(env, name), { readAt, service, missing });
  }
}

/** The primed read of this app's service (once), if fresh enough; undefined: read ECS. */
export function takePrimedService(resolved: Pick<ResolvedApp, 'env' | 'app'>, now = Date.now()): PrimedRead | undefined {
  const r = peekPrimedService(resolved, now);
  primed.delete(primedKey(resolved.env, resolved.app.service));
  return r;
}

/** The primed read of this app's service without using it up (the batch's lock-ahead decision). */
export function peekPrimedService(resolved: Pick<ResolvedApp, 'env' | 'app'>, now = Date.now()): PrimedRead | undefined {
  const r = primed.get(primedKey(resolved.env, resolved.app.service));
  if (!r || process.env.FERRY_REUSE_LIVE === '0') return undefined;
  const age = now - r.readAt;
  return age >= 0 && age <= PRIMED_MAX_AGE_MS ? r : undefined;
}

/**
 * `ecs` whose first DescribeServices of exactly this service answers from the primed read; every
 * other call (and any later one) goes to ECS.
 */
export function withPrimedRead(ecs: EcsPort, cluster: string, service: string, read: PrimedRead | undefined): EcsPort {
  if (!read) return ecs;
  let used = false;
  return {
    ...ecs,
    describeServices: async (c, names) => {
      if (used || c !== cluster || names.length !== 1 || names[0] !== service) return ecs.describeServices(c, names);
      used = true;
      return read.service ? { services: [read.service], failures: [] } : { services: [], failures: [{ arn: service, reason: 'MISSING' }] };
    },
  };
}

interface PrimedTasks {
  readAt: number;
  /** RUNNING tasks of the cluster by service name (from each task's `service:<name>` group). */
  byService: Map<string, EcsTask[]>;
}

/** A batch's one listing of a cluster's RUNNING tasks, by environment and cluster. */
const primedTasks = new Map<string, PrimedTasks>();

/** Keeps a cluster-wide RUNNING task listing (ListTasks + DescribeTasks) for the health checks of a batch. */
export function primeClusterTasks(env: Pick<EnvironmentConfig, 'name' | 'cluster'>, tasks: EcsTask[], readAt: number): void {
  const byService = new Map<string, EcsTask[]>();
  for (const t of tasks) {
    const service = t.group?.startsWith('service:') ? t.group.slice('service:'.length) : undefined;
    if (service) byService.set(service, [...(byService.get(service) ?? []), t]);
  }
  primedTasks.set(JSON.stringify([env.name, env.cluster]), { readAt, byService });
}

/**
 * `ecs` whose first ListTasks(RUNNING) and DescribeTasks of this service answer from the batch's
 * cluster listing, when one younger than PRIMED_MAX_AGE_MS exists. Use it only together with a
 * recorded service view (deploy-app found the app up to date): after a rollout the listing is old.
 */
export function withPrimedTasks(ecs: EcsPort, resolved: Pick<ResolvedApp, 'env' | 'app'>, now = Date.now()): EcsPort {
  const p = primedTasks.get(JSON.stringify([resolved.env.name, resolved.env.cluster]));
  if (!p || process.env.FERRY_REUSE_LIVE === '0' || now - p.readAt < 0 || now - p.readAt > PRIMED_MAX_AGE_MS) return ecs;
  const { cluster } = resolved.env;
  const mine = p.byService.get(resolved.app.service) ?? [];
  let listed = false;
  let described = false;
  return {
    ...ecs,
    listTasks: async (c, service, status) => {
      if (listed || c !== cluster || service !== resolved.app.service || status !== 'RUNNING') return ecs.listTasks(c, service, status);
      listed = true;
      return mine.map((t) => t.taskArn ?? '').filter(Boolean);
    },
    describeTasks: async (c, arns) => {
      const all = arns.every((a) => mine.some((t) => t.taskArn === a));
      if (described || c !== cluster || !all) return ecs.describeTasks(c, arns);
      described = true;
      return mine.filter((t) => arns.includes(t.taskArn ?? ''));
    },
  };
}
