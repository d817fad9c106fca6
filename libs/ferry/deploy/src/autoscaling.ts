/**
 * ferry-managed autoscaling (`autoscaling` in deploy.json) as a plan: the scalable target on the
 * service's desired count and ferry's own target-tracking policies (`ferry-<metric>`), compared with
 * what Application Auto Scaling has, so only what differs is written. Policies ferry did not create
 * are never touched; ferry's own that deploy.json no longer declares are deleted. Pure; the writes
 * are `applyScaling`, after the service exists.
 * API: https://docs.aws.amazon.com/autoscaling/application/APIReference/API_RegisterScalableTarget.html,
 * API_PutScalingPolicy.html, API_PredefinedMetricSpecification.html (ResourceLabel).
 */
import { FerryError, type AppDeployConfig, type EnvironmentConfig, type TargetTrackingSettings } from '@ferry/core';
import {
  ECS_DESIRED_COUNT,
  ecsServiceResourceId,
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
}

/** The writes that bring Application Auto Scaling to deploy.json's `autoscaling`, in order. */
export interface ScalingPlan {
  cluster: string;
  service: string;
  /** The scalable target registered now (null: none). */
  current: ServiceScalableTarget | null;
  /** RegisterScalableTarget when the target is missing or its bounds differ. */
  register?: RegisterScalableTargetRequest;
  /** PutScalingPolicy for each of ferry's policies that is missing or differs. */
  put: PutScalingPolicyRequest[];
  /** ferry's policies (`ferry-<metric>`) that deploy.json no longer declares. */
  delete: string[];
  /** Policies ferry did not create: left alone, said in the plan. */
  foreign: string[];
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
 * The scaling writes for an app: undefined when deploy.json declares no `autoscaling` (ferry then
 * manages nothing, whatever Application Auto Scaling has). `live` null: the service does not exist
 * yet (everything is created after it). Pure.
 */
export function planScaling(
  app: Pick<AppDeployConfig, 'autoscaling' | 'service'>,
  env: Pick<EnvironmentConfig, 'cluster'>,
  live: LiveScaling | null,
  resourceLabel?: string,
): ScalingPlan | undefined {
  const a = app.autoscaling;
  if (!a) return undefined;
  const resourceId = ecsServiceResourceId(env.cluster, app.service);
  const target = live?.target ?? null;
  const register =
    !target || target.minCapacity !== a.min || target.maxCapacity !== a.max
      ? { ServiceNamespace: 'ecs' as const, ResourceId: resourceId, ScalableDimension: ECS_DESIRED_COUNT as 'ecs:service:DesiredCount', MinCapacity: a.min, MaxCapacity: a.max }
      : undefined;
  const livePolicies = live?.policies ?? [];
  const wanted = a.targetTracking.map((t) => policyInput(env.cluster, app.service, t, resourceLabel));
  const put = wanted.filter((w) => !samePolicy(livePolicies.find((p) => p.policyName === w.PolicyName), w));
  const names = new Set(wanted.map((w) => w.PolicyName));
  const ours = (n: string) => n.startsWith(FERRY_POLICY_PREFIX);
  return {
    cluster: env.cluster,
    service: app.service,
    current: target,
    ...(register && { register }),
    put,
    delete: livePolicies.filter((p) => ours(p.policyName) && !names.has(p.policyName)).map((p) => p.policyName),
    foreign: livePolicies.filter((p) => !ours(p.policyName)).map((p) => p.policyName),
  };
}

/** Whether the plan writes anything. */
export const scalingChanges = (s: ScalingPlan | undefined): boolean => !!s && (!!s.register || s.put.length > 0 || s.delete.length > 0);

/** The scaling part of `--dry-run` and `diff`: each write with its exact input, and what is left alone. */
export function formatScaling(s: ScalingPlan | undefined): string[] {
  if (!s) return [];
  const live = s.current;
  const out: string[] = [];
  if (s.register) {
    const now = live ? `now ${live.minCapacity}..${live.maxCapacity}` : 'none registered';
    out.push(`autoscaling: scalable target ${s.register.ResourceId} ${s.register.MinCapacity}..${s.register.MaxCapacity} (${now})`, 'RegisterScalableTarget ' + JSON.stringify(s.register, null, 2));
  }
  for (const p of s.put) {
    const c = p.TargetTrackingScalingPolicyConfiguration!;
    out.push(`autoscaling: policy ${p.PolicyName}: ${c.PredefinedMetricSpecification?.PredefinedMetricType} at ${c.TargetValue}`, 'PutScalingPolicy ' + JSON.stringify(p, null, 2));
  }
  for (const name of s.delete) out.push(`autoscaling: policy ${name} is ferry's and no longer declared: DeleteScalingPolicy ${JSON.stringify({ PolicyName: name, ServiceNamespace: 'ecs', ResourceId: ecsServiceResourceId(s.cluster, s.service), ScalableDimension: ECS_DESIRED_COUNT })}`);
  if (!scalingChanges(s)) out.push('autoscaling: the scalable target and ferry\'s policies are as declared');
  for (const name of s.foreign) out.push(`autoscaling: policy ${name} was not created by ferry: left alone`);
  return out;
}

/** Performs a scaling plan: the target first (a policy needs it: ObjectNotFoundException otherwise), then the policies. */
export async function applyScaling(port: ScalingPort, s: ScalingPlan): Promise<string[]> {
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
  return done;
}

/** What Application Auto Scaling has for the service (two reads), only when deploy.json declares autoscaling. */
export async function readLiveScaling(port: ScalingPort, cluster: string, service: string): Promise<LiveScaling> {
  const [target, policies] = await Promise.all([port.serviceTarget(cluster, service), port.servicePolicies(cluster, service)]);
  return { target, policies };
}

/** The desired count ferry creates a service with under autoscaling: deploy.json's count within min..max. */
export const initialCount = (app: Pick<AppDeployConfig, 'desiredCount' | 'autoscaling'>): number =>
  app.autoscaling ? Math.min(Math.max(app.desiredCount, app.autoscaling.min), app.autoscaling.max) : app.desiredCount;
