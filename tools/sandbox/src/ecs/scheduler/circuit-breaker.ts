/**
 * The deployment circuit breaker (ECS-SEMANTICS §2): which task failures count against a deployment,
 * when a healthy task resets the count, the threshold, the moment the breaker trips, and what a trip
 * does to the deployments (FAILED, and with `rollback` the return to the last COMPLETED deployment).
 * Pure: records in, records changed; no I/O.
 */
import type { CircuitBreakerConfig, DeploymentRecord, ServiceRecord } from '../model.ts';
import type { Arns } from '../views.ts';
import { rolloutReasons } from './messages.ts';

/** Default: clamp(ceil(0.5 × desired), 3, 200); `thresholdConfiguration` replaces the rule. */
export function circuitBreakerThreshold(desired: number, cb?: Pick<CircuitBreakerConfig, 'thresholdConfiguration'>): number {
  const tc = cb?.thresholdConfiguration;
  if (tc?.type === 'COUNT') return Math.max(1, Math.floor(tc.value));
  if (tc?.type === 'UNBOUNDED_PERCENT') return Math.max(1, Math.ceil((desired * tc.value) / 100));
  const pct = tc?.type === 'BOUNDED_PERCENT' ? tc.value : 50;
  return Math.min(200, Math.max(3, Math.ceil((desired * pct) / 100)));
}

/** A task failure (failed to start, essential container exited, failed health check) counts only while its deployment rolls out. */
export function countsFailure(d: DeploymentRecord | undefined): d is DeploymentRecord {
  return !!d && d.rolloutState === 'IN_PROGRESS';
}

/** `resetOnHealthyTask` (default true): a task of a rolling-out deployment that becomes healthy resets its failure count. */
export function resetsOnHealthy(d: DeploymentRecord | undefined, cb: CircuitBreakerConfig): d is DeploymentRecord {
  return !!d && d.rolloutState === 'IN_PROGRESS' && cb.resetOnHealthyTask !== false;
}

/** The breaker trips when the deployment's consecutive failures reach the threshold (only when enabled). */
export function breakerTrips(failedTasks: number, desired: number, cb: CircuitBreakerConfig): boolean {
  return cb.enable && failedTasks >= circuitBreakerThreshold(desired, cb);
}

/** What a trip leads to: no rollback configured, nothing COMPLETED to return to, or a rollback to `target`. */
export type TripOutcome = { kind: 'no-rollback' } | { kind: 'nothing-to-roll-back-to' } | { kind: 'roll-back'; target: string };

/** With `rollback`, ECS returns to the most recent deployment whose rollout COMPLETED (§2). */
export function tripOutcome(svc: ServiceRecord, failed: DeploymentRecord): TripOutcome {
  if (!svc.deploymentConfiguration.deploymentCircuitBreaker.rollback) return { kind: 'no-rollback' };
  const target = [...svc.deployments.filter((d) => d !== failed), ...svc.history]
    .filter((d) => d.rolloutState === 'COMPLETED')
    .sort((a, b) => b.createdAt - a.createdAt)[0];
  return target ? { kind: 'roll-back', target: target.id } : { kind: 'nothing-to-roll-back-to' };
}

/** The tripped deployment becomes FAILED; without a rollback it stays PRIMARY and launches nothing more. */
export function failDeployment(primary: DeploymentRecord, outcome: TripOutcome, now: number): void {
  primary.rolloutState = 'FAILED';
  primary.rolloutStateReason = rolloutReasons.failed;
  primary.circuitBreakerTriggered = true;
  primary.updatedAt = now;
  if (outcome.kind === 'no-rollback') {
    primary.sdStatus = 'STOPPED';
    primary.sdStatusReason = rolloutReasons.failed;
    primary.finishedAt = now;
  } else if (outcome.kind === 'nothing-to-roll-back-to') {
    primary.sdStatus = 'ROLLBACK_FAILED';
    primary.sdStatusReason = `${rolloutReasons.failed} No COMPLETED deployment to roll back to.`;
    primary.finishedAt = now;
  }
}

/**
 * The rollback: the last COMPLETED deployment becomes PRIMARY again (same id and createdAt, IN_PROGRESS
 * until its tasks are steady) and the service returns to its task definition.
 */
export function rollBack(svc: ServiceRecord, failedId: string, targetId: string, now: number, arns: Arns): void {
  const failed = svc.deployments.find((d) => d.id === failedId)!;
  const target = [...svc.deployments, ...svc.history].find((d) => d.id === targetId)!;
  svc.history = svc.history.filter((d) => d !== target);
  const others = svc.deployments.filter((d) => d !== target && d !== failed);
  failed.status = 'ACTIVE';
  failed.sdStatus = 'ROLLBACK_IN_PROGRESS';
  failed.sdStatusReason = rolloutReasons.failed;
  failed.rollback = { reason: rolloutReasons.failed, startedAt: now, serviceRevisionArn: arns.serviceRevision(svc.clusterName, svc.serviceName, target.id) };
  target.status = 'PRIMARY';
  target.rolloutState = 'IN_PROGRESS';
  target.rolloutStateReason = rolloutReasons.rollingBack(target.id);
  target.failedTasks = 0;
  target.updatedAt = now;
  target.rollingBackFrom = failed.id;
  svc.deployments = [target, failed, ...others];
  svc.taskDefinition = target.taskDefinition;
  svc._stalled = false;
}
