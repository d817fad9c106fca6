/**
 * applyDeploy: performs a DeployPlan (plan.ts). Up to date: nothing. Otherwise: check the image is
 * in ECR, register the revision, move the service to it (roll.ts), and then either record the
 * success and prune old revisions, or hand the failure to recover.ts.
 */
import { FerryError, systemClock, type AppDeployConfig } from '@ferry/core';
import type { EcsPort, LogsPort, ScalingPort } from '@ferry/aws';
import { applyScaling, scalingChanges, scalingUnchanged } from './autoscaling.ts';
import type { DeployPlan } from './plan.ts';
import { describeCluster } from './live.ts';
import { runMigration } from './migrate.ts';
import { recordCompleted } from './records.ts';
import { recover } from './recover.ts';
import { DEREGISTER_PER_SECOND, pruneRevisions } from './revisions.ts';
import { rollService, type RolloutResult, type RolloutSettings, type ServiceMove } from './roll.ts';
import { rolloutDurationMs, shortTaskDefinition } from './rollout.ts';
import { tokenBucket } from './token-bucket.ts';

export type { RolloutSettings } from './roll.ts';

/** The side effects deploy-app needs: the ECS port, an ECR image lookup, CloudWatch Logs. */
export interface DeployPorts {
  ecs: EcsPort;
  /** Creates the app's log group before registering and reads failed tasks' logs; absent: neither (table tests). */
  logs?: LogsPort;
  /** Whether `repository:tag` exists in ECR (imageExists from @ferry/aws over the ECR port). */
  imageExists(repository: string, tag: string): Promise<boolean>;
  /** Application Auto Scaling: applies the plan's `scaling` once the service exists; absent: plans without `autoscaling` only. */
  scaling?: ScalingPort;
}

export interface DeployResult {
  plan: DeployPlan;
  /** What ended up live. */
  taskDefinitionArn: string;
  deploymentId?: string;
  /** Revisions deregistered after the deploy. */
  deregistered: string[];
}

type Step = 'autoscaling' | 'log-group' | 'register-task-definition' | 'migrate' | 'update-service' | 'create-service' | 'rollout' | 'rollback' | 'cleanup';

/** Runs the plan: writes, the rollout, and what follows its verdict. */
export async function applyDeploy(ports: DeployPorts, plan: DeployPlan, app: AppDeployConfig, s: RolloutSettings): Promise<DeployResult> {
  const { ecs } = ports;
  const step = (name: Step, status: 'start' | 'done' | 'skip' | 'fail', message: string, data?: Record<string, unknown>) =>
    s.reporter.emit({ kind: 'step', app: plan.app, step: name, status, message, ...(data && { data }) });
  const where = { app: plan.app, cluster: plan.cluster, service: plan.service };

  for (const message of plan.notes ?? []) s.reporter.emit({ kind: 'info', app: plan.app, message });
  if (plan.kind === 'up-to-date') {
    if (plan.scale) {
      // The desired count alone: UpdateService without a task definition starts no deployment (ECS-SEMANTICS §4).
      await s.beforeWrite?.();
      await ecs.updateService({ cluster: plan.cluster, service: plan.service, desiredCount: plan.scale.to });
      step('update-service', 'done', `desired count ${plan.scale.from} -> ${plan.scale.to}; ${shortTaskDefinition(plan.taskDefinitionArn)} already runs ${plan.contentTag}`);
    } else step('update-service', 'skip', `up to date: ${shortTaskDefinition(plan.taskDefinitionArn)} runs ${plan.contentTag}`);
    await scale(ports, plan, s);
    return { plan, taskDefinitionArn: plan.taskDefinitionArn, deregistered: [] };
  }
  if (plan.kind === 'watch') {
    step('rollout', 'start', `${plan.deploymentId} (${shortTaskDefinition(plan.taskDefinitionArn)}) is already rolling out; watching it`);
    const r = await rollService(ecs, { ...where, from: plan.previousTaskDefinitionArn, to: plan.taskDefinitionArn, start: { kind: 'watch', deploymentId: plan.deploymentId } }, s);
    return conclude(ports, plan, app, r, s);
  }

  await requireImage(ports, app, plan.imageRef, plan.contentTag);
  if (plan.kind === 'create-service' && plan.ensureCluster) await ensureCluster(ecs, plan.cluster);
  await s.beforeWrite?.();

  if (plan.logGroup && ports.logs) {
    const g = plan.logGroup;
    const { created } = await ports.logs.ensureLogGroup(g.name, g.retentionDays);
    step('log-group', 'done', `${created ? 'created' : 'kept'} log group ${g.name} (retention ${g.retentionDays} days)`);
  }

  step('register-task-definition', 'start', `registering ${plan.registerInput.family} with ${plan.imageRef}`);
  const arn = (await ecs.registerTaskDefinition(plan.registerInput)).taskDefinitionArn ?? '';
  step('register-task-definition', 'done', `registered ${shortTaskDefinition(arn)}`, { taskDefinitionArn: arn });

  // The migration runs with the revision just registered, before anything about the service changes.
  if (plan.migrate) {
    await runMigration(
      ports,
      { app, env: { cluster: plan.cluster }, arn, tag: plan.contentTag, ...(plan.kind === 'update' && { liveArn: plan.previousTaskDefinitionArn }) },
      plan.migrate,
      { reporter: s.reporter, signal: s.signal, clock: s.clock, deployedBy: s.deployedBy, pollMs: s.intervalMs },
    );
    await s.beforeWrite?.();
  }

  let move: ServiceMove;
  if (plan.kind === 'create-service') {
    step('create-service', 'start', `creating service ${plan.service} in ${plan.cluster}`);
    move = { ...where, to: arn, start: { kind: 'create', input: plan.createInput } };
  } else {
    step('update-service', 'start', `updating ${plan.service}: ${shortTaskDefinition(plan.previousTaskDefinitionArn)} -> ${shortTaskDefinition(arn)}`);
    const { cluster: _c, service: _s, taskDefinition: _t, ...extra } = plan.updateInput;
    move = { ...where, from: plan.previousTaskDefinitionArn, to: arn, start: { kind: 'update', extra } };
  }
  const r = await rollService(ecs, move, s);
  return conclude(ports, plan, app, r, s);
}

/** A completed rollout is recorded and old revisions pruned; anything else goes to recover.ts. */
async function conclude(ports: DeployPorts, plan: DeployPlan, app: AppDeployConfig, r: RolloutResult, s: RolloutSettings): Promise<DeployResult> {
  if (r.outcome.kind !== 'completed') return recover(ports.ecs, r, { app, imageRef: plan.imageRef, logs: ports.logs }, s);
  const arn = r.move.to;
  s.reporter.emit({ kind: 'step', app: plan.app, step: 'rollout', status: 'done', message: `deployment ${r.deploymentId} COMPLETED: ${shortTaskDefinition(arn)} runs ${plan.imageRef}` });
  await scale(ports, plan, s);
  await recordCompleted(
    ports.ecs,
    {
      app: plan.app,
      service: plan.service,
      serviceArn: r.serviceArn,
      arn,
      contentTag: plan.contentTag,
      spec: plan.spec,
      // A CreateService rollout has no old task to drain (on AWS behind a load balancer, no
      // deregistration delay): its duration would mislead the next update's watcher.
      rolloutMs: plan.kind === 'create-service' ? undefined : rolloutDurationMs(r.watched.lastSeen),
      ...(plan.kind === 'update' && plan.recordUrl && { url: plan.recordUrl }),
    },
    s,
  );
  const pacing = { take: s.deregistrations ?? tokenBucket(DEREGISTER_PER_SECOND, s.clock ?? systemClock), clock: s.clock ?? systemClock, signal: s.signal };
  const deregistered = await pruneRevisions(ports.ecs, app, { cluster: plan.cluster, liveArn: arn }, s.reporter, pacing).catch((e: unknown) => {
    s.reporter.emit({ kind: 'warn', app: plan.app, message: `could not list old revisions of ${app.family} to clean up: ${(e as Error).message}` });
    return [] as string[];
  });
  return { plan, taskDefinitionArn: arn, deploymentId: r.deploymentId, deregistered };
}

/**
 * deploy.json's autoscaling, once the service exists and its rollout COMPLETED: the scalable target,
 * then ferry's policies (a policy on an unregistered target is refused: ObjectNotFoundException).
 */
async function scale(ports: DeployPorts, plan: DeployPlan, s: RolloutSettings): Promise<void> {
  if (!plan.scaling) return;
  const step = (status: 'done' | 'skip', message: string) => s.reporter.emit({ kind: 'step', app: plan.app, step: 'autoscaling', status, message });
  if (!scalingChanges(plan.scaling)) return step('skip', scalingUnchanged(plan.scaling));
  if (!ports.scaling) throw new FerryError('DEPLOY_FAILED', `${plan.app}: the plan changes autoscaling but no Application Auto Scaling port was given`);
  await s.beforeWrite?.();
  const done = await applyScaling(ports.scaling, plan.scaling, ports.ecs);
  step('done', `autoscaling: ${done.join(', ')}`);
}

/**
 * The image must be in ECR before anything is written: deploy-app checks it before it takes the
 * service lock (a deploy that fails "not in ECR" writes nothing, not even a lock tag), and
 * applyDeploy again right before registering (ECR images can be deleted meanwhile). The answer is
 * remembered per run once found (the ECR port), so the second check costs nothing.
 */
export async function requireImage(ports: Pick<DeployPorts, 'imageExists'>, app: Pick<AppDeployConfig, 'project' | 'repository'>, imageRef: string, tag: string): Promise<void> {
  if (!(await ports.imageExists(app.repository, tag))) {
    throw new FerryError('NOT_FOUND', `${imageRef} is not in ECR. Push it first: nx run ${app.project}:push (deploy-app never builds).`);
  }
}

/** The sandbox creates its cluster on demand (AWS clusters are never created by ferry: live.ts requireCluster). */
export async function ensureCluster(ecs: EcsPort, cluster: string): Promise<void> {
  if ((await describeCluster(ecs, cluster))?.status === 'ACTIVE') return;
  await ecs.createCluster(cluster);
}
