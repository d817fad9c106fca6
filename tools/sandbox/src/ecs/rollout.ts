/**
 * Pure rolling-update logic (ECS-SEMANTICS §1, §2): batch bounds, one reconcile step, the circuit
 * breaker threshold and the deployment verdict. No I/O here; controller.ts applies the results.
 */
import type { CircuitBreakerConfig } from './model.ts';

/** RUNNING must stay >= minHealthy; RUNNING + PENDING must stay <= maxTotal. */
export function batchBounds(desired: number, minimumHealthyPercent: number, maximumPercent: number) {
  return {
    minHealthy: Math.ceil((desired * minimumHealthyPercent) / 100),
    maxTotal: Math.floor((desired * maximumPercent) / 100),
  };
}

/** Default: clamp(ceil(0.5 × desired), 3, 200); `thresholdConfiguration` replaces the rule. */
export function circuitBreakerThreshold(desired: number, cb?: Pick<CircuitBreakerConfig, 'thresholdConfiguration'>): number {
  const tc = cb?.thresholdConfiguration;
  if (tc?.type === 'COUNT') return Math.max(1, Math.floor(tc.value));
  if (tc?.type === 'UNBOUNDED_PERCENT') return Math.max(1, Math.ceil((desired * tc.value) / 100));
  const pct = tc?.type === 'BOUNDED_PERCENT' ? tc.value : 50;
  return Math.min(200, Math.max(3, Math.ceil((desired * pct) / 100)));
}

/** A live task (desiredStatus RUNNING) as the planner sees it. */
export interface PlanTask {
  id: string;
  /** Belongs to the PRIMARY deployment. */
  primary: boolean;
  /** Counts toward minimumHealthyPercent (HEALTHY, or RUNNING past the no-health-check grace). */
  healthy: boolean;
  /** Creation order; older tasks are stopped first among old deployments. */
  createdAt: number;
}

export interface StepInput {
  desired: number;
  minimumHealthyPercent: number;
  maximumPercent: number;
  /** False when the PRIMARY deployment is FAILED (it launches no new tasks). */
  canLaunch: boolean;
  tasks: PlanTask[];
}

export interface StepPlan {
  /** New PRIMARY tasks to launch now. */
  start: number;
  /** Task ids to stop now (old deployments first, never breaking the minimum). */
  stop: string[];
  /** Neither bound allows a step and nothing in flight can change that. */
  stalled: boolean;
}

export function planStep(input: StepInput): StepPlan {
  const { desired, canLaunch, tasks } = input;
  const { minHealthy, maxTotal } = batchBounds(desired, input.minimumHealthyPercent, input.maximumPercent);
  const stop: string[] = [];
  let healthy = tasks.filter((t) => t.healthy).length;

  // Tasks that are not healthy don't count toward the minimum, so stopping old ones is free.
  const old = tasks.filter((t) => !t.primary).sort((a, b) => a.createdAt - b.createdAt);
  // A FAILED deployment launches nothing, so old tasks are its only capacity: leave them be.
  if (canLaunch) for (const t of old) if (!t.healthy) stop.push(t.id);

  // Scale-in of the PRIMARY deployment: unhealthy and newest first.
  const primary = tasks.filter((t) => t.primary);
  let primaryKept = primary.length;
  if (primary.length > desired) {
    const excess = [...primary].sort((a, b) => Number(a.healthy) - Number(b.healthy) || b.createdAt - a.createdAt);
    for (const t of excess.slice(0, primary.length - desired)) {
      stop.push(t.id);
      if (t.healthy) healthy--;
      primaryKept--;
    }
  }

  for (const t of old) {
    if (!canLaunch) break;
    if (!t.healthy) continue;
    if (healthy - 1 < minHealthy) break;
    stop.push(t.id);
    healthy--;
  }

  const remaining = tasks.length - stop.length;
  const need = Math.max(0, desired - primaryKept);
  const start = canLaunch ? Math.max(0, Math.min(need, maxTotal - remaining)) : 0;
  const inFlight = tasks.some((t) => !t.healthy);
  const stalled = canLaunch && need > 0 && start === 0 && stop.length === 0 && !inFlight;
  return { start, stop, stalled };
}

export interface VerdictInput {
  desired: number;
  rolloutState: 'IN_PROGRESS' | 'COMPLETED' | 'FAILED';
  /** Live tasks of the PRIMARY deployment and how many of them count as healthy. */
  primaryLive: number;
  primaryHealthy: number;
  /** Tasks of other deployments not yet STOPPED (including those still stopping). */
  otherNotStopped: number;
  failedTasks: number;
  circuitBreaker: CircuitBreakerConfig;
}

/** What happens to the PRIMARY deployment now: it completes, the breaker trips, or nothing. */
export function deploymentVerdict(v: VerdictInput): 'complete' | 'fail' | 'none' {
  if (v.rolloutState !== 'IN_PROGRESS') return 'none';
  if (v.circuitBreaker.enable && v.failedTasks >= circuitBreakerThreshold(v.desired, v.circuitBreaker)) return 'fail';
  if (v.primaryLive === v.desired && v.primaryHealthy === v.desired && v.otherNotStopped === 0) return 'complete';
  return 'none';
}

/** ECS service event texts (§1). */
export const messages = {
  steady: (s: string) => `(service ${s}) has reached a steady state.`,
  started: (s: string, ids: string[]) => `(service ${s}) has started ${ids.length} tasks: ${ids.map((i) => `(task ${i})`).join(' ')}.`,
  stoppedRunning: (s: string, ids: string[]) =>
    `(service ${s}) has stopped ${ids.length} running tasks: ${ids.map((i) => `(task ${i})`).join(' ')}.`,
  stoppedPending: (s: string, n: number) => `(service ${s}) stopped ${n} pending tasks.`,
  completed: (s: string, d: string) => `(service ${s}) (deployment ${d}) deployment completed.`,
  failed: (s: string, d: string) => `(service ${s}) (deployment ${d}) deployment failed: tasks failed to start.`,
  rollingBack: (s: string, d: string) => `(service ${s}) rolling back to deployment ${d}.`,
  healthFailed: (s: string, task: string) => `(service ${s}) (task ${task}) failed container health checks.`,
  registered: (s: string, n: number, tg: string) => `(service ${s}) registered ${n} targets in (target-group ${tg})`,
  deregistered: (s: string, n: number, tg: string) => `(service ${s}) deregistered ${n} targets in (target-group ${tg})`,
  unable: (s: string) =>
    `(service ${s}) was unable to stop or start tasks during a deployment because of the service deployment configuration. Update the minimumHealthyPercent or maximumPercent value and try again.`,
  unableToStart: (s: string) => `(service ${s}) is unable to consistently start tasks successfully.`,
};

export const rolloutReasons = {
  inProgress: (d: string) => `ECS deployment ${d} in progress.`,
  completed: (d: string) => `ECS deployment ${d} completed.`,
  failed: 'ECS deployment circuit breaker: tasks failed to start.',
  rollingBack: (d: string) => `ECS deployment circuit breaker: rolling back to deploymentId ${d}.`,
};
