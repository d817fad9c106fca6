/**
 * The rollout verdict, pure. ECS's own ServicesStable waiter reports success after a circuit-breaker
 * rollback (ECS-SEMANTICS §2), so ferry records the id of the deployment it started and judges that
 * deployment only: done when it is PRIMARY and COMPLETED with every task running.
 *
 * A rollback by ECS (circuit breaker or CloudWatch alarm) is a *new* PRIMARY deployment of the last
 * completed revision whose rolloutStateReason says it is rolling back, while ours stays beside it
 * (ACTIVE, FAILED) until its tasks are gone (ECS-SEMANTICS §2, corrected from field captures and
 * fabfuel/ecs-deploy's PAYLOAD_DEPLOYMENTS_FAILED_ROLLBACK). So a newer PRIMARY is read as a
 * rollback when its reason names one or our deployment FAILED; only a newer PRIMARY with neither is
 * someone else's deploy ("superseded"). An *older* deployment PRIMARY again is a rollback too (how
 * some emulators show it).
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
  /**
   * ECS rolled the service back: `to` is the deployment doing it (a new one on real ECS) and its
   * revision; `by` says what triggered it, as far as ECS says.
   */
  | { kind: 'rolled-back'; reason: string; to: string; toTaskDefinition?: string; by: 'circuit-breaker' | 'alarm' | 'ecs' }
  /** A newer deployment took over (another deploy started): not ours to roll back. */
  | { kind: 'superseded'; reason: string; by: string; byTaskDefinition?: string };

const primaryOf = (s: RolloutSnapshot['service']) => s?.deployments?.find((d) => d.status === 'PRIMARY');

/** A rolloutStateReason of a deployment ECS started to roll back (breaker or alarm). */
export const ROLLING_BACK = /rolling back|roll(ing)? ?back to deployment/i;

/** What triggered a rollback, from the reasons ECS gives. */
export function rollbackTrigger(...reasons: (string | undefined)[]): 'circuit-breaker' | 'alarm' | 'ecs' {
  const text = reasons.filter(Boolean).join(' ');
  if (/circuit breaker/i.test(text)) return 'circuit-breaker';
  if (/alarm/i.test(text)) return 'alarm';
  return 'ecs';
}

/**
 * `ourCreatedAt` (epoch ms, from the UpdateService response or the last sighting) tells an older
 * deployment made PRIMARY again from a newer one once ours has left the array.
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
      const newer = created !== undefined && primary.createdAt !== undefined && toMs(primary.createdAt) > created;
      const rollingBack = ROLLING_BACK.test(primary.rolloutStateReason ?? '') || ours?.rolloutState === 'FAILED';
      if (newer && !rollingBack) {
        return {
          kind: 'superseded',
          reason: `a newer deployment ${primary.id} (${shortTaskDefinition(primary.taskDefinition)}) replaced ${ourDeploymentId}: another deploy started`,
          by: primary.id ?? '',
          byTaskDefinition: primary.taskDefinition,
        };
      }
      const why = ours?.rolloutStateReason && !/ in progress\.?$/.test(ours.rolloutStateReason) ? `: ${ours.rolloutStateReason.replace(/\.$/, '')}` : '';
      return {
        kind: 'rolled-back',
        reason: `${primary.id} (${shortTaskDefinition(primary.taskDefinition)}) is PRIMARY instead of ${ourDeploymentId}${why}`,
        to: primary.id ?? '',
        toTaskDefinition: primary.taskDefinition,
        by: rollbackTrigger(primary.rolloutStateReason, ours?.rolloutStateReason),
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

/**
 * ECS is rolling the service back on its own (a PRIMARY deployment whose reason says so, other
 * than `ourDeploymentId`): its id and revision. ferry must then wait for it, never start another.
 */
export function ecsRollbackInProgress(service: Pick<EcsService, 'deployments'> | undefined, ourDeploymentId: string): EcsDeployment | undefined {
  const primary = primaryOf(service);
  return primary && primary.id !== ourDeploymentId && ROLLING_BACK.test(primary.rolloutStateReason ?? '') ? primary : undefined;
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
