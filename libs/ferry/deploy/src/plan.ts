/**
 * planDeploy: what `deploy-app` would do, as data with the exact AWS inputs. `--dry-run` and `diff`
 * print it; applyDeploy (apply.ts) executes it. Pure.
 */
import { migrationStep, type MigrationStep } from './migrate.ts';
import { formatCommandLine, type AppDeployConfig, type EnvironmentConfig } from '@ferry/core';
import type { CreateServiceInput, EcsService, RegisterTaskDefinitionInput, ServiceScalableTarget, TaskDefinitionWithTags, UpdateServiceInput } from '@ferry/aws';
import { declares, diffTaskDefinitions, maskRegisterInput, normaliseTaskDefinition, patchLogsPlan, sameTaskDefinition, TAG_CONTENT, TAG_GIT_SHA, tagValue } from './task-definition.ts';
import { shortTaskDefinition } from './rollout.ts';
import type { SpecRecord } from './spec.ts';
import { logGroupToEnsure, logsPlan } from './logs.ts';
import { formatScaling, initialCount, planScaling, scalingChanges, TAG_AUTOSCALING, type LiveScaling, type ScalingPlan } from './autoscaling.ts';

/**
 * The service as it runs now, with the task definition of its PRIMARY deployment. When the
 * service's spec tag vouched for that revision (spec.ts), `taskDef` is null and `spec` says so: the
 * live definition equals the desired one, and it was not read.
 */
export interface LiveState {
  service: EcsService;
  taskDef: TaskDefinitionWithTags | null;
  spec?: SpecRecord;
  /**
   * The Application Auto Scaling target on the service's desired count: null when none is
   * registered, undefined when not looked up (only needed when deploy.json declares a count that
   * differs from the service's).
   */
  scalableTarget?: ServiceScalableTarget | null;
  /** Application Auto Scaling's target and policies on the service: read only when deploy.json declares `autoscaling`. */
  scaling?: LiveScaling;
}

export interface DesiredState {
  app: AppDeployConfig;
  env: EnvironmentConfig;
  imageRef: string;
  contentTag: string;
  registerInput: RegisterTaskDefinitionInput;
  /** specFingerprint of this config and image (what the spec tag records after the rollout). */
  fingerprint?: string;
  /** The URL of the app's target group (its load balancer's DNS name and listener), recorded on a new service as its `ferry:url` tag. */
  serviceUrl?: string;
  /** ALBRequestCountPerTarget's ResourceLabel, when an `autoscaling` policy scales on requests (autoscaling.ts). */
  scalingResourceLabel?: string;
}

/** The service tag under which ferry records the URL of the service's load balancer (read by health-check, smoke-test and `${app:<name>.url}`). */
export const TAG_URL = 'ferry:url';

type LoadBalancerEntry = NonNullable<CreateServiceInput['loadBalancers']>[number];

/**
 * The service's `loadBalancers` as the config wants them: the target group of `loadBalancer` (configured,
 * or provisioned by ferry in the sandbox: load-balancer.ts sandboxTargetGroup) with its container and
 * port; otherwise none (ECS requires a target group in every entry). Pure.
 */
export function desiredLoadBalancers(app: AppDeployConfig, _env: EnvironmentConfig): LoadBalancerEntry[] | undefined {
  const lb = app.loadBalancer ?? {};
  const port = lb.containerPort ?? app.containerPort;
  if (lb.targetGroupArn && port !== undefined) return [{ targetGroupArn: lb.targetGroupArn, containerName: lb.containerName ?? app.containerName, containerPort: port }];
  return undefined;
}

const lbKey = (l: { targetGroupArn?: string; containerName?: string; containerPort?: number; loadBalancerName?: string }) =>
  `${l.targetGroupArn ?? l.loadBalancerName ?? '(sandbox)'} -> ${l.containerName}:${l.containerPort}`;

/** What differs between the live service's load balancers and the wanted ones ([] when the same, or when the config wants none). Pure. */
export function loadBalancerChanges(svc: Pick<EcsService, 'loadBalancers' | 'healthCheckGracePeriodSeconds'>, app: AppDeployConfig, env: EnvironmentConfig): string[] {
  const want = desiredLoadBalancers(app, env);
  // ferry manages target group attachments only (the sandbox's lenient entry without one is left as created).
  if (!want?.some((l) => l.targetGroupArn)) return [];
  const out: string[] = [];
  const live = (svc.loadBalancers ?? []).map(lbKey).sort().join(', ');
  const wanted = want.map(lbKey).sort().join(', ');
  if (live !== wanted) out.push(`loadBalancers ${live || '(none)'} -> ${wanted}`);
  const grace = app.loadBalancer?.healthCheckGracePeriodSeconds;
  if (grace !== undefined && want.some((l) => l.targetGroupArn) && (svc.healthCheckGracePeriodSeconds ?? 0) !== grace)
    out.push(`healthCheckGracePeriodSeconds ${svc.healthCheckGracePeriodSeconds ?? 0} -> ${grace}`);
  return out;
}

interface PlanBase {
  app: string;
  cluster: string;
  service: string;
  imageRef: string;
  contentTag: string;
  /** Normalised task-definition diff, live -> desired ('' when equal). */
  taskDefinitionDiff: string;
  /** For the spec tag written once the rollout COMPLETED: the fingerprint and the revision's git sha. */
  spec?: { fingerprint: string; gitSha?: string };
  /** What ferry leaves or sets beside the deploy (the desired count): said with the plan. */
  notes?: string[];
  /** ferry-managed autoscaling (deploy.json `autoscaling`): applied once the service exists. */
  scaling?: ScalingPlan;
}

/** The CloudWatch Logs group the registered revision logs to: created (idempotently) before registering. */
export interface LogGroupStep {
  name: string;
  retentionDays: number;
}

export type DeployPlan =
  /** PRIMARY runs the desired definition and has COMPLETED: no write call. */
  | (PlanBase & {
      kind: 'up-to-date';
      taskDefinitionArn: string;
      /** The definition is live, but deploy.json declares another desired count: UpdateService with the count only (no deployment). */
      scale?: { from: number; to: number };
    })
  /** PRIMARY already runs the desired definition and is rolling out (e.g. an interrupted deploy): watch it. */
  | (PlanBase & { kind: 'watch'; taskDefinitionArn: string; deploymentId: string; previousTaskDefinitionArn?: string })
  /**
   * The service does not exist: register, then create it. `createInput.taskDefinition` holds the
   * family; the executor replaces it with the ARN it just registered.
   */
  | (PlanBase & { kind: 'create-service'; ensureCluster: boolean; logGroup?: LogGroupStep; registerInput: RegisterTaskDefinitionInput; createInput: CreateServiceInput; migrate?: MigrationStep })
  /** Register a revision and point the service at it. `updateInput.taskDefinition` likewise. */
  | (PlanBase & {
      kind: 'update';
      logGroup?: LogGroupStep;
      registerInput: RegisterTaskDefinitionInput;
      updateInput: UpdateServiceInput;
      /** The definition the service ran before: the rollback target if the rollout fails. */
      previousTaskDefinitionArn: string;
      /** The migration to run with the registered revision before the service changes (the content tag changes). */
      migrate?: MigrationStep;
      reasons: string[];
      /** The URL of the target group this update attaches, recorded as the service's `ferry:url` tag after the rollout. */
      recordUrl?: string;
    });

export interface PlanOptions {
  /** Register and roll out even when nothing changed (`--force`). */
  force?: boolean;
}

type DeploymentConfiguration = NonNullable<UpdateServiceInput['deploymentConfiguration']>;

/** The deployment configuration of a service ferry creates: deploy.json's settings over ferry's defaults. */
function deploymentConfiguration(app: AppDeployConfig): DeploymentConfiguration {
  return {
    minimumHealthyPercent: app.deployment.minimumHealthyPercent,
    maximumPercent: app.deployment.maximumPercent,
    deploymentCircuitBreaker: { enable: app.deployment.circuitBreaker.enable, rollback: app.deployment.circuitBreaker.rollback },
  };
}

/**
 * The deployment configuration for an existing service: the live one with only what deploy.json
 * declares set over it (ferry's defaults apply on CreateService only, so a service ferry did not
 * create keeps its own settings). `send` is undefined when nothing is declared; `differs` when a
 * declared setting is not what the service has. The whole object is sent, so what ECS keeps of the
 * live settings never depends on how it merges a partial one. Pure.
 */
export function existingDeploymentConfiguration(
  live: DeploymentConfiguration | undefined,
  app: Pick<AppDeployConfig, 'deployment'>,
): { send?: DeploymentConfiguration; differs: boolean } {
  const declared = app.deployment.declared ?? [];
  if (declared.length === 0) return { differs: false };
  const send: DeploymentConfiguration = structuredClone(live ?? {});
  let differs = false;
  if (declared.includes('minimumHealthyPercent')) {
    differs ||= live?.minimumHealthyPercent !== app.deployment.minimumHealthyPercent;
    send.minimumHealthyPercent = app.deployment.minimumHealthyPercent;
  }
  if (declared.includes('maximumPercent')) {
    differs ||= live?.maximumPercent !== app.deployment.maximumPercent;
    send.maximumPercent = app.deployment.maximumPercent;
  }
  if (declared.includes('circuitBreaker')) {
    const cb = live?.deploymentCircuitBreaker;
    differs ||= (cb?.enable ?? false) !== app.deployment.circuitBreaker.enable || (cb?.rollback ?? false) !== app.deployment.circuitBreaker.rollback;
    send.deploymentCircuitBreaker = { ...cb, enable: app.deployment.circuitBreaker.enable, rollback: app.deployment.circuitBreaker.rollback };
  }
  return { send, differs };
}

/** CreateService input from config: awsvpc networking for `aws`, the load balancer entry (desiredLoadBalancers). */
export function createServiceInput(app: AppDeployConfig, env: EnvironmentConfig, serviceUrl?: string): CreateServiceInput {
  const input: CreateServiceInput = {
    cluster: env.cluster,
    serviceName: app.service,
    taskDefinition: app.family,
    desiredCount: initialCount(app),
    ...(app.capacityProviderStrategy ? { capacityProviderStrategy: structuredClone(app.capacityProviderStrategy) } : { launchType: app.launchType ?? 'FARGATE' }),
    deploymentConfiguration: deploymentConfiguration(app),
    propagateTags: 'SERVICE',
    // ferry manages the autoscaling of a service it creates with `autoscaling` (autoscaling.ts TAG_AUTOSCALING).
    tags: [{ key: 'ferry:app', value: app.project }, ...(app.autoscaling ? [{ key: TAG_AUTOSCALING, value: 'true' }] : [])],
  };
  const loadBalancers = desiredLoadBalancers(app, env);
  if (loadBalancers) {
    input.loadBalancers = loadBalancers;
    const grace = app.loadBalancer?.healthCheckGracePeriodSeconds;
    if (grace !== undefined && loadBalancers.some((l) => l.targetGroupArn)) input.healthCheckGracePeriodSeconds = grace;
    if (serviceUrl) input.tags!.push({ key: TAG_URL, value: serviceUrl });
  }
  if (env.network) {
    input.networkConfiguration = {
      awsvpcConfiguration: {
        subnets: env.network.subnets,
        securityGroups: env.network.securityGroups,
        assignPublicIp: env.network.assignPublicIp ? 'ENABLED' : 'DISABLED',
      },
    };
  }
  return input;
}

export function planDeploy(live: LiveState | null, desired: DesiredState, opts: PlanOptions = {}): DeployPlan {
  const { app, env } = desired;
  const base = {
    app: app.project,
    cluster: env.cluster,
    service: app.service,
    imageRef: desired.imageRef,
    contentTag: desired.contentTag,
  };
  const wanted = normaliseTaskDefinition(desired.registerInput);
  // What the spec tag will record once the revision that ends up live COMPLETED.
  const spec = (gitSha: string | undefined) => (desired.fingerprint ? { spec: { fingerprint: desired.fingerprint, ...(gitSha && { gitSha }) } } : {});
  const registeredSha = tagValue(desired.registerInput.tags, TAG_GIT_SHA);
  const svc = live?.service;
  const createInput = createServiceInput(app, env, desired.serviceUrl);
  const createLaunch = { ...(createInput.launchType && { launchType: createInput.launchType }), ...(createInput.networkConfiguration && { networkConfiguration: createInput.networkConfiguration }) };
  // A revision ferry bootstraps logs by ferry's default; a live one only by what deploy.json declares.
  const group = logGroupToEnsure(!live || !svc || svc.status === 'INACTIVE' ? logsPlan(app, env) : patchLogsPlan(app, env));
  const logGroup = group ? { logGroup: group } : {};
  if (!live || !svc || svc.status === 'INACTIVE') {
    const migrate = migrationStep(app.migrate, desired.contentTag, undefined, createLaunch);
    const scaling = planScaling(app, env, null, desired.scalingResourceLabel);
    return {
      ...base,
      ...(scaling && { scaling }),
      ...spec(registeredSha),
      kind: 'create-service',
      ensureCluster: env.kind === 'sandbox',
      ...logGroup,
      taskDefinitionDiff: diffTaskDefinitions(null, wanted),
      registerInput: desired.registerInput,
      createInput,
      ...(migrate && { migrate }),
    };
  }
  const primary = svc.deployments?.find((d) => d.status === 'PRIMARY');
  const liveArn = primary?.taskDefinition ?? svc.taskDefinition ?? '';
  const current = live.taskDef ? normaliseTaskDefinition(live.taskDef.taskDefinition, live.taskDef.tags) : null;
  // Spec-only live state: the revision was not read because the spec tag vouches it equals desired.
  const vouched = !live.taskDef && specVouches(live, liveArn, desired.fingerprint);
  const taskDefinitionDiff = vouched ? '' : diffTaskDefinitions(current, wanted);
  const sameDef = vouched || (current !== null && sameTaskDefinition(current, wanted));
  const liveGitSha = live.taskDef ? tagValue(live.taskDef.tags, TAG_GIT_SHA) : live.spec?.gitSha;

  const reasons: string[] = [];
  if (!sameDef) reasons.push(current ? 'the task definition differs (see diff)' : 'the live task definition could not be read');
  const dc = existingDeploymentConfiguration(svc.deploymentConfiguration, app);
  if (dc.differs) reasons.push('the deployment configuration differs');
  const lbChanges = loadBalancerChanges(svc, app, env);
  reasons.push(...lbChanges);
  if (primary?.rolloutState === 'FAILED') reasons.push(`the current deployment ${primary.id} FAILED`);

  const scalingPlan = planScaling(app, env, live.scaling ?? null, desired.scalingResourceLabel, svc);
  // A target this deploy deregisters no longer owns the count.
  const count = countDecision(svc, app, scalingPlan?.deregister ? null : live.scalableTarget);
  const notes = count.note ? { notes: [count.note] } : {};
  const scaling = scalingPlan ? { scaling: scalingPlan } : {};

  if (!opts.force && reasons.length === 0 && primary) {
    const settled = primary.rolloutState === 'COMPLETED' || (primary.rolloutState === undefined && (svc.deployments?.length ?? 0) === 1);
    if (settled) {
      const scale = count.send !== undefined ? { scale: { from: svc.desiredCount ?? 0, to: count.send } } : {};
      return { ...base, ...notes, ...scaling, kind: 'up-to-date', taskDefinitionDiff, taskDefinitionArn: liveArn, ...scale };
    }
    if (primary.rolloutState === 'IN_PROGRESS') {
      const previous = svc.deployments?.find((d) => d.status === 'ACTIVE')?.taskDefinition;
      return { ...base, ...spec(liveGitSha), ...notes, ...scaling, kind: 'watch', taskDefinitionDiff, taskDefinitionArn: liveArn, deploymentId: primary.id ?? '', ...(previous && { previousTaskDefinitionArn: previous }) };
    }
  }
  if (opts.force && reasons.length === 0) reasons.push('--force');
  const liveTag = tagValue(live.taskDef?.tags, TAG_CONTENT) ?? live.spec?.contentTag;
  const migrate = migrationStep(app.migrate, desired.contentTag, { tag: liveTag, service: svc }, createLaunch);
  return {
    ...(migrate && { migrate }),
    ...base,
    ...spec(registeredSha),
    ...notes,
    ...scaling,
    kind: 'update',
    taskDefinitionDiff,
    ...logGroup,
    registerInput: desired.registerInput,
    updateInput: {
      cluster: env.cluster,
      service: app.service,
      taskDefinition: app.family,
      ...(count.send !== undefined && { desiredCount: count.send }),
      ...(dc.send && { deploymentConfiguration: dc.send }),
      ...(lbChanges.length > 0 && loadBalancerUpdate(app, env)),
    },
    previousTaskDefinitionArn: liveArn,
    reasons,
    ...(lbChanges.length > 0 && desired.serviceUrl && tagValue(svc.tags, TAG_URL) !== desired.serviceUrl && { recordUrl: desired.serviceUrl }),
  };
}

/**
 * The desired count on an existing service: sent only when deploy.json declares it for this
 * environment, it differs, and no Application Auto Scaling target manages it. Never a reason to
 * deploy: alone it is an UpdateService with the count only. Pure.
 */
export function countDecision(
  svc: Pick<EcsService, 'desiredCount'>,
  app: Pick<AppDeployConfig, 'desiredCount' | 'declared' | 'autoscaling'>,
  target: ServiceScalableTarget | null | undefined,
): { send?: number; note?: string } {
  // deploy.json's own autoscaling owns the count from the moment the service exists.
  if (app.autoscaling) return { note: `desiredCount is managed by autoscaling (deploy.json: ${app.autoscaling.min}..${app.autoscaling.max}): ferry leaves it at ${svc.desiredCount ?? 0}` };
  if (target) {
    return { note: `desiredCount is managed by Application Auto Scaling (${target.minCapacity}..${target.maxCapacity}${target.suspended ? ', scaling suspended' : ''}): ferry leaves it at ${svc.desiredCount ?? 0}` };
  }
  if (!declares(app, 'desiredCount') || (svc.desiredCount ?? 0) === app.desiredCount) return {};
  return { send: app.desiredCount, note: `desiredCount ${svc.desiredCount ?? 0} -> ${app.desiredCount} (declared in deploy.json)` };
}

/** UpdateService's load balancer fields when they change (UpdateService can replace `loadBalancers` of a rolling-update service). */
function loadBalancerUpdate(app: AppDeployConfig, env: EnvironmentConfig): Partial<UpdateServiceInput> {
  const loadBalancers = desiredLoadBalancers(app, env)!;
  const grace = app.loadBalancer?.healthCheckGracePeriodSeconds;
  return { loadBalancers, ...(grace !== undefined && loadBalancers.some((l) => l.targetGroupArn) && { healthCheckGracePeriodSeconds: grace }) };
}

function specVouches(live: LiveState, liveArn: string, fingerprint: string | undefined): boolean {
  return !!live.spec && !!fingerprint && !!liveArn && live.spec.taskDefinitionArn === liveArn && live.spec.fingerprint === fingerprint;
}

/**
 * Whether a plan made on a spec-only live state (task definition not read) must be made again with
 * the live task definition: anything but up-to-date needs it (the register input is derived from
 * it, and the plan must be exactly what the full read gives). Pure.
 */
export function needsLiveTaskDefinition(live: LiveState | null, plan: DeployPlan): boolean {
  return !!live && live.taskDef === null && live.spec !== undefined && plan.kind !== 'up-to-date';
}

/** The plan as lines for `--dry-run` and `diff`: what would happen and the exact AWS inputs. */
export function formatPlan(plan: DeployPlan): string[] {
  const head = `${plan.app}: `;
  switch (plan.kind) {
    case 'up-to-date':
      return [
        plan.scale
          ? `${head}up to date: ${shortTaskDefinition(plan.taskDefinitionArn)} runs ${plan.imageRef}; would set the desired count only (no deployment)`
          : `${head}up to date: ${shortTaskDefinition(plan.taskDefinitionArn)} runs ${plan.imageRef} and its rollout COMPLETED; nothing to do`,
        ...noteLines(plan),
        ...(plan.scale ? ['UpdateService ' + JSON.stringify({ cluster: plan.cluster, service: plan.service, desiredCount: plan.scale.to }, null, 2)] : []),
        ...scalingLines(plan),
      ];
    case 'watch':
      return [`${head}${shortTaskDefinition(plan.taskDefinitionArn)} (${plan.imageRef}) is already rolling out as ${plan.deploymentId}; would watch it`, ...noteLines(plan), ...scalingLines(plan)];
    case 'create-service':
      return [
        `${head}service ${plan.service} does not exist in cluster ${plan.cluster}; would ${plan.ensureCluster ? 'ensure the cluster, ' : ''}${plan.logGroup ? 'ensure the log group, ' : ''}register a task definition and create the service`,
        ...logGroupLines(plan.logGroup),
        'RegisterTaskDefinition ' + JSON.stringify(maskRegisterInput(plan.registerInput), null, 2),
        ...migrateLines(plan.migrate),
        'CreateService ' + JSON.stringify({ ...plan.createInput, taskDefinition: `<registered revision of ${plan.createInput.taskDefinition}>` }, null, 2),
        ...scalingLines(plan),
      ];
    case 'update':
      return [
        `${head}would deploy ${plan.imageRef} to ${plan.service} (now ${shortTaskDefinition(plan.previousTaskDefinitionArn)}): ${plan.reasons.join('; ')}`,
        ...(plan.taskDefinitionDiff ? ['task definition diff (live -> desired):', plan.taskDefinitionDiff] : []),
        ...noteLines(plan),
        ...logGroupLines(plan.logGroup),
        'RegisterTaskDefinition ' + JSON.stringify(maskRegisterInput(plan.registerInput), null, 2),
        ...migrateLines(plan.migrate),
        'UpdateService ' + JSON.stringify({ ...plan.updateInput, taskDefinition: `<registered revision of ${plan.updateInput.taskDefinition}>` }, null, 2),
        ...scalingLines(plan),
      ];
  }
}

const migrateLines = (m: MigrationStep | undefined): string[] =>
  m ? [`then the migration, before the service changes (content tag ${m.fromTag ?? '(none)'} -> new): RunTask of the registered revision with ${formatCommandLine(m.command)} (timeout ${m.timeoutSeconds} s)`] : [];
/** The scaling writes, said after the service's: they happen once the service exists (and its rollout COMPLETED). */
const scalingLines = (plan: { app: string; scaling?: ScalingPlan }): string[] =>
  plan.scaling ? [`${plan.app}: ${scalingChanges(plan.scaling) ? 'then, with the service in place:' : 'autoscaling unchanged'}`, ...formatScaling(plan.scaling)] : [];
const noteLines = (plan: { app: string; notes?: string[] }): string[] => (plan.notes ?? []).map((n) => `${plan.app}: ${n}`);

const logGroupLines = (g: LogGroupStep | undefined): string[] =>
  g ? [`CreateLogGroup ${JSON.stringify({ logGroupName: g.name })} (unless it exists)`, `PutRetentionPolicy ${JSON.stringify({ logGroupName: g.name, retentionInDays: g.retentionDays })}`] : [];
