/**
 * The deployment circuit breaker (ECS-SEMANTICS §2): which task failures count against a deployment,
 * when a healthy task resets the count, the threshold, the moment the breaker trips, and what a trip
 * does to the deployments (FAILED, and with `rollback` a new deployment of the last COMPLETED revision).
 * Pure: records in, records changed; no I/O.
 */
import type { CircuitBreakerConfig, DeploymentRecord, EcsState, ServiceRecord } from '../model.ts';
import type { Arns } from '../views.ts';
import { newDeploymentId } from './deployments.ts';
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

/**
 * With `rollback`, ECS returns to the most recent deployment whose rollout COMPLETED (§2). A rollback
 * deployment that fails in turn is not rolled back again: the failed one's rollback has failed.
 */
export function tripOutcome(svc: ServiceRecord, failed: DeploymentRecord): TripOutcome {
  if (failed.rollbackOf) return { kind: 'nothing-to-roll-back-to' };
  if (!svc.deploymentConfiguration.deploymentCircuitBreaker.rollback) return { kind: 'no-rollback' };
  const target = [...svc.deployments.filter((d) => d !== failed), ...svc.history]
    .filter((d) => d.rolloutState === 'COMPLETED')
    .sort((a, b) => b.createdAt - a.createdAt)[0];
  return target ? { kind: 'roll-back', target: target.id } : { kind: 'nothing-to-roll-back-to' };
}

/** ServiceDeployments texts for a breaker trip (model `ServiceDeployment.statusReason`, `Rollback.reason`). */
export const serviceDeploymentReasons = {
  rollback: 'Service deployment rolled back because the circuit breaker threshold was exceeded.',
  stopped: 'Service deployment stopped because the circuit breaker threshold was exceeded.',
  rollbackFailed: 'Service deployment rollback failed: no service revision completed before it to roll back to.',
  rollbackDeploymentFailed: 'Service deployment rollback failed: the rollback deployment failed too.',
};

/**
 * The tripped deployment becomes FAILED (it launches no new tasks). Without a rollback it stays PRIMARY
 * and its service deployment is STOPPED (model: "the rollback option is not in use … and the service
 * fails") or ROLLBACK_FAILED (nothing COMPLETED to return to, or the rollback deployment itself failed).
 */
export function failDeployment(svc: ServiceRecord, primary: DeploymentRecord, outcome: TripOutcome, nowMs: number): void {
  const now = nowMs / 1000;
  primary.rolloutState = 'FAILED';
  primary.rolloutStateReason = rolloutReasons.failed;
  primary.circuitBreakerTriggered = true;
  primary.failedAtMs = nowMs;
  primary.updatedAt = now;
  if (primary.rollbackOf) {
    // The rollback failed: the original deployment's service deployment ends ROLLBACK_FAILED.
    const original = [...svc.deployments, ...svc.history].find((d) => d.id === primary.rollbackOf);
    if (original) Object.assign(original, { sdStatus: 'ROLLBACK_FAILED', sdStatusReason: serviceDeploymentReasons.rollbackDeploymentFailed, finishedAt: now });
    Object.assign(primary, { sdStatus: 'ROLLBACK_FAILED', finishedAt: now });
  } else if (outcome.kind === 'no-rollback') {
    primary.sdStatus = 'STOPPED';
    primary.sdStatusReason = serviceDeploymentReasons.stopped;
    primary.finishedAt = now;
    primary.stoppedAt = now;
  } else if (outcome.kind === 'nothing-to-roll-back-to') {
    primary.sdStatus = 'ROLLBACK_FAILED';
    primary.sdStatusReason = serviceDeploymentReasons.rollbackFailed;
    primary.finishedAt = now;
  }
}

/**
 * The rollback as ECS does it (§2, corrected): a *new* PRIMARY deployment (its own id, a later
 * createdAt) of the last COMPLETED deployment's task definition, IN_PROGRESS with the reason
 * "ECS deployment circuit breaker: rolling back to deploymentId <target>."; the failed deployment
 * stays beside it, ACTIVE and FAILED, while it has tasks to drain; the target's tasks keep serving
 * until the new deployment's tasks replace them. The failed service deployment is
 * ROLLBACK_REQUESTED until the rollback deployment starts (ROLLBACK_IN_PROGRESS).
 */
export function rollBack(state: EcsState, svc: ServiceRecord, failedId: string, targetId: string, nowMs: number, arns: Arns): DeploymentRecord {
  const now = nowMs / 1000;
  const failed = svc.deployments.find((d) => d.id === failedId)!;
  const target = [...svc.deployments, ...svc.history].find((d) => d.id === targetId)!;
  failed.status = 'ACTIVE';
  failed.sdStatus = 'ROLLBACK_REQUESTED';
  failed.sdStatusReason = rolloutReasons.failed;
  failed.rollback = {
    reason: serviceDeploymentReasons.rollback,
    startedAt: now,
    serviceRevisionArn: arns.serviceRevision(svc.clusterName, svc.serviceName, target.id),
  };
  const id = newDeploymentId(state, nowMs);
  const rollback: DeploymentRecord = {
    id,
    status: 'PRIMARY',
    taskDefinition: target.taskDefinition,
    createdAt: now,
    updatedAt: now,
    rolloutState: 'IN_PROGRESS',
    rolloutStateReason: rolloutReasons.rollingBack(target.id),
    failedTasks: 0,
    sdStatus: 'PENDING',
    sources: svc.deployments.map((d) => d.id),
    rollbackOf: failed.id,
  };
  for (const d of svc.deployments) if (d.status === 'PRIMARY') d.status = 'ACTIVE';
  svc.deployments = [rollback, ...svc.deployments];
  svc.taskDefinition = target.taskDefinition;
  svc._stalled = false;
  return rollback;
}
