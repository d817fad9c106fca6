/**
 * What `run` starts: the task definition (the revision the service would run with this image —
 * the live one when it already does, otherwise that revision registered now — or an existing
 * revision with `--revision`), the service's launch settings, the command and environment. The
 * plan is pure data for `--dry-run`; `prepare` makes the one write a run may need (registering).
 */
import { FerryError, formatCommandLine, type Reporter, type ResolvedApp, type RunSession } from '@ferry/core';
import type { RegisterTaskDefinitionInput } from '@ferry/aws';
import { ensureCluster, type DeployPorts } from './apply.ts';
import { localImage, type AppPorts } from './context.ts';
import { planFor } from './live.ts';
import { launchOfService, runTaskInput, type LaunchSettings, type OneOffSpec } from './one-off.ts';
import { createServiceInput, type LogGroupStep } from './plan.ts';
import { findNamedRevision } from './revisions.ts';
import { shortTaskDefinition } from './rollout.ts';

export interface OneOffRequest {
  command: string[];
  environment: Record<string, string>;
  tag?: string;
  revision?: string;
  startedBy: string;
}

export interface OneOffPlan {
  app: string;
  /** The image's content tag (or --tag), when known. */
  tag?: string;
  /** An existing revision, or the one to register first. */
  taskDefinition: { kind: 'existing'; arn: string } | { kind: 'register'; input: RegisterTaskDefinitionInput; logGroup?: LogGroupStep };
  /** Everything but the task definition ARN. */
  spec: Omit<OneOffSpec, 'taskDefinitionArn'>;
  /** Registers the revision when needed; the spec to run. */
  prepare(reporter: Reporter): Promise<OneOffSpec>;
}

/** Reads what it needs (ECR, the live service, revisions) and decides; writes nothing. */
export async function planOneOff(session: RunSession, ports: AppPorts, resolved: ResolvedApp, req: OneOffRequest): Promise<OneOffPlan> {
  const { app, env } = resolved;
  let taskDefinition: OneOffPlan['taskDefinition'];
  let tag: string | undefined;
  let launch: LaunchSettings;
  if (req.revision) {
    // A number: that revision alone; a content tag: the newest revisions until it (revisions.ts).
    const { found } = await findNamedRevision(ports.ecs, app.family, req.revision, '--revision');
    taskDefinition = { kind: 'existing', arn: found.arn };
    tag = found.contentTag;
    const live = (await ports.ecs.describeServices(env.cluster, [app.service])).services.find((s) => s.status !== 'INACTIVE');
    launch = live ? launchOfService(live) : launchOfConfig(resolved);
  } else {
    const image = await localImage(session, resolved, ports.ecr, { tag: req.tag });
    tag = image.tag;
    if (!(await ports.imageExists(app.repository, image.tag)))
      throw new FerryError('NOT_FOUND', `${image.imageRef} is not in ECR, and a one-off task runs an image from the registry. Build and push it first (nx run ${app.project}:push -c ${env.name}), or pass --tag or --revision.`);
    const { plan, live } = await planFor(ports.ecs, { app, env, imageRef: image.imageRef, contentTag: image.tag, gitSha: image.gitSha });
    taskDefinition =
      plan.kind === 'up-to-date' || plan.kind === 'watch'
        ? { kind: 'existing', arn: plan.taskDefinitionArn }
        : { kind: 'register', input: plan.registerInput, ...(plan.logGroup && { logGroup: plan.logGroup }) };
    launch = live?.service && live.service.status !== 'INACTIVE' ? launchOfService(live.service) : launchOfConfig(resolved);
  }
  const spec: OneOffPlan['spec'] = {
    app: app.project,
    cluster: env.cluster,
    containerName: app.containerName,
    command: req.command,
    environment: req.environment,
    launch,
    startedBy: req.startedBy,
  };
  return {
    app: app.project,
    ...(tag && { tag }),
    taskDefinition,
    spec,
    async prepare(reporter) {
      if (env.kind === 'sandbox') await ensureCluster(ports.ecs, env.cluster);
      if (taskDefinition.kind === 'existing') return { ...spec, taskDefinitionArn: taskDefinition.arn };
      return { ...spec, taskDefinitionArn: await registerForOneOff(ports, taskDefinition, app.project, reporter) };
    },
  };
}

/** Registers the revision a one-off task runs (its log group first). */
export async function registerForOneOff(ports: Pick<DeployPorts, 'ecs' | 'logs'>, td: { input: RegisterTaskDefinitionInput; logGroup?: LogGroupStep }, app: string, reporter: Reporter): Promise<string> {
  if (td.logGroup && ports.logs) await ports.logs.ensureLogGroup(td.logGroup.name, td.logGroup.retentionDays);
  const arn = (await ports.ecs.registerTaskDefinition(td.input)).taskDefinitionArn ?? '';
  reporter.emit({ kind: 'step', app, step: 'register-task-definition', status: 'done', message: `registered ${shortTaskDefinition(arn)} for the task (the service is not changed)` });
  return arn;
}

/** Without a service: the launch settings deploy-app would create it with. */
function launchOfConfig(resolved: ResolvedApp): LaunchSettings {
  const input = createServiceInput(resolved.app, resolved.env);
  return { ...(input.launchType && { launchType: input.launchType }), ...(input.networkConfiguration && { networkConfiguration: input.networkConfiguration }) };
}

/** The dry run's lines: which revision, then the exact RunTask request. Pure. */
export function formatOneOffPlan(p: OneOffPlan): string[] {
  const td = p.taskDefinition.kind === 'existing' ? p.taskDefinition.arn : `${p.taskDefinition.input.family}:<registered first>`;
  const lines = [
    p.taskDefinition.kind === 'existing'
      ? `${p.app}: would run ${shortTaskDefinition(td)}${p.tag ? ` (${p.tag})` : ''} with: ${formatCommandLine(p.spec.command)}`
      : `${p.app}: would register a revision of ${p.taskDefinition.input.family} with ${p.tag ?? 'the image'} (the service is not changed), then run: ${formatCommandLine(p.spec.command)}`,
  ];
  lines.push('RunTask ' + JSON.stringify(runTaskInput({ ...p.spec, taskDefinitionArn: td }), null, 2));
  return lines;
}
