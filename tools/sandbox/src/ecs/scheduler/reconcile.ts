/**
 * One reconcile tick of one service (ECS-SEMANTICS §1, §2): what the ECS service scheduler decides
 * from the service's deployments, its tasks and the clock. Four phases, each deciding on the records
 * the previous one left:
 *   1. begin: the new service deployment starts; tasks without a health check count after the grace;
 *   2. rolling step (rolling-step.ts): stop old tasks, start new ones, or report the stall;
 *   3. verdict: COMPLETED at steady state, or the circuit breaker trips (circuit-breaker.ts);
 *   4. retire: a FAILED deployment that was replaced leaves `deployments[]` once drained (and seen);
 *      a DRAINING service whose tasks have stopped becomes INACTIVE.
 * Pure apart from applying its own transitions to the records it is given; no I/O.
 */
import type { DeploymentRecord, ServiceRecord, TaskRecord } from '../model.ts';
import { isLive, serviceTasks } from '../views.ts';
import { tripOutcome } from './circuit-breaker.ts';
import { deploymentVerdict, failedStillVisible } from './deployments.ts';
import { messages, stopReasons } from './messages.ts';
import { planStep } from './rolling-step.ts';
import { becameHealthy, countsHealthy, hasHealthCheck, serviceKey, stopLiveTask, taskDefOf } from './task-events.ts';
import { applyAll, type SchedulerState, type StepEnv, type Transition } from './transitions.ts';

/** ECS repeats the steady-state event about every 6 hours while nothing changes (§1). */
const STEADY_REPEAT_MS = 6 * 3600_000;

/** Decides and applies one tick for the service `key`; returns what was decided, in order. */
export function reconcileService(s: SchedulerState, key: string, env: StepEnv): Transition[] {
  const svc = s.ecs.services[key];
  if (!svc || svc.status === 'INACTIVE') return [];
  const out: Transition[] = [];
  applyAll(s, begin(s, svc, env), env, out);
  applyAll(s, rollingStep(s, svc, env), env, out);
  const primary = svc.deployments[0];
  if (primary) applyAll(s, verdict(s, svc, primary, env), env, out);
  applyAll(s, retireFailed(s, svc, env), env, out);
  applyAll(s, retire(s, svc), env, out);
  return out;
}

/** STOPPED tasks older than the retention leave the API (ECS keeps them at least 1 h, §3). */
export function pruneStoppedTasks(s: SchedulerState, env: StepEnv): Transition[] {
  const cutoff = env.clock() - env.stoppedRetentionMs;
  const old = Object.values(s.ecs.tasks).filter((t) => t.lastStatus === 'STOPPED' && (t.stoppedAt ?? 0) * 1000 < cutoff);
  return old.length ? applyAll(s, [{ kind: 'tasksPruned', taskIds: old.map((t) => t.id) }], env) : [];
}

function begin(s: SchedulerState, svc: ServiceRecord, env: StepEnv): Transition[] {
  const primary = svc.deployments[0];
  const now = env.clock() / 1000;
  // Without an essential-container health check a task counts once RUNNING for the grace period (§1: 40 s).
  const graced = serviceTasks(s.ecs, serviceKey(svc)).filter(
    (t) =>
      t.lastStatus === 'RUNNING' &&
      t.desiredStatus === 'RUNNING' &&
      t._healthyAt === undefined &&
      !hasHealthCheck(s, t) &&
      env.clock() - (t.startedAt ?? now) * 1000 >= env.noHealthCheckGraceMs,
  );
  return [
    ...(primary?.sdStatus === 'PENDING' ? [{ kind: 'deploymentStarted', service: serviceKey(svc), deploymentId: primary.id } as const] : []),
    ...graced.flatMap((t) => becameHealthy(s, svc, t)),
  ];
}

function rollingStep(s: SchedulerState, svc: ServiceRecord, env: StepEnv): Transition[] {
  const key = serviceKey(svc);
  const primary = svc.deployments[0] as DeploymentRecord | undefined;
  const live = serviceTasks(s.ecs, key).filter(isLive);
  const active = svc.status === 'ACTIVE';
  const plan = planStep({
    desired: active ? svc.desiredCount : 0,
    // A DRAINING service stops everything, whatever the minimum.
    minimumHealthyPercent: active ? svc.deploymentConfiguration.minimumHealthyPercent : 0,
    maximumPercent: svc.deploymentConfiguration.maximumPercent,
    canLaunch: active && !!primary && primary.rolloutState !== 'FAILED',
    tasks: live.map((t) => ({ id: t.id, primary: t.startedBy === primary?.id, healthy: countsHealthy(t), createdAt: t.createdAt })),
  });
  const out: Transition[] = [];

  if (plan.stop.length) {
    const stopped = plan.stop.map((id) => s.ecs.tasks[id]);
    const running = stopped.filter((t) => t.lastStatus === 'RUNNING').map((t) => t.id);
    const pendingCount = stopped.length - running.length;
    for (const t of stopped) out.push(...stopLiveTask(s, t, 'ServiceSchedulerInitiated', stopReasons.scaling(primary?.id)));
    if (running.length) out.push({ kind: 'event', service: key, message: messages.stoppedRunning(svc.serviceName, running) });
    if (pendingCount) out.push({ kind: 'event', service: key, message: messages.stoppedPending(svc.serviceName, pendingCount) });
  }

  const backoff = s.backoff.get(key);
  if (plan.start > 0 && primary && (!backoff || env.clock() >= backoff.until)) {
    const tasks = Array.from({ length: plan.start }, () => newTask(s, svc, primary, env));
    out.push(...tasks.map((task) => ({ kind: 'launchTask', task }) as const));
    out.push({ kind: 'event', service: key, message: messages.started(svc.serviceName, tasks.map((t) => t.id)) });
  }

  // The stall is reported once; it ends when a step happens again.
  if (plan.stalled && !svc._stalled) {
    out.push({ kind: 'stalled', service: key, stalled: true }, { kind: 'event', service: key, message: messages.unable(svc.serviceName) });
  } else if (!plan.stalled && svc._stalled && (plan.start > 0 || plan.stop.length > 0)) {
    out.push({ kind: 'stalled', service: key, stalled: false });
  }
  return out;
}

function verdict(s: SchedulerState, svc: ServiceRecord, primary: DeploymentRecord, env: StepEnv): Transition[] {
  const key = serviceKey(svc);
  const tasks = serviceTasks(s.ecs, key);
  const primaryLive = tasks.filter((t) => isLive(t) && t.startedBy === primary.id);
  const desired = svc.status === 'ACTIVE' ? svc.desiredCount : 0;
  const v = deploymentVerdict({
    desired,
    rolloutState: primary.rolloutState,
    primaryLive: primaryLive.length,
    primaryHealthy: primaryLive.filter(countsHealthy).length,
    otherNotStopped: tasks.filter((t) => t.startedBy !== primary.id && t.lastStatus !== 'STOPPED').length,
    failedTasks: primary.failedTasks,
    circuitBreaker: svc.deploymentConfiguration.deploymentCircuitBreaker,
  });
  const event = (message: string) => ({ kind: 'event', service: key, message }) as const;
  if (v === 'complete') {
    // "deployment completed." and "has reached a steady state." come together (§1).
    return [
      { kind: 'deploymentCompleted', service: key, deploymentId: primary.id },
      { kind: 'backoffCleared', service: key },
      event(messages.completed(svc.serviceName, primary.id)),
      event(messages.steady(svc.serviceName)),
      { kind: 'steadyStateReported', service: key },
    ];
  }
  if (v === 'fail') {
    const outcome = tripOutcome(svc, primary);
    const failed: Transition[] = [{ kind: 'deploymentFailed', service: key, deploymentId: primary.id, outcome }, event(messages.failed(svc.serviceName, primary.id))];
    if (outcome.kind !== 'roll-back') return failed;
    return [
      ...failed,
      { kind: 'rolledBack', service: key, from: primary.id, to: outcome.target },
      { kind: 'backoffCleared', service: key },
      event(messages.rollingBack(svc.serviceName, outcome.target)),
    ];
  }
  const quietFor = svc._steadyAt ? env.clock() - svc._steadyAt : 0;
  if (primary.rolloutState === 'COMPLETED' && svc.deployments.length === 1 && quietFor > STEADY_REPEAT_MS && tasks.filter(countsHealthy).length === desired)
    return [event(messages.steady(svc.serviceName)), { kind: 'steadyStateReported', service: key }];
  return [];
}

/**
 * A FAILED deployment that is no longer PRIMARY (a rollback replaced it, or a newer deploy did) leaves
 * `deployments[]` once its tasks are gone and it has been visible for `failedVisibleMs` (§2).
 */
function retireFailed(s: SchedulerState, svc: ServiceRecord, env: StepEnv): Transition[] {
  const tasks = serviceTasks(s.ecs, serviceKey(svc));
  return svc.deployments
    .filter((d) => d.rolloutState === 'FAILED' && d.status !== 'PRIMARY')
    .filter((d) => !failedStillVisible(d, env.clock(), env.failedVisibleMs))
    .filter((d) => tasks.every((t) => t.startedBy !== d.id || t.lastStatus === 'STOPPED'))
    .map((d) => ({ kind: 'deploymentRetired', service: serviceKey(svc), deploymentId: d.id }) as const);
}

function retire(s: SchedulerState, svc: ServiceRecord): Transition[] {
  if (svc.status !== 'DRAINING' || !serviceTasks(s.ecs, serviceKey(svc)).every((t) => t.lastStatus === 'STOPPED')) return [];
  return [{ kind: 'serviceInactive', service: serviceKey(svc) }];
}

/** A new task of `deployment`, PROVISIONING, with the tags ECS propagates (§3: startedBy, group). */
function newTask(s: SchedulerState, svc: ServiceRecord, deployment: DeploymentRecord, env: StepEnv): TaskRecord {
  const td = taskDefOf(s, deployment.taskDefinition)!;
  const id = env.taskId();
  const tags =
    svc.propagateTags === 'SERVICE' ? [...svc.tags] : svc.propagateTags === 'TASK_DEFINITION' ? [...(s.ecs.taskDefinitionTags[td.taskDefinitionArn] ?? [])] : [];
  if (svc.enableECSManagedTags) tags.push({ key: 'aws:ecs:serviceName', value: svc.serviceName }, { key: 'aws:ecs:clusterName', value: svc.clusterName });
  return {
    taskArn: env.arns.task(svc.clusterName, id),
    id,
    clusterName: svc.clusterName,
    clusterArn: svc.clusterArn,
    taskDefinitionArn: td.taskDefinitionArn,
    lastStatus: 'PROVISIONING',
    desiredStatus: 'RUNNING',
    healthStatus: 'UNKNOWN',
    launchType: svc.launchType,
    startedBy: deployment.id,
    group: `service:${svc.serviceName}`,
    createdAt: env.clock() / 1000,
    containers: td.containerDefinitions.map((c) => ({
      containerArn: env.arns.container(svc.clusterName, id, c.name),
      name: c.name,
      image: c.image,
      lastStatus: 'PENDING',
      healthStatus: 'UNKNOWN',
      essential: c.essential !== false,
    })),
    tags,
    _service: serviceKey(svc),
    ...(td.cpu !== undefined ? { cpu: td.cpu } : {}),
    ...(td.memory !== undefined ? { memory: td.memory } : {}),
  } as TaskRecord;
}
