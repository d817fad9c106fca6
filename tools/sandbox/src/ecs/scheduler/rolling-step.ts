/**
 * The rolling update's next step (ECS-SEMANTICS §1): within minimumHealthyPercent and maximumPercent,
 * which tasks of older deployments stop and how many new PRIMARY tasks start, or that neither bound
 * allows a step (the service is stalled). Pure; reconcile.ts turns the plan into transitions.
 */

/** RUNNING must stay >= minHealthy; RUNNING + PENDING must stay <= maxTotal. */
export function batchBounds(desired: number, minimumHealthyPercent: number, maximumPercent: number) {
  return {
    minHealthy: Math.ceil((desired * minimumHealthyPercent) / 100),
    maxTotal: Math.floor((desired * maximumPercent) / 100),
  };
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

/** What one step looks at: the service's bounds and its live tasks. */
export interface StepInput {
  desired: number;
  minimumHealthyPercent: number;
  maximumPercent: number;
  /** False when the PRIMARY deployment is FAILED (it launches no new tasks). */
  canLaunch: boolean;
  tasks: PlanTask[];
}

/** What one step does. */
export interface StepPlan {
  /** New PRIMARY tasks to launch now. */
  start: number;
  /** Task ids to stop now (old deployments first, never breaking the minimum). */
  stop: string[];
  /** Neither bound allows a step and nothing in flight can change that. */
  stalled: boolean;
}

/** One step: old unhealthy tasks go first, healthy old ones only above the minimum, new ones up to the maximum. */
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
