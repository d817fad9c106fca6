/**
 * The scheduler's decisions as data. reconcile.ts (each tick) and task-events.ts (what the task runner
 * observes) return lists of transitions; `applyTransition` makes each one happen to the records; the
 * controller then carries out the Docker side of `launchTask`, `stopTask`, `essentialContainerExited`
 * and `serviceInactive`. Pure: no I/O, the clock and ids come from `StepEnv`.
 */
import type { EcsState, HealthStatus, TaskRecord } from '../model.ts';
import type { Arns } from '../views.ts';
import { failDeployment, rollBack, type TripOutcome } from './circuit-breaker.ts';
import { completeDeployment } from './deployments.ts';
import { stopReasons } from './messages.ts';

/** One change the scheduler decided; `service` is the service key `<cluster>/<name>`. */
export type Transition =
  /** The PRIMARY service deployment leaves PENDING on its first tick. */
  | { kind: 'deploymentStarted'; service: string; deploymentId: string }
  /** A task begins to count toward minimumHealthyPercent (container health HEALTHY, or the grace without a check is over). */
  | { kind: 'taskHealthy'; taskId: string }
  /** resetOnHealthyTask: the deployment's consecutive failure count goes back to 0. */
  | { kind: 'failuresReset'; service: string; deploymentId: string }
  /** The task's failure is counted (once per task); against `deploymentId` when that deployment is rolling out. */
  | { kind: 'failureCounted'; taskId: string; deploymentId?: string }
  /** Launch back-off after tasks fail to start (ECS service throttle logic), or its end. */
  | { kind: 'backedOff'; service: string; untilMs: number; delayMs: number }
  | { kind: 'backoffCleared'; service: string }
  /** A service event (newest first, at most 100). */
  | { kind: 'event'; service: string; message: string }
  /** A live task is told to stop: desiredStatus STOPPED; a RUNNING one is DEACTIVATING (load balancer drain). */
  | { kind: 'stopTask'; taskId: string; stopCode: string; reason: string }
  /** A new task of the PRIMARY deployment, PROVISIONING; the runner launches it. */
  | { kind: 'launchTask'; task: TaskRecord }
  /** Whether the "unable to stop or start tasks" event was sent for the current stall. */
  | { kind: 'stalled'; service: string; stalled: boolean }
  /** The PRIMARY deployment reached steady state (deployments.ts). */
  | { kind: 'deploymentCompleted'; service: string; deploymentId: string }
  /** The steady-state event was sent now (it repeats at most every 6 h). */
  | { kind: 'steadyStateReported'; service: string }
  /** The circuit breaker tripped (circuit-breaker.ts). */
  | { kind: 'deploymentFailed'; service: string; deploymentId: string; outcome: TripOutcome }
  /** The rollback: a new PRIMARY deployment of `to`'s (the last COMPLETED deployment's) task definition. */
  | { kind: 'rolledBack'; service: string; from: string; to: string }
  /** A FAILED deployment that is no longer PRIMARY and has no task left leaves `deployments[]` (§2). */
  | { kind: 'deploymentRetired'; service: string; deploymentId: string }
  /** A DRAINING service whose tasks have all stopped is INACTIVE. */
  | { kind: 'serviceInactive'; service: string }
  /** The launch failed (image pull, container create/start): TaskFailedToStart with the agent's reason. */
  | { kind: 'taskFailedToStart'; taskId: string; reason: string }
  /** A container of the task exited (exit code when known). */
  | { kind: 'containerStopped'; taskId: string; container: string; exitCode?: number }
  /** An essential container exited: the task stops (EssentialContainerExited). */
  | { kind: 'essentialContainerExited'; taskId: string }
  /** A container's health check result changed; `taskHealth` is the task's health from its essential containers. */
  | { kind: 'containerHealth'; taskId: string; container: string; status: HealthStatus; taskHealth: HealthStatus }
  /** The task's target became healthy (it now counts) or unhealthy in its target group. */
  | { kind: 'targetHealth'; taskId: string; healthy: boolean }
  /** STOPPED tasks past their retention leave DescribeTasks/ListTasks. */
  | { kind: 'tasksPruned'; taskIds: string[] };

/** Clock, ids and settings of a step, injected so that tests are deterministic. */
export interface StepEnv {
  /** Epoch milliseconds. */
  clock(): number;
  /** A new task id (32 hex digits) or event id (UUID). */
  taskId(): string;
  eventId(): string;
  arns: Arns;
  /** Without an essential-container health check a RUNNING task counts as healthy after this (ECS: 40 s). */
  noHealthCheckGraceMs: number;
  /** STOPPED tasks stay visible this long (ECS: at least 1 h). */
  stoppedRetentionMs: number;
  /** A FAILED deployment stays in `deployments[]` at least this long after it failed (ECS: minutes; a 15 s poller sees it). */
  failedVisibleMs: number;
}

/** Per-service launch back-off (not persisted: a restarted sandbox launches at once). */
export interface LaunchBackoff {
  /** No launch before this time (epoch ms). */
  until: number;
  delayMs: number;
}

/** What the scheduler decides over: the persisted ECS state and the launch back-off per service key. */
export interface SchedulerState {
  ecs: EcsState;
  backoff: Map<string, LaunchBackoff>;
}

/** Makes one transition happen to the records (and to the back-off map). */
export function applyTransition(s: SchedulerState, tr: Transition, env: StepEnv): void {
  const state = s.ecs;
  const now = env.clock() / 1000;
  const svc = 'service' in tr ? state.services[tr.service] : undefined;
  const task = 'taskId' in tr ? state.tasks[tr.taskId] : undefined;
  const deployment = (id: string) => svc?.deployments.find((d) => d.id === id);
  switch (tr.kind) {
    case 'deploymentStarted': {
      const d = deployment(tr.deploymentId)!;
      d.sdStatus = 'IN_PROGRESS';
      d.startedAt = now;
      // A rollback deployment under way: the failed service deployment is ROLLBACK_IN_PROGRESS (§2).
      const failed = d.rollbackOf ? deployment(d.rollbackOf) : undefined;
      if (failed?.sdStatus === 'ROLLBACK_REQUESTED') failed.sdStatus = 'ROLLBACK_IN_PROGRESS';
      return;
    }
    case 'deploymentRetired': {
      const d = deployment(tr.deploymentId)!;
      d.status = 'INACTIVE';
      d.updatedAt = now;
      svc!.deployments = svc!.deployments.filter((x) => x !== d);
      svc!.history.unshift(d);
      return;
    }
    case 'taskHealthy':
      task!._healthyAt = now;
      return;
    case 'targetHealth':
      task!._targetHealthy = tr.healthy;
      return;
    case 'failuresReset':
      deployment(tr.deploymentId)!.failedTasks = 0;
      return;
    case 'failureCounted': {
      task!._failureCounted = true;
      const d = tr.deploymentId ? state.services[task!._service!]?.deployments.find((x) => x.id === tr.deploymentId) : undefined;
      if (d) {
        d.failedTasks++;
        d.updatedAt = now;
      }
      return;
    }
    case 'backedOff':
      s.backoff.set(tr.service, { until: tr.untilMs, delayMs: tr.delayMs });
      return;
    case 'backoffCleared':
      s.backoff.delete(tr.service);
      return;
    case 'event':
      svc!.events.unshift({ id: env.eventId(), createdAt: now, message: tr.message });
      if (svc!.events.length > 100) svc!.events.length = 100;
      return;
    case 'stopTask':
      task!.desiredStatus = 'STOPPED';
      task!.stopCode = tr.stopCode;
      task!.stoppedReason = tr.reason;
      task!.stoppingAt = now;
      if (task!.lastStatus === 'RUNNING') task!.lastStatus = 'DEACTIVATING';
      return;
    case 'launchTask':
      state.tasks[tr.task.id] = tr.task;
      return;
    case 'stalled':
      svc!._stalled = tr.stalled;
      return;
    case 'deploymentCompleted':
      completeDeployment(svc!, deployment(tr.deploymentId)!, env.clock(), env.failedVisibleMs);
      return;
    case 'steadyStateReported':
      svc!._steadyAt = env.clock();
      return;
    case 'deploymentFailed':
      failDeployment(svc!, deployment(tr.deploymentId)!, tr.outcome, env.clock());
      return;
    case 'rolledBack':
      rollBack(state, svc!, tr.from, tr.to, env.clock(), env.arns);
      return;
    case 'serviceInactive':
      svc!.status = 'INACTIVE';
      for (const d of svc!.deployments.slice(1)) d.status = 'INACTIVE';
      return;
    case 'taskFailedToStart':
      task!.desiredStatus = 'STOPPED';
      task!.stopCode = 'TaskFailedToStart';
      task!.stoppedReason = tr.reason;
      for (const c of task!.containers) if (!c._dockerId) c.reason = tr.reason;
      return;
    case 'containerStopped': {
      const c = task!.containers.find((x) => x.name === tr.container)!;
      if (tr.exitCode !== undefined) c.exitCode = tr.exitCode;
      c.lastStatus = 'STOPPED';
      return;
    }
    case 'essentialContainerExited':
      task!.desiredStatus = 'STOPPED';
      task!.stopCode = 'EssentialContainerExited';
      task!.stoppedReason = stopReasons.essentialExited;
      task!.stoppingAt = now;
      task!.lastStatus = 'STOPPING';
      return;
    case 'containerHealth':
      task!.containers.find((x) => x.name === tr.container)!.healthStatus = tr.status;
      task!.healthStatus = tr.taskHealth;
      return;
    case 'tasksPruned':
      for (const id of tr.taskIds) delete state.tasks[id];
      return;
  }
}

/** Applies transitions in order, each seeing the records the previous ones left; returns them. */
export function applyAll(s: SchedulerState, trs: Transition[], env: StepEnv, into: Transition[] = []): Transition[] {
  for (const tr of trs) {
    applyTransition(s, tr, env);
    into.push(tr);
  }
  return into;
}
