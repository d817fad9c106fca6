/**
 * The rollout verdict, pure. ECS's own ServicesStable waiter reports success after a circuit-breaker
 * rollback (ECS-SEMANTICS §2), so ferry records the id of the deployment it started and judges that
 * deployment only: done when it is PRIMARY and COMPLETED with every task running.
 */
import type { RolloutDeploymentView } from '@ferry/core';
import type { EcsDeployment, EcsService } from '@ferry/aws';
import { tagValue } from './task-definition.ts';

/** What the watcher saw in one DescribeServices call. `service` undefined: the service is MISSING. */
export interface RolloutSnapshot {
  service?: Pick<EcsService, 'status' | 'desiredCount' | 'runningCount' | 'deployments'>;
}

export type RolloutVerdict =
  | { kind: 'in-progress' }
  | { kind: 'completed' }
  | { kind: 'failed'; reason: string }
  /** Another deployment is PRIMARY again (circuit-breaker rollback); `to` is its id. */
  | { kind: 'rolled-back'; reason: string; to: string; toTaskDefinition?: string }
  /** A newer deployment took over (another deploy started): not ours to roll back. */
  | { kind: 'superseded'; reason: string; by: string; byTaskDefinition?: string };

const primaryOf = (s: RolloutSnapshot['service']) => s?.deployments?.find((d) => d.status === 'PRIMARY');

/**
 * `ourCreatedAt` (epoch ms, from the UpdateService response or the last sighting) tells a rollback
 * (ECS makes an *older* deployment PRIMARY again, keeping its createdAt) from a newer deploy.
 */
export function evaluateRollout(snapshot: RolloutSnapshot, ourDeploymentId: string, ourCreatedAt?: number): RolloutVerdict {
  const s = snapshot.service;
  if (!s) return { kind: 'failed', reason: 'the service no longer exists (DescribeServices reports it MISSING)' };
  if (s.status && s.status !== 'ACTIVE') return { kind: 'failed', reason: `the service is ${s.status}` };
  const ours = s.deployments?.find((d) => d.id === ourDeploymentId);
  const primary = primaryOf(s);

  if (!ours || ours.status !== 'PRIMARY') {
    if (primary && primary.id !== ourDeploymentId) {
      const created = ours?.createdAt !== undefined ? toMs(ours.createdAt) : ourCreatedAt;
      if (created !== undefined && primary.createdAt !== undefined && toMs(primary.createdAt) > created) {
        return {
          kind: 'superseded',
          reason: `a newer deployment ${primary.id} (${shortTaskDefinition(primary.taskDefinition)}) replaced ${ourDeploymentId}: another deploy started`,
          by: primary.id ?? '',
          byTaskDefinition: primary.taskDefinition,
        };
      }
      const why = ours?.rolloutStateReason ? `: ${ours.rolloutStateReason.replace(/\.$/, '')}` : '';
      return {
        kind: 'rolled-back',
        reason: `${primary.id} is PRIMARY instead of ${ourDeploymentId}${why}`,
        to: primary.id ?? '',
        toTaskDefinition: primary.taskDefinition,
      };
    }
    return { kind: 'failed', reason: `deployment ${ourDeploymentId} is not among the service's deployments` };
  }
  if (ours.rolloutState === 'FAILED') return { kind: 'failed', reason: ours.rolloutStateReason ?? 'rollout FAILED' };

  const tasksDone = (ours.runningCount ?? 0) === (ours.desiredCount ?? 0) && (ours.desiredCount ?? 0) === (s.desiredCount ?? ours.desiredCount);
  if (ours.rolloutState === 'COMPLETED') return tasksDone ? { kind: 'completed' } : { kind: 'in-progress' };
  // No rolloutState (classic load balancer, external controllers): fall back to the waiter's rule.
  if (ours.rolloutState === undefined && (s.deployments?.length ?? 0) === 1 && tasksDone) return { kind: 'completed' };
  return { kind: 'in-progress' };
}

/** The service's deployments as the `rollout` event shows them. */
export function deploymentViews(deployments: EcsDeployment[] | undefined): RolloutDeploymentView[] {
  return (deployments ?? []).map((d) => ({
    id: d.id ?? '',
    status: d.status ?? '',
    taskDefinition: d.taskDefinition ?? '',
    desired: d.desiredCount ?? 0,
    running: d.runningCount ?? 0,
    pending: d.pendingCount ?? 0,
    failed: d.failedTasks ?? 0,
    ...(d.rolloutState && { rolloutState: d.rolloutState }),
    ...(d.rolloutStateReason && { rolloutStateReason: d.rolloutStateReason }),
  }));
}

/** Short `api:7` form of a task definition ARN. */
export const shortTaskDefinition = (arn: string | undefined): string => (arn ?? '').replace(/^.*task-definition\//, '');

/** One line per deployment: `PRIMARY ecs-svc/3 api:7 running 2/2 pending 0 failed 0 COMPLETED`. */
export function describeDeployments(views: RolloutDeploymentView[]): string[] {
  return views.map(
    (d) =>
      `${d.status.padEnd(7)} ${d.id} ${shortTaskDefinition(d.taskDefinition)} running ${d.running}/${d.desired} pending ${d.pending} failed ${d.failed}${d.rolloutState ? ` ${d.rolloutState}` : ''}`,
  );
}

/** Service events newer than `since` (epoch ms), oldest first. ECS returns them newest first. */
export function eventsSince(events: EcsService['events'], since: number): { at: number; message: string }[] {
  return (events ?? [])
    .map((e) => ({ at: toMs(e.createdAt), message: e.message ?? '' }))
    .filter((e) => e.at > since)
    .sort((a, b) => a.at - b.at);
}

/** The SDK gives Dates; tests and raw JSON may give epoch seconds. */
export function toMs(v: Date | number | string | undefined): number {
  if (v === undefined) return 0;
  if (v instanceof Date) return v.getTime();
  if (typeof v === 'number') return v < 1e11 ? v * 1000 : v;
  return Date.parse(v);
}

/** Delay before the next poll: 1 s normally, doubling per consecutive throttle up to 20 s. */
export function pollDelayMs(baseMs: number, consecutiveThrottles: number): number {
  if (consecutiveThrottles <= 0) return baseMs;
  return Math.min(20_000, baseMs * 2 ** consecutiveThrottles);
}

/** Service tag: how long the service's last COMPLETED rollout took, in ms (the watcher's estimate). */
export const TAG_ROLLOUT_MS = 'ferry:rollout-ms';

/** createdAt -> updatedAt of a COMPLETED deployment (ECS's own clock), in ms; undefined otherwise. */
export function rolloutDurationMs(d: Pick<EcsDeployment, 'rolloutState' | 'createdAt' | 'updatedAt'> | undefined): number | undefined {
  if (!d || d.rolloutState !== 'COMPLETED' || d.createdAt === undefined || d.updatedAt === undefined) return undefined;
  const ms = toMs(d.updatedAt) - toMs(d.createdAt);
  return Number.isFinite(ms) && ms > 0 && ms < 24 * 3600_000 ? Math.round(ms) : undefined;
}

/** The service's recorded rollout duration (`ferry:rollout-ms`), if it is a sane number. */
export function expectedRolloutMs(service: Pick<EcsService, 'tags'> | undefined): number | undefined {
  const v = tagValue(service?.tags, TAG_ROLLOUT_MS);
  const ms = v !== undefined && /^\d{1,9}$/.test(v) ? Number(v) : NaN;
  return ms > 0 ? ms : undefined;
}
