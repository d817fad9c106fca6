/**
 * The live state of an app's service and the plan made on it: read the service (through the run's
 * cache of live ECS state when the caller allows an answer of a given age), read its PRIMARY task
 * definition unless the spec tag vouches for it, and plan (plan.ts). Used by deploy-app (dry run
 * and real), diff, rollback and history.
 */
import type { AppDeployConfig, EnvironmentConfig } from '@ferry/core';
import { FerryError, renderTemplate, templateValues } from '@ferry/core';
import { isNotFound, type EcsPort, type EcsService, type ElbPort, type ReadOptions, type ScalingPort, type TaskDefinitionWithTags } from '@ferry/aws';
import { readLiveScaling, requestsResourceLabel, requestsTargetGroup, TAG_AUTOSCALING } from './autoscaling.ts';
import { needsLiveTaskDefinition, planDeploy, type DeployPlan, type LiveState } from './plan.ts';
import { matchSpec, primaryTaskDefinition } from './spec.ts';
import { declares, desiredTaskDefinition, specFingerprint, tagValue, templateFingerprint, templateTaskDefinition } from './task-definition.ts';
import { liveTargetGroup, withTargetGroup } from './load-balancer.ts';

export interface ReadLiveOptions extends ReadOptions {
  /**
   * The specFingerprint of the config about to be planned: when the service's spec tag vouches for
   * its PRIMARY revision under this fingerprint, the task definition is not read (spec.ts).
   */
  spec?: string;
  /**
   * What the live revision runs is all the caller needs (the deploy summary): a spec tag naming the
   * PRIMARY revision vouches for it under any fingerprint, so the task definition is not read.
   */
  anySpec?: boolean;
}

/**
 * The service and the task definition of its PRIMARY deployment; null when the service (or
 * cluster) is missing. With `o.spec` matching the service's spec tag: the service only, `taskDef`
 * null and `spec` set (one ECS read instead of two). `o.maxAgeMs`: a read of the service this run
 * already has, no older, will do.
 */
export async function readLive(ecs: EcsPort, app: Pick<AppDeployConfig, 'service'>, env: Pick<EnvironmentConfig, 'cluster'>, o: ReadLiveOptions = {}): Promise<LiveState | null> {
  let service: EcsService | undefined;
  try {
    const r = await ecs.describeServices(env.cluster, [app.service], { maxAgeMs: o.maxAgeMs });
    service = r.services.find((s) => s.serviceName === app.service);
  } catch (e) {
    if (isNotFound(e, 'ClusterNotFoundException')) return null;
    throw e;
  }
  if (!service || service.status === 'INACTIVE') return null;
  // Revisions are immutable per ARN: a spec tag naming the PRIMARY ARN and this fingerprint proves
  // the definition still is what this config produced, so reading it again would tell nothing new.
  const spec = o.spec ? matchSpec(service, o.spec) : o.anySpec ? matchSpec(service) : undefined;
  if (spec) return { service, taskDef: null, spec };
  return { service, taskDef: await readTaskDefinition(ecs, primaryTaskDefinition(service)) };
}

/** The live state completed with the PRIMARY's task definition (a spec-only state read in full). */
export async function withLiveTaskDefinition(ecs: EcsPort, live: LiveState): Promise<LiveState> {
  return { service: live.service, taskDef: await readTaskDefinition(ecs, primaryTaskDefinition(live.service)) };
}

async function readTaskDefinition(ecs: EcsPort, arn: string | undefined): Promise<TaskDefinitionWithTags | null> {
  return arn ? ecs.describeTaskDefinition(arn) : null;
}

export interface DeployInput {
  app: AppDeployConfig;
  env: EnvironmentConfig;
  /** `<registry>/<repository>:<contentTag>`. */
  imageRef: string;
  contentTag: string;
  gitSha?: string;
  /** promote: the source the image comes from, recorded on the revision (`ferry:promoted-from`). */
  promotedFrom?: string;
  force?: boolean;
  /** Sandbox: the target group to attach when deploy.json names none (load-balancer.ts, sandboxTargetGroup). */
  targetGroup?: (live: LiveState | null) => Promise<string | undefined>;
  /** The URL of a target group (ELBv2), recorded on a service created behind it. */
  urlOf?: (targetGroupArn: string) => Promise<string | undefined>;
}

/**
 * Reads the live state and plans. An up-to-date app whose spec tag matches costs one
 * DescribeServices (none when the run's cache answers); any other plan reads the live task
 * definition and is made exactly as from a full read.
 */
export async function planFor(
  ecs: EcsPort,
  input: DeployInput,
  read: ReadOptions & { scaling?: ScalingPort; elb?: Pick<ElbPort, 'describeTargetGroup'> } = {},
): Promise<{ plan: DeployPlan; live: LiveState | null }> {
  // Template mode: the rendered template is the desired definition, whatever runs now.
  const rendered = input.app.template ? renderTemplate(input.app.template, input.app, templateValues(input.app, input.env, input.imageRef, input.contentTag)) : undefined;
  const fingerprint = rendered ? templateFingerprint(rendered, input.app, input.contentTag) : specFingerprint(input.app, input.env, input.imageRef, input.contentTag);
  let app = input.app;
  let serviceUrl: string | undefined;
  let scalingResourceLabel: string | undefined;
  const planOn = (live: LiveState | null): DeployPlan => {
    const meta = { contentTag: input.contentTag, gitSha: input.gitSha, promotedFrom: input.promotedFrom };
    const registerInput = rendered ? templateTaskDefinition(rendered, meta) : desiredTaskDefinition(live?.taskDef ?? null, app, input.env, input.imageRef, meta);
    return planDeploy(live, { app, env: input.env, imageRef: input.imageRef, contentTag: input.contentTag, registerInput, fingerprint, serviceUrl, scalingResourceLabel }, { force: input.force });
  };
  let live = await readLive(ecs, input.app, input.env, { spec: fingerprint, maxAgeMs: read.maxAgeMs });
  if (!live && input.env.kind !== 'sandbox') await requireCluster(ecs, input.env);
  // deploy.json's autoscaling is planned against what Application Auto Scaling has (two reads, only
  // when declared); without it, only a service ferry marked as autoscaled (TAG_AUTOSCALING) is read,
  // to remove what ferry created.
  if (live && read.scaling && live.service.status !== 'INACTIVE' && (input.app.autoscaling || tagValue(live.service.tags, TAG_AUTOSCALING) !== undefined)) {
    live = { ...live, scaling: await readLiveScaling(read.scaling, input.env.cluster, input.app.service, !input.app.autoscaling) };
  }
  if (live && read.scaling && countNeedsTargetCheck(live.service, input.app)) {
    live = { ...live, scalableTarget: live.scaling ? live.scaling.target : await read.scaling.serviceTarget(input.env.cluster, input.app.service) };
  }
  const tg = await input.targetGroup?.(live);
  if (tg) app = withTargetGroup(app, tg);
  const requestsTg = requestsTargetGroup(app, input.env);
  if (requestsTg && read.elb) {
    // A target group the sandbox would provision on this deploy (dry run) has no ARN yet.
    scalingResourceLabel = requestsTg.startsWith('<') ? '<app/…/targetgroup/… of the load balancer ferry provisions>' : requestsResourceLabel(app, requestsTg, await read.elb.describeTargetGroup(requestsTg));
  }
  // A service put behind a target group records its URL: one ELBv2 read when it is created, or
  // when an update attaches a target group it was not attached to.
  const attach = app.loadBalancer?.targetGroupArn;
  if (attach && !attach.startsWith('<') && input.urlOf && (!live || liveTargetGroup(live.service) !== attach)) serviceUrl = await input.urlOf(attach);
  let plan = planOn(live);
  if (live && needsLiveTaskDefinition(live, plan)) {
    live = { ...(await withLiveTaskDefinition(ecs, live)), ...(live.scalableTarget !== undefined && { scalableTarget: live.scalableTarget }), ...(live.scaling && { scaling: live.scaling }) };
    plan = planOn(live);
  }
  return { plan, live };
}

/**
 * Whether the plan needs to know about an Application Auto Scaling target: only when deploy.json
 * declares a desired count that differs from the service's (then ferry must not fight autoscaling).
 * An unchanged or undeclared count costs no call.
 */
export const countNeedsTargetCheck = (service: Pick<EcsService, 'desiredCount'>, app: Pick<AppDeployConfig, 'desiredCount' | 'declared' | 'autoscaling'>): boolean =>
  // deploy.json's own autoscaling already owns the count (countDecision): nothing to ask.
  !app.autoscaling && declares(app, 'desiredCount') && (service.desiredCount ?? 0) !== app.desiredCount;

/**
 * Before a plan creates a service on AWS: the cluster must exist and be ACTIVE. ferry never creates
 * an AWS cluster (capacity providers, settings and ownership are the platform's), and checking
 * first keeps a deploy to a missing cluster from registering an orphan task definition. The
 * sandbox environment creates its cluster on demand instead (plan.ensureCluster).
 */
export async function requireCluster(ecs: EcsPort, env: Pick<EnvironmentConfig, 'name' | 'cluster'>): Promise<void> {
  const cluster = await describeCluster(ecs, env.cluster);
  if (cluster?.status === 'ACTIVE') return;
  const state = cluster ? `is ${cluster.status}` : 'does not exist';
  throw new FerryError(
    'NOT_FOUND',
    `ECS cluster ${env.cluster} ${state} in environment ${env.name}: nothing was registered or created. Create the cluster (Terraform, CDK or \`aws ecs create-cluster --cluster-name ${env.cluster}\`) or fix \`cluster\` for ${env.name} in ferry.json.`,
  );
}

/** The cluster named (by name or ARN), or undefined when DescribeClusters reports it MISSING. */
export async function describeCluster(ecs: EcsPort, cluster: string) {
  const { clusters } = await ecs.describeClusters([cluster]);
  return clusters.find((c) => c.clusterName === cluster || c.clusterArn === cluster);
}
