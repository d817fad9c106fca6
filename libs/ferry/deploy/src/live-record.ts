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
import type { ResolvedApp } from '@ferry/core';
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

const currentRun = (env: NodeJS.ProcessEnv): string | undefined => env.NX_INVOCATION_ROOT_PID || undefined;

/**
 * Records `live` (read at `readAt`) for the rest of this Nx run. Outside Nx it removes any earlier
 * record instead, so nothing can pick up a view older than the deploy that just ran.
 */
export function writeLiveRecord(resolved: Pick<ResolvedApp, 'projectRoot' | 'env' | 'app'>, live: LiveState, readAt: number, env: NodeJS.ProcessEnv = process.env): void {
  const file = liveRecordPath(resolved);
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
  rmSync(liveRecordPath(resolved), { force: true });
}

/**
 * The live state deploy-app recorded earlier in this same Nx run, or undefined (then read ECS).
 * `FERRY_REUSE_LIVE=0` turns reuse off.
 */
export function readLiveRecord(resolved: Pick<ResolvedApp, 'projectRoot' | 'env' | 'app'>, o: { env?: NodeJS.ProcessEnv; now?: number } = {}): LiveState | undefined {
  const env = o.env ?? process.env;
  const run = currentRun(env);
  if (!run || env.FERRY_REUSE_LIVE === '0') return undefined;
  let r: LiveRecordFile;
  try {
    r = JSON.parse(readFileSync(liveRecordPath(resolved), 'utf8')) as LiveRecordFile;
  } catch {
    return undefined;
  }
  const age = (o.now ?? Date.now()) - r.readAt;
  if (r.version !== 1 || r.run !== run || r.cluster !== resolved.env.cluster || r.service !== resolved.app.service) return undefined;
  if (age < 0 || age > LIVE_RECORD_MAX_AGE_MS) return undefined;
  return r.live;
}
