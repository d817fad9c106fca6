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
    if (d.status !== 'PRIMARY') continue;
    d.status = 'ACTIVE';
    d.updatedAt = now;
    if (d.sdStatus === 'PENDING' || d.sdStatus === 'IN_PROGRESS' || d.sdStatus === 'ROLLBACK_IN_PROGRESS') {
      d.sdStatus = 'STOPPED';
      d.sdStatusReason = 'Superseded by a newer service deployment.';
      d.finishedAt = now;
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
 * The PRIMARY deployment COMPLETED: its service deployment is SUCCESSFUL (or, when it was a rollback
 * target, the failed one's rollback is), and every other deployment leaves `deployments[]` for the history.
 */
export function completeDeployment(svc: ServiceRecord, primary: DeploymentRecord, now: number): void {
  primary.rolloutState = 'COMPLETED';
  primary.rolloutStateReason = rolloutReasons.completed(primary.id);
  primary.updatedAt = now;
  if (primary.rollingBackFrom) {
    const failed = [...svc.deployments, ...svc.history].find((d) => d.id === primary.rollingBackFrom);
    if (failed) {
      failed.sdStatus = 'ROLLBACK_SUCCESSFUL';
      failed.finishedAt = now;
    }
    delete primary.rollingBackFrom;
  } else {
    primary.sdStatus = 'SUCCESSFUL';
    primary.finishedAt = now;
  }
  for (const d of svc.deployments.slice(1)) {
    d.status = 'INACTIVE';
    d.updatedAt = now;
    if (d.sdStatus === 'IN_PROGRESS' || d.sdStatus === 'PENDING') {
      d.sdStatus = 'STOPPED';
      d.finishedAt = now;
    }
    svc.history.unshift(d);
  }
  svc.deployments = [primary];
  if (svc.history.length > HISTORY_LIMIT) svc.history.length = HISTORY_LIMIT;
}
