/**
 * ferry-managed autoscaling (`autoscaling` in deploy.json) as a plan: the scalable target on the
 * service's desired count and ferry's own target-tracking policies (`ferry-<metric>`), compared with
 * what Application Auto Scaling has, so only what differs is written. Policies ferry did not create
 * are never touched; ferry's own that deploy.json no longer declares are deleted. When `autoscaling`
 * leaves deploy.json, ferry removes what it created: its policies, and the scalable target only when
 * ferry registered it (the target's `ferry:app` tag, put on it at registration) and nothing else
 * hangs on it (deregistering deletes every policy and scheduled action of the target). The service's
 * `ferry:autoscaling` tag says ferry manages its autoscaling: only then does a deploy without
 * `autoscaling` read Application Auto Scaling. Pure; the writes are `applyScaling`, after the service exists.
 * API: https://docs.aws.amazon.com/autoscaling/application/APIReference/API_RegisterScalableTarget.html,
 * API_PutScalingPolicy.html, API_PredefinedMetricSpecification.html (ResourceLabel),
 * API_DeregisterScalableTarget.html, API_ListTagsForResource.html.
 */
import { FerryError, type AppDeployConfig, type EnvironmentConfig, type TargetTrackingSettings } from '@ferry/core';
import {
  ECS_DESIRED_COUNT,
  ecsServiceResourceId,
  type DeregisterScalableTargetRequest,
  type EcsPort,
  type EcsService,
  type MetricType,
  type PutScalingPolicyRequest,
  type RegisterScalableTargetRequest,
  type ScalingPort,
  type ServiceScalableTarget,
  type ServiceScalingPolicy,
  type TargetGroupFacts,
} from '@ferry/aws';

/** What Application Auto Scaling has for the service: its scalable target and every policy on it. */
export interface LiveScaling {
  target: ServiceScalableTarget | null;
  policies: ServiceScalingPolicy[];
  /** The target's tags: read only when deploy.json no longer declares autoscaling (undefined: not read). */
  targetTags?: Record<string, string>;
  /** The names of the target's scheduled actions: read only when ferry would deregister the target. */
  scheduledActions?: string[];
}

/** The tag ferry puts on a scalable target it registers (value: the app): the only target it ever deregisters. */
export const TAG_SCALING_OWNER = 'ferry:app';
/** The ECS service tag that says ferry manages the service's autoscaling (set with it, removed when ferry has removed it). */
export const TAG_AUTOSCALING = 'ferry:autoscaling';

/** The writes that bring Application Auto Scaling to deploy.json's `autoscaling`, in order. */
export interface ScalingPlan {
  cluster: string;
  service: string;
  /** Whether deploy.json declares `autoscaling` (false: the plan removes what ferry created). */
  declared: boolean;
  /** The scalable target registered now (null: none). */
  current: ServiceScalableTarget | null;
  /** RegisterScalableTarget when the target is missing (tagged as ferry's) or its bounds differ. */
  register?: RegisterScalableTargetRequest;
  /** PutScalingPolicy for each of ferry's policies that is missing or differs. */
  put: PutScalingPolicyRequest[];
  /** ferry's policies (`ferry-<metric>`) that deploy.json no longer declares. */
  delete: string[];
  /** Policies ferry did not create: left alone, said in the plan. */
  foreign: string[];
  /** deploy.json no longer declares autoscaling and ferry registered the target: DeregisterScalableTarget. */
  deregister?: DeregisterScalableTargetRequest;
  /** Why the target stays although deploy.json no longer declares autoscaling. */
  kept?: string;
  /** The service's `ferry:autoscaling` tag: put when ferry starts managing autoscaling, removed once it has removed it. */
  serviceTag?: { serviceArn: string; action: 'tag' | 'untag' };
}

/** ferry's policies are named `ferry-<metric>`: the only ones it ever changes or deletes. */
export const FERRY_POLICY_PREFIX = 'ferry-';
export const scalingPolicyName = (metric: TargetTrackingSettings['metric']): string => `${FERRY_POLICY_PREFIX}${metric}`;

/** The predefined metric of each `metric` (MetricType enum of the Application Auto Scaling model). */
export const METRIC_TYPES: Record<TargetTrackingSettings['metric'], MetricType> = {
  cpu: 'ECSServiceAverageCPUUtilization',
  memory: 'ECSServiceAverageMemoryUtilization',
  requests: 'ALBRequestCountPerTarget',
};

/**
 * ALBRequestCountPerTarget's ResourceLabel: `app/<load-balancer-name>/<id>/targetgroup/<target-group-name>/<id>`,
 * the final parts of the load balancer's and the target group's ARNs (PredefinedMetricSpecification).
 */
export function albResourceLabel(loadBalancerArn: string, targetGroupArn: string): string {
  const lb = /:loadbalancer\/(app\/[^/]+\/[^/]+)$/.exec(loadBalancerArn)?.[1];
  const tg = /:(targetgroup\/[^/]+\/[^/]+)$/.exec(targetGroupArn)?.[1];
  if (!lb || !tg) throw new FerryError('CONFIG_INVALID', `cannot build the ALBRequestCountPerTarget resource label from ${loadBalancerArn} and ${targetGroupArn}: an Application Load Balancer ARN (loadbalancer/app/<name>/<id>) and a target group ARN are needed.`);
  return `${lb}/${tg}`;
}

const declaresRequests = (app: Pick<AppDeployConfig, 'autoscaling'>) => !!app.autoscaling?.targetTracking.some((t) => t.metric === 'requests');

/**
 * The target group a `requests` policy counts on, or a refusal that says what to declare: the
 * metric is per target of a load balancer's target group (the app's `loadBalancer`). In the sandbox
 * ferry's own target group counts. Undefined when no policy needs one.
 */
export function requestsTargetGroup(app: Pick<AppDeployConfig, 'autoscaling' | 'loadBalancer' | 'project'>, env: Pick<EnvironmentConfig, 'name' | 'kind'>): string | undefined {
  if (!declaresRequests(app)) return undefined;
  const tg = app.loadBalancer?.targetGroupArn;
  if (tg) return tg;
  throw new FerryError(
    'CONFIG_INVALID',
    `${app.project}: autoscaling on "requests" (ALBRequestCountPerTarget) needs the app's load balancer, and environment '${env.name}' has none${env.kind === 'sandbox' ? ' (the app has no containerPort for ferry to put one in front of it)' : ''}. ` +
      'Set "loadBalancer": { "targetGroupArn": "arn:aws:elasticloadbalancing:…:targetgroup/<name>/<id>" } in deploy.json, or scale on "cpu" or "memory" instead.',
  );
}

/** The resource label of a `requests` policy from the target group as ELBv2 describes it. */
export function requestsResourceLabel(app: Pick<AppDeployConfig, 'project'>, targetGroupArn: string, tg: TargetGroupFacts | null): string {
  const lb = tg?.loadBalancerArns.find((a) => /:loadbalancer\/app\//.test(a));
  if (!lb) {
    throw new FerryError(
      'CONFIG_INVALID',
      `${app.project}: autoscaling on "requests" counts requests per target of ${targetGroupArn}, but ${tg ? 'no Application Load Balancer forwards to it' : 'that target group does not exist'}. ` +
        'Attach the target group to an Application Load Balancer listener (or fix loadBalancer.targetGroupArn in deploy.json), or scale on "cpu" or "memory".',
    );
  }
  return albResourceLabel(lb, targetGroupArn);
}

/** The PutScalingPolicy input of one declared policy. */
export function policyInput(cluster: string, service: string, t: TargetTrackingSettings, resourceLabel?: string): PutScalingPolicyRequest {
  return {
    PolicyName: scalingPolicyName(t.metric),
    ServiceNamespace: 'ecs',
    ResourceId: ecsServiceResourceId(cluster, service),
    ScalableDimension: ECS_DESIRED_COUNT,
    PolicyType: 'TargetTrackingScaling',
    TargetTrackingScalingPolicyConfiguration: {
      TargetValue: t.target,
      PredefinedMetricSpecification: { PredefinedMetricType: METRIC_TYPES[t.metric], ...(t.metric === 'requests' && resourceLabel && { ResourceLabel: resourceLabel }) },
      ...(t.scaleInCooldown !== undefined && { ScaleInCooldown: t.scaleInCooldown }),
      ...(t.scaleOutCooldown !== undefined && { ScaleOutCooldown: t.scaleOutCooldown }),
    },
  };
}

/** Whether a live policy already is the wanted one (cooldowns compared only where declared). */
function samePolicy(live: ServiceScalingPolicy | undefined, want: PutScalingPolicyRequest): boolean {
  const tt = live?.targetTracking;
  const w = want.TargetTrackingScalingPolicyConfiguration!;
  if (!live || live.policyType !== 'TargetTrackingScaling' || !tt) return false;
  return (
    tt.targetValue === w.TargetValue &&
    tt.metricType === w.PredefinedMetricSpecification?.PredefinedMetricType &&
    (tt.resourceLabel ?? undefined) === (w.PredefinedMetricSpecification?.ResourceLabel ?? undefined) &&
    (w.ScaleInCooldown === undefined || tt.scaleInCooldown === w.ScaleInCooldown) &&
    (w.ScaleOutCooldown === undefined || tt.scaleOutCooldown === w.ScaleOutCooldown) &&
    !tt.disableScaleIn
  );
}

/**
 * The scaling writes for an app. With `autoscaling` declared: the target and ferry's policies as
 * declared (a new target tagged as ferry's). Without: the removal of what ferry created (its
 * policies; the target only when ferry's tag is on it and no policy or scheduled action of anyone
 * else hangs on it), or undefined when nothing of ferry's is there (ferry then manages nothing,
 * whatever Application Auto Scaling has). `live` null: the service does not exist yet (everything is
 * created after it); `service`: the live service (its ARN and tags). Pure.
 */
export function planScaling(
  app: Pick<AppDeployConfig, 'autoscaling' | 'service' | 'project'>,
  env: Pick<EnvironmentConfig, 'cluster'>,
  live: LiveScaling | null,
  resourceLabel?: string,
  service?: Pick<EcsService, 'serviceArn' | 'tags'>,
): ScalingPlan | undefined {
  const a = app.autoscaling;
  const resourceId = ecsServiceResourceId(env.cluster, app.service);
  const target = live?.target ?? null;
  const livePolicies = live?.policies ?? [];
  const ours = (n: string) => n.startsWith(FERRY_POLICY_PREFIX);
  const marked = !!service?.tags?.some((t) => t.key === TAG_AUTOSCALING);
  const base = { cluster: env.cluster, service: app.service, current: target, foreign: livePolicies.filter((p) => !ours(p.policyName)).map((p) => p.policyName) };
  if (!a) return planRemoval(app, env, live, base, marked, service?.serviceArn);
  const register =
    !target || target.minCapacity !== a.min || target.maxCapacity !== a.max
      ? {
          ServiceNamespace: 'ecs' as const,
          ResourceId: resourceId,
          ScalableDimension: ECS_DESIRED_COUNT as 'ecs:service:DesiredCount',
          MinCapacity: a.min,
          MaxCapacity: a.max,
          // Only a target ferry creates carries its tag: one it merely updates stays whoever's it was.
          ...(!target && { Tags: { [TAG_SCALING_OWNER]: app.project } }),
        }
      : undefined;
  const wanted = a.targetTracking.map((t) => policyInput(env.cluster, app.service, t, resourceLabel));
  const put = wanted.filter((w) => !samePolicy(livePolicies.find((p) => p.policyName === w.PolicyName), w));
  const names = new Set(wanted.map((w) => w.PolicyName));
  return {
    ...base,
    declared: true,
    ...(register && { register }),
    put,
    delete: livePolicies.filter((p) => ours(p.policyName) && !names.has(p.policyName)).map((p) => p.policyName),
    ...(!marked && service?.serviceArn && { serviceTag: { serviceArn: service.serviceArn, action: 'tag' as const } }),
  };
}

/** What ferry removes when deploy.json no longer declares autoscaling (planScaling). */
function planRemoval(
  app: Pick<AppDeployConfig, 'service' | 'project'>,
  env: Pick<EnvironmentConfig, 'cluster'>,
  live: LiveScaling | null,
  base: Pick<ScalingPlan, 'cluster' | 'service' | 'current' | 'foreign'>,
  marked: boolean,
  serviceArn: string | undefined,
): ScalingPlan | undefined {
  const target = base.current;
  const mine = (live?.policies ?? []).filter((p) => p.policyName.startsWith(FERRY_POLICY_PREFIX)).map((p) => p.policyName);
  const owned = !!target && live?.targetTags?.[TAG_SCALING_OWNER] !== undefined;
  if (!marked && mine.length === 0 && !owned) return undefined;
  const scheduled = live?.scheduledActions ?? [];
  let deregister: DeregisterScalableTargetRequest | undefined;
  let kept: string | undefined;
  if (target && !owned) kept = `was not registered by ferry (no ${TAG_SCALING_OWNER} tag): left as it is, bounds included`;
  else if (target && (base.foreign.length > 0 || scheduled.length > 0)) {
    const others = [...base.foreign.map((n) => `policy ${n}`), ...scheduled.map((n) => `scheduled action ${n}`)].join(', ');
    kept = `was registered by ferry but also carries ${others}, which deregistering would delete: left registered (a later deploy deregisters it once nothing else hangs on it)`;
  } else if (target) deregister = { ServiceNamespace: 'ecs', ResourceId: ecsServiceResourceId(env.cluster, app.service), ScalableDimension: ECS_DESIRED_COUNT };
  // The marker stays while ferry's own target is kept, so a later deploy deregisters it once it is free.
  const keepMarker = owned && !deregister;
  return {
    ...base,
    declared: false,
    put: [],
    delete: mine,
    ...(deregister && { deregister }),
    ...(kept && { kept }),
    ...(marked && !keepMarker && serviceArn && { serviceTag: { serviceArn, action: 'untag' as const } }),
  };
}

/** Whether the plan writes anything. */
export const scalingChanges = (s: ScalingPlan | undefined): boolean =>
  !!s && (!!s.register || s.put.length > 0 || s.delete.length > 0 || !!s.deregister || !!s.serviceTag);

const bounds = (t: ServiceScalableTarget) => `${t.minCapacity}..${t.maxCapacity}`;

/** The scaling part of `--dry-run` and `diff`: each write with its exact input, and what is left alone. */
export function formatScaling(s: ScalingPlan | undefined): string[] {
  if (!s) return [];
  const live = s.current;
  const resourceId = ecsServiceResourceId(s.cluster, s.service);
  const out: string[] = [];
  if (!s.declared) out.push(`autoscaling: no longer declared in deploy.json: ferry removes what it created${s.foreign.length ? ' and leaves the rest' : ''}`);
  if (s.register) {
    const now = live ? `now ${bounds(live)}` : 'none registered';
    out.push(`autoscaling: scalable target ${s.register.ResourceId} ${s.register.MinCapacity}..${s.register.MaxCapacity} (${now})`, 'RegisterScalableTarget ' + JSON.stringify(s.register, null, 2));
  }
  for (const p of s.put) {
    const c = p.TargetTrackingScalingPolicyConfiguration!;
    out.push(`autoscaling: policy ${p.PolicyName}: ${c.PredefinedMetricSpecification?.PredefinedMetricType} at ${c.TargetValue}`, 'PutScalingPolicy ' + JSON.stringify(p, null, 2));
  }
  for (const name of s.delete) out.push(`autoscaling: policy ${name} is ferry's and no longer declared: DeleteScalingPolicy ${JSON.stringify({ PolicyName: name, ServiceNamespace: 'ecs', ResourceId: resourceId, ScalableDimension: ECS_DESIRED_COUNT })}`);
  if (s.deregister && live) out.push(`autoscaling: scalable target ${resourceId} ${bounds(live)} was registered by ferry: DeregisterScalableTarget ${JSON.stringify(s.deregister)}`);
  if (s.kept && live) out.push(`autoscaling: scalable target ${resourceId} ${bounds(live)} ${s.kept}`);
  if (s.serviceTag?.action === 'tag') out.push(`autoscaling: mark the service as ferry-managed: TagResource ${JSON.stringify({ resourceArn: s.serviceTag.serviceArn, tags: [{ key: TAG_AUTOSCALING, value: 'true' }] })}`);
  if (s.serviceTag?.action === 'untag') out.push(`autoscaling: ferry no longer manages it: UntagResource ${JSON.stringify({ resourceArn: s.serviceTag.serviceArn, tagKeys: [TAG_AUTOSCALING] })}`);
  if (s.declared && !scalingChanges(s)) out.push("autoscaling: the scalable target and ferry's policies are as declared");
  for (const name of s.foreign) out.push(`autoscaling: policy ${name} was not created by ferry: left alone`);
  return out;
}

/** The deploy's one line for a scaling plan that writes nothing. */
export const scalingUnchanged = (s: ScalingPlan): string =>
  s.declared ? `autoscaling ${s.current ? bounds(s.current) : '(none)'} and ferry's policies as declared` : `autoscaling no longer declared; scalable target ${s.current ? bounds(s.current) : '(none)'} ${s.kept ?? 'left'}`;

/**
 * Performs a scaling plan: the target first (a policy needs it: ObjectNotFoundException otherwise),
 * then the policies, then (autoscaling removed) ferry's target, last the service's marker tag.
 */
export async function applyScaling(port: ScalingPort, s: ScalingPlan, ecs?: Pick<EcsPort, 'tagResource' | 'untagResource'>): Promise<string[]> {
  const done: string[] = [];
  if (s.register) {
    await port.registerTarget(s.register);
    done.push(`scalable target ${s.register.MinCapacity}..${s.register.MaxCapacity}`);
  }
  for (const p of s.put) {
    await port.putPolicy(p);
    done.push(`policy ${p.PolicyName}`);
  }
  for (const name of s.delete) {
    await port.deletePolicy(s.cluster, s.service, name);
    done.push(`deleted ${name}`);
  }
  if (s.deregister) {
    await port.deregisterTarget(s.cluster, s.service);
    done.push(`deregistered the scalable target${s.current ? ` ${bounds(s.current)}` : ''}`);
  }
  if (s.kept) done.push(`scalable target left: ${s.kept}`);
  if (s.serviceTag) {
    if (!ecs) throw new FerryError('DEPLOY_FAILED', `${s.service}: the plan changes the service's ${TAG_AUTOSCALING} tag but no ECS port was given`);
    if (s.serviceTag.action === 'tag') await ecs.tagResource(s.serviceTag.serviceArn, [{ key: TAG_AUTOSCALING, value: 'true' }]);
    else await ecs.untagResource(s.serviceTag.serviceArn, [TAG_AUTOSCALING]);
    done.push(s.serviceTag.action === 'tag' ? `service tagged ${TAG_AUTOSCALING}` : `service's ${TAG_AUTOSCALING} tag removed`);
  }
  return done;
}

/**
 * What Application Auto Scaling has for the service. Declared (`removal` false): the target and the
 * policies (two reads). Removal: the target, then (only when there is one) its policies and tags,
 * then (only when ferry registered it) its scheduled actions.
 */
export async function readLiveScaling(port: ScalingPort, cluster: string, service: string, removal = false): Promise<LiveScaling> {
  if (!removal) {
    const [target, policies] = await Promise.all([port.serviceTarget(cluster, service), port.servicePolicies(cluster, service)]);
    return { target, policies };
  }
  const target = await port.serviceTarget(cluster, service);
  // A policy needs a registered target (PutScalingPolicy: ObjectNotFoundException), and goes with it.
  if (!target) return { target, policies: [] };
  const [policies, targetTags] = await Promise.all([port.servicePolicies(cluster, service), target.arn ? port.targetTags(target.arn) : Promise.resolve<Record<string, string>>({})]);
  const scheduledActions = targetTags[TAG_SCALING_OWNER] !== undefined ? await port.scheduledActions(cluster, service) : undefined;
  return { target, policies, targetTags, ...(scheduledActions && { scheduledActions }) };
}

/** The desired count ferry creates a service with under autoscaling: deploy.json's count within min..max. */
export const initialCount = (app: Pick<AppDeployConfig, 'desiredCount' | 'autoscaling'>): number =>
  app.autoscaling ? Math.min(Math.max(app.desiredCount, app.autoscaling.min), app.autoscaling.max) : app.desiredCount;
