/**
 * What the scheduler decides when something happens to one task: the runner saw a launch fail, a
 * container exit or a health check change, or someone asked for a stop (ECS-SEMANTICS §1–§3). Also the
 * task-level rules reconcile.ts shares: becoming healthy, stopping a live task, counting a failure.
 */
import { healthCommand } from '../health.ts';
import { taskDefinitionByArn, type HealthStatus, type ServiceRecord, type TaskRecord } from '../model.ts';
import { isLive } from '../views.ts';
import { countsFailure, resetsOnHealthy } from './circuit-breaker.ts';
import { messages, stopReasons } from './messages.ts';
import type { SchedulerState, StepEnv, Transition } from './transitions.ts';

/** Something that happened to a task, as the task runner (or the StopTask API) reports it. */
export type TaskObservation =
  /** StopTask, or the scheduler's own decision to stop. */
  | { kind: 'stopRequested'; taskId: string; stopCode: string; reason: string }
  /** Pulling the image (`pull`) or creating/starting a container (`start`) failed with `message`. */
  | { kind: 'failedToStart'; taskId: string; stage: 'pull' | 'start' | 'init'; message: string }
  | { kind: 'containerExited'; taskId: string; container: string; exitCode?: number }
  | { kind: 'containerHealth'; taskId: string; container: string; status: HealthStatus }
  /** The ELB health check of the task's target in its target group (each probe once the target left `initial`). */
  | { kind: 'targetHealth'; taskId: string; targetGroup: string; healthy: boolean; description?: string };

/** Tasks that never reach RUNNING slow further launches: 1 s doubling to 60 s (ECS: up to 15 min). */
const BACKOFF_FIRST_MS = 1000;
const BACKOFF_MAX_MS = 60_000;
/** The "unable to consistently start tasks" event is sent when the back-off first reaches this. */
const BACKOFF_EVENT_MS = 8000;

/** The service's key in the state: `<cluster>/<name>`. */
export const serviceKey = (svc: Pick<ServiceRecord, 'clusterName' | 'serviceName'>) => `${svc.clusterName}/${svc.serviceName}`;

/** A task counts toward minimumHealthyPercent: RUNNING, meant to run, and healthy (or past the grace). */
export const countsHealthy = (t: TaskRecord) =>
  t.lastStatus === 'RUNNING' && t.desiredStatus === 'RUNNING' && t._healthyAt !== undefined && (t._tg === undefined || t._targetHealthy === true);

/** The task definition revision a task or deployment runs. */
export const taskDefOf = (s: SchedulerState, arn: string) => taskDefinitionByArn(s.ecs, arn);

/** Only task-definition health checks of essential containers count (§3). */
export function hasHealthCheck(s: SchedulerState, t: TaskRecord): boolean {
  return !!taskDefOf(s, t.taskDefinitionArn)?.containerDefinitions.some((c) => c.essential !== false && c.healthCheck && healthCommand(c.healthCheck));
}

const targetGroup = (svc: ServiceRecord | undefined) => svc?.loadBalancers.find((l) => l.targetGroupArn)?.targetGroupArn;
const serviceOf = (s: SchedulerState, t: TaskRecord) => (t._service ? s.ecs.services[t._service] : undefined);

/** The task now counts: its deployment's failure count resets (resetOnHealthyTask), launches resume, the target registers. */
export function becameHealthy(s: SchedulerState, svc: ServiceRecord, t: TaskRecord): Transition[] {
  const key = serviceKey(svc);
  const d = svc.deployments.find((x) => x.id === t.startedBy);
  const tg = targetGroup(svc);
  return [
    { kind: 'taskHealthy', taskId: t.id },
    ...(resetsOnHealthy(d, svc.deploymentConfiguration.deploymentCircuitBreaker) ? [{ kind: 'failuresReset', service: key, deploymentId: d.id } as const] : []),
    { kind: 'backoffCleared', service: key },
    ...(tg ? [{ kind: 'event', service: key, message: messages.registered(svc.serviceName, 1, tg) } as const] : []),
  ];
}

/** Stops a live task; a RUNNING task that was serving leaves its target group first. */
export function stopLiveTask(s: SchedulerState, t: TaskRecord, stopCode: string, reason: string): Transition[] {
  if (!isLive(t)) return [];
  const out: Transition[] = [{ kind: 'stopTask', taskId: t.id, stopCode, reason }];
  const svc = serviceOf(s, t);
  const tg = targetGroup(svc);
  if (t.lastStatus === 'RUNNING' && t._healthyAt !== undefined && svc && tg)
    out.push({ kind: 'event', service: serviceKey(svc), message: messages.deregistered(svc.serviceName, 1, tg) });
  return out;
}

/** Counts the task's failure against its deployment for the circuit breaker, once per task. */
export function countFailure(s: SchedulerState, t: TaskRecord): Transition[] {
  if (t._failureCounted || !t._service) return [];
  const d = serviceOf(s, t)?.deployments.find((x) => x.id === t.startedBy);
  return [{ kind: 'failureCounted', taskId: t.id, ...(countsFailure(d) ? { deploymentId: d.id } : {}) }];
}

/** ECS service throttle logic, simplified: each task that fails to start doubles the launch delay. */
function throttle(s: SchedulerState, t: TaskRecord, env: StepEnv): Transition[] {
  if (!t._service) return [];
  const prev = s.backoff.get(t._service);
  const delayMs = Math.min(BACKOFF_MAX_MS, prev ? prev.delayMs * 2 : BACKOFF_FIRST_MS);
  const out: Transition[] = [{ kind: 'backedOff', service: t._service, untilMs: env.clock() + delayMs, delayMs }];
  const svc = serviceOf(s, t);
  if (svc && delayMs >= BACKOFF_EVENT_MS && (!prev || prev.delayMs < BACKOFF_EVENT_MS))
    out.push({ kind: 'event', service: t._service, message: messages.unableToStart(svc.serviceName) });
  return out;
}

/** The task's health from its essential containers that have a check: UNHEALTHY > UNKNOWN > HEALTHY (§3). */
function taskHealth(s: SchedulerState, t: TaskRecord, changed: { container: string; status: HealthStatus }): HealthStatus {
  const td = taskDefOf(s, t.taskDefinitionArn);
  const statuses = t.containers
    .filter((c) => {
      const def = td?.containerDefinitions.find((d) => d.name === c.name);
      return c.essential && def?.healthCheck && healthCommand(def.healthCheck);
    })
    .map((c) => (c.name === changed.container ? changed.status : c.healthStatus));
  return statuses.includes('UNHEALTHY') ? 'UNHEALTHY' : statuses.length === 0 || statuses.includes('UNKNOWN') ? 'UNKNOWN' : 'HEALTHY';
}

/** The transitions one observation leads to (empty when the task is gone or no longer concerned). */
export function observeTask(s: SchedulerState, obs: TaskObservation, env: StepEnv): Transition[] {
  const t = s.ecs.tasks[obs.taskId];
  if (!t) return [];
  switch (obs.kind) {
    case 'stopRequested':
      return stopLiveTask(s, t, obs.stopCode, obs.reason);
    case 'failedToStart': {
      const reason = obs.stage === 'pull' ? stopReasons.cannotPull(obs.message) : obs.stage === 'init' ? obs.message : stopReasons.cannotStart(obs.message);
      const stop: Transition[] = t.desiredStatus === 'RUNNING' ? [{ kind: 'taskFailedToStart', taskId: t.id, reason }] : [];
      return [...stop, ...countFailure(s, t), ...throttle(s, t, env)];
    }
    case 'containerExited': {
      const rec = t.containers.find((c) => c.name === obs.container);
      if (!rec) return [];
      const stopped: Transition = { kind: 'containerStopped', taskId: t.id, container: obs.container, ...(obs.exitCode !== undefined ? { exitCode: obs.exitCode } : {}) };
      if (!isLive(t) || !rec.essential) return [stopped];
      return [stopped, { kind: 'essentialContainerExited', taskId: t.id }, ...countFailure(s, t)];
    }
    case 'containerHealth': {
      if (!isLive(t)) return [];
      const svc = serviceOf(s, t);
      const health = taskHealth(s, t, obs);
      const out: Transition[] = [{ kind: 'containerHealth', taskId: t.id, container: obs.container, status: obs.status, taskHealth: health }];
      if (health === 'HEALTHY' && t._healthyAt === undefined && svc) out.push(...becameHealthy(s, svc, t));
      if (health === 'UNHEALTHY' && svc)
        out.push(
          { kind: 'event', service: serviceKey(svc), message: messages.healthFailed(svc.serviceName, t.id) },
          ...countFailure(s, t),
          ...stopLiveTask(s, t, 'ServiceSchedulerInitiated', stopReasons.healthCheck),
        );
      return out;
    }
    case 'targetHealth': {
      if (!isLive(t) || t.desiredStatus !== 'RUNNING') return [];
      if (obs.healthy) return t._targetHealthy ? [] : [{ kind: 'targetHealth', taskId: t.id, healthy: true }];
      const out: Transition[] = t._targetHealthy === false ? [] : [{ kind: 'targetHealth', taskId: t.id, healthy: false }];
      const svc = serviceOf(s, t);
      // ECS ignores ELB health checks during the service's healthCheckGracePeriodSeconds after the task started.
      const graceEnds = (t.startedAt ?? env.clock() / 1000) + (svc?.healthCheckGracePeriodSeconds ?? 0);
      if (!svc || env.clock() / 1000 < graceEnds) return out;
      return [
        ...out,
        { kind: 'event', service: serviceKey(svc), message: messages.elbUnhealthy(svc.serviceName, t.id, obs.targetGroup, obs.description) },
        ...countFailure(s, t),
        ...stopLiveTask(s, t, 'ServiceSchedulerInitiated', stopReasons.elbHealthCheck(obs.targetGroup)),
      ];
    }
  }
}
