/**
 * A service's deployments over their life (ECS-SEMANTICS §1): a new deployment becomes PRIMARY and
 * the previous ones ACTIVE; the PRIMARY one COMPLETES at steady state, and the others then leave
 * `deployments[]` for the history ListServiceDeployments reads. The circuit breaker's FAILED and
 * rollback live in circuit-breaker.ts. Pure: records in, records changed; no I/O.
 */
import type { CircuitBreakerConfig, DeploymentRecord, EcsState, RolloutState, ServiceRecord } from '../model.ts';
import { breakerTrips } from './circuit-breaker.ts';
import { rolloutReasons } from './messages.ts';

/** Deployments kept per service after they leave `deployments[]`. */
const HISTORY_LIMIT = 200;

/** `ecs-svc/` + 19 digits: the creation time and a per-sandbox sequence number. */
export function newDeploymentId(state: EcsState, nowMs: number): string {
  const n = state.nextDeploymentNumber++;
  return `ecs-svc/${String(nowMs).padStart(14, '0')}${String(n % 100000).padStart(5, '0')}`;
}

/**
 * Starts a new PRIMARY deployment of the service's current task definition (CreateService, a new task
 * definition, forceNewDeployment): the previous PRIMARY becomes ACTIVE, and its service deployment, if
 * still under way, is STOPPED as superseded.
 */
export function startDeployment(state: EcsState, svc: ServiceRecord, nowMs: number): DeploymentRecord {
  const now = nowMs / 1000;
  const sources = svc.deployments.map((d) => d.id);
  for (const d of svc.deployments) {
    if (d.status === 'PRIMARY') {
      d.status = 'ACTIVE';
      d.updatedAt = now;
    }
    // A service deployment still under way (or a rollback of one) is STOPPED as superseded.
    if (d.sdStatus === 'PENDING' || d.sdStatus === 'IN_PROGRESS' || d.sdStatus === 'ROLLBACK_REQUESTED' || d.sdStatus === 'ROLLBACK_IN_PROGRESS') {
      d.sdStatus = 'STOPPED';
      d.sdStatusReason = 'Superseded by a newer service deployment.';
      d.finishedAt = now;
      d.stoppedAt = now;
    }
  }
  const id = newDeploymentId(state, nowMs);
  const deployment: DeploymentRecord = {
    id,
    status: 'PRIMARY',
    taskDefinition: svc.taskDefinition,
    createdAt: now,
    updatedAt: now,
    rolloutState: 'IN_PROGRESS',
    rolloutStateReason: rolloutReasons.inProgress(id),
    failedTasks: 0,
    sdStatus: 'PENDING',
    sources,
  };
  svc.deployments.unshift(deployment);
  svc._stalled = false;
  return deployment;
}

/** What the verdict looks at: the PRIMARY deployment's rollout and the service's tasks. */
export interface VerdictInput {
  desired: number;
  rolloutState: RolloutState;
  /** Live tasks of the PRIMARY deployment and how many of them count as healthy. */
  primaryLive: number;
  primaryHealthy: number;
  /** Tasks of other deployments not yet STOPPED (including those still stopping). */
  otherNotStopped: number;
  failedTasks: number;
  circuitBreaker: CircuitBreakerConfig;
}

/**
 * What happens to the PRIMARY deployment now: the breaker trips (`fail`), it reaches steady state
 * (`complete`: every task healthy at the desired count, every other deployment's task STOPPED), or nothing.
 */
export function deploymentVerdict(v: VerdictInput): 'complete' | 'fail' | 'none' {
  if (v.rolloutState !== 'IN_PROGRESS') return 'none';
  if (breakerTrips(v.failedTasks, v.desired, v.circuitBreaker)) return 'fail';
  if (v.primaryLive === v.desired && v.primaryHealthy === v.desired && v.otherNotStopped === 0) return 'complete';
  return 'none';
}

/**
 * The PRIMARY deployment COMPLETED: its service deployment is SUCCESSFUL (or, when it is a rollback,
 * the failed one's rollback is ROLLBACK_SUCCESSFUL), and every other deployment leaves `deployments[]`
 * for the history, except a FAILED one still within `failedVisibleMs` of its failure (retired later).
 */
export function completeDeployment(svc: ServiceRecord, primary: DeploymentRecord, nowMs: number, failedVisibleMs: number): void {
  const now = nowMs / 1000;
  primary.rolloutState = 'COMPLETED';
  primary.rolloutStateReason = rolloutReasons.completed(primary.id);
  primary.updatedAt = now;
  primary.sdStatus = 'SUCCESSFUL';
  primary.finishedAt = now;
  if (primary.rollbackOf) {
    const failed = [...svc.deployments, ...svc.history].find((d) => d.id === primary.rollbackOf);
    if (failed && (failed.sdStatus === 'ROLLBACK_IN_PROGRESS' || failed.sdStatus === 'ROLLBACK_REQUESTED')) {
      failed.sdStatus = 'ROLLBACK_SUCCESSFUL';
      failed.finishedAt = now;
    }
  }
  const kept: DeploymentRecord[] = [primary];
  for (const d of svc.deployments.slice(1)) {
    if (failedStillVisible(d, nowMs, failedVisibleMs)) {
      kept.push(d);
      continue;
    }
    d.status = 'INACTIVE';
    d.updatedAt = now;
    if (d.sdStatus === 'IN_PROGRESS' || d.sdStatus === 'PENDING') {
      d.sdStatus = 'STOPPED';
      d.finishedAt = now;
    }
    svc.history.unshift(d);
  }
  svc.deployments = kept;
  if (svc.history.length > HISTORY_LIMIT) svc.history.length = HISTORY_LIMIT;
}

/** A FAILED deployment stays listed at least `failedVisibleMs` after it failed (§2: captures saw it for minutes). */
export function failedStillVisible(d: DeploymentRecord, nowMs: number, failedVisibleMs: number): boolean {
  return d.rolloutState === 'FAILED' && d.status !== 'PRIMARY' && nowMs < (d.failedAtMs ?? 0) + failedVisibleMs;
}
