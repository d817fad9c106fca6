/**
 * The sandbox's Application Auto Scaling part: the subset ferry uses and tests set up
 * (RegisterScalableTarget, DescribeScalableTargets, DeregisterScalableTarget, PutScalingPolicy,
 * DescribeScalingPolicies, DeleteScalingPolicy, the tags of scalable targets: TagResource,
 * UntagResource, ListTagsForResource; DescribeScheduledActions, always empty since the sandbox
 * does not take PutScheduledAction) over a persisted state
 * (`<dataDir>/state/autoscaling.json`). Requests are validated against AWS's model first
 * (`models/application-autoscaling.json`, model-validation.ts), then by the API's own rules.
 * It records scalable targets and policies only: no policy runs (there are no CloudWatch metrics),
 * and registering a target does not move the service's desired count.
 * Shapes: AWS's service models, application-autoscaling (service-2.json); AWS JSON 1.1,
 * X-Amz-Target `AnyScaleFrontendService.<Operation>`.
 */
import { randomUUID } from 'node:crypto';
import type { SandboxContext, SandboxService } from '../context.ts';
import { AwsError, type EcsServicesPort } from '../context.ts';
import { validatedOperations } from '../model-validation.ts';
import { bufferedStore, flushAfterEach } from '../state.ts';

interface TargetRecord {
  ServiceNamespace: string;
  ResourceId: string;
  ScalableDimension: string;
  MinCapacity: number;
  MaxCapacity: number;
  RoleARN: string;
  CreationTime: number;
  SuspendedState?: { DynamicScalingInSuspended?: boolean; DynamicScalingOutSuspended?: boolean; ScheduledScalingSuspended?: boolean };
  ScalableTargetARN: string;
}
interface PolicyRecord {
  PolicyARN: string;
  PolicyName: string;
  ServiceNamespace: string;
  ResourceId: string;
  ScalableDimension: string;
  PolicyType: string;
  StepScalingPolicyConfiguration?: unknown;
  TargetTrackingScalingPolicyConfiguration?: TargetTrackingConfig;
  PredictiveScalingPolicyConfiguration?: unknown;
  Alarms: { AlarmName: string; AlarmARN: string }[];
  CreationTime: number;
}
interface TargetTrackingConfig {
  TargetValue: number;
  PredefinedMetricSpecification?: { PredefinedMetricType: string; ResourceLabel?: string };
  CustomizedMetricSpecification?: unknown;
  ScaleOutCooldown?: number;
  ScaleInCooldown?: number;
  DisableScaleIn?: boolean;
}
export interface AutoScalingState {
  targets: Record<string, TargetRecord>;
  /** Older state files have none. */
  policies?: Record<string, PolicyRecord>;
  /** ScalableTargetARN -> its tags (TagMap). Older state files have none. */
  tags?: Record<string, Record<string, string>>;
}

const keyOf = (ns: string, id: string, dim: string) => `${ns}|${id}|${dim}`;
const policyKey = (ns: string, id: string, dim: string, name: string) => `${keyOf(ns, id, dim)}|${name}`;
const notRegistered = (ns: unknown, id: unknown, dim: unknown) =>
  new AwsError('ObjectNotFoundException', `No scalable target registered for service namespace: ${ns}, resource ID: ${id}, scalable dimension: ${dim}`);

/**
 * The predefined metrics of ECS services (API_PredefinedMetricSpecification: "ECSServiceAverage…"
 * for ecs, ALBRequestCountPerTarget for an ECS service behind an Application Load Balancer).
 */
const ECS_METRICS = new Set(['ECSServiceAverageCPUUtilization', 'ECSServiceAverageMemoryUtilization', 'ALBRequestCountPerTarget', 'ECSServiceAverageCPUUtilizationHighResolution', 'ECSServiceAverageMemoryUtilizationHighResolution']);
/** ResourceLabel of ALBRequestCountPerTarget: `app/<load-balancer-name>/<load-balancer-id>/targetgroup/<target-group-name>/<target-group-id>` (API_PredefinedMetricSpecification). */
const RESOURCE_LABEL = /^app\/[^/]+\/[^/]+\/targetgroup\/[^/]+\/[^/]+$/;

/**
 * The rules PutScalingPolicy applies beyond the model (API_PutScalingPolicy, API_TargetTrackingScalingPolicyConfiguration,
 * API_PredefinedMetricSpecification): a policy type's configuration is required with it, a target
 * tracking policy names exactly one metric, ALBRequestCountPerTarget needs its ResourceLabel (and
 * only it may have one), and ECS services scale on ECS or ALB metrics.
 */
function checkPolicy(i: Record<string, unknown>): void {
  const type = i.PolicyType as string | undefined;
  if (type === undefined) throw validation('PolicyType is required when creating a scaling policy.');
  if (type === 'TargetTrackingScaling') {
    const c = i.TargetTrackingScalingPolicyConfiguration as TargetTrackingConfig | undefined;
    if (!c) throw validation('TargetTrackingScalingPolicyConfiguration is required for a policy of type TargetTrackingScaling.');
    const predefined = c.PredefinedMetricSpecification;
    if (!predefined === !c.CustomizedMetricSpecification) throw validation('Exactly one of PredefinedMetricSpecification and CustomizedMetricSpecification must be specified.');
    if (predefined) {
      const { PredefinedMetricType: metric, ResourceLabel: label } = predefined;
      if (i.ServiceNamespace === 'ecs' && !ECS_METRICS.has(metric)) throw validation(`Unsupported metric type ${metric} for service namespace ecs.`);
      if (metric === 'ALBRequestCountPerTarget') {
        if (!label) throw validation('ResourceLabel is required for the predefined metric type ALBRequestCountPerTarget.');
        if (!RESOURCE_LABEL.test(label)) throw validation(`Invalid ResourceLabel ${label}: expected app/<load-balancer-name>/<load-balancer-id>/targetgroup/<target-group-name>/<target-group-id>.`);
      } else if (label !== undefined) throw validation(`ResourceLabel can only be specified for the predefined metric type ALBRequestCountPerTarget, not ${metric}.`);
    }
  } else if (type === 'StepScaling' && !i.StepScalingPolicyConfiguration) throw validation('StepScalingPolicyConfiguration is required for a policy of type StepScaling.');
  else if (type === 'PredictiveScaling' && !i.PredictiveScalingPolicyConfiguration) throw validation('PredictiveScalingPolicyConfiguration is required for a policy of type PredictiveScaling.');
}
const validation = (message: string) => new AwsError('ValidationException', message);

/**
 * What the API checks beyond the model for ECS: the resource id form and the one dimension
 * (https://docs.aws.amazon.com/autoscaling/application/APIReference/API_RegisterScalableTarget.html,
 * ResourceId "ECS service - service/<cluster-name>/<service-name>").
 */
function checkEcsTarget(ns: string, id: string, dim: string): void {
  if (ns !== 'ecs') return;
  if (!/^service\/[^/]+\/[^/]+$/.test(id)) throw validation(`Unsupported resource ID format: ${id}. Expected service/<cluster-name>/<service-name>.`);
  if (dim !== 'ecs:service:DesiredCount') throw validation(`Unsupported scalable dimension ${dim} for service namespace ecs.`);
}

/**
 * RegisterScalableTarget on an ECS service the ECS part does not have. AWS answers ValidationException
 * "ECS service doesn't exist: <resource id>": the text moto's application-autoscaling backend raises
 * (`_ecs_service_exists_for_target`), the ValidationException the Terraform AWS provider retries on
 * while a new service propagates (aws_appautoscaling_target create: "ECS service doesn't exist"), and
 * spinnaker/spinnaker#4371 (clouddriver's RegisterScalableTarget "sometimes fails with 'ECS service
 * doesn't exist'" right after CreateService; it retries on the validation exception). A deleted
 * (INACTIVE) service is not refused here: no source says what AWS answers for one.
 */
function checkEcsServiceExists(ecsServices: EcsServicesPort | undefined, id: string): void {
  const [, cluster, service] = id.split('/');
  if (!ecsServices?.status(cluster!, service!)) throw validation(`ECS service doesn't exist: ${id}`);
}

/** The account's scalable target whose ARN this is (TagResource, UntagResource, ListTagsForResource), or ResourceNotFoundException (the model's error of all three). */
function targetByArn(state: AutoScalingState, arn: string): TargetRecord {
  const t = Object.values(state.targets).find((x) => x.ScalableTargetARN === arn);
  if (!t) throw new AwsError('ResourceNotFoundException', `Scalable target with ARN ${arn} not found.`);
  return t;
}

export function createAutoScalingService(ctx: Pick<SandboxContext, 'state' | 'region' | 'accountId' | 'ecsServices'>): SandboxService {
  const store = bufferedStore(ctx.state<AutoScalingState>('autoscaling', { targets: {} }));
  const state = () => store.get();
  let seq = Object.keys(state().targets).length;

  const operations: SandboxService['handlers'] = {
    RegisterScalableTarget(i) {
      const { ServiceNamespace: ns, ResourceId: id, ScalableDimension: dim } = i as { ServiceNamespace: string; ResourceId: string; ScalableDimension: string };
      checkEcsTarget(ns, id, dim);
      // Read now, not at creation: the ECS part is created after this one (sandbox.ts).
      if (ns === 'ecs') checkEcsServiceExists(ctx.ecsServices, id);
      const key = keyOf(ns, id, dim);
      const existing = state().targets[key];
      const min = (i.MinCapacity as number | undefined) ?? existing?.MinCapacity;
      const max = (i.MaxCapacity as number | undefined) ?? existing?.MaxCapacity;
      // A new target needs both bounds (RegisterScalableTarget: "required if you are registering a new scalable target").
      if (min === undefined || max === undefined) throw validation('MinCapacity and MaxCapacity are required when registering a new scalable target.');
      if (min > max) throw validation(`Minimum capacity (${min}) cannot be greater than maximum capacity (${max}).`);
      const arn = existing?.ScalableTargetARN ?? `arn:aws:application-autoscaling:${ctx.region}:${ctx.accountId}:scalable-target/${(++seq).toString(16).padStart(32, '0')}`;
      store.update((s) => {
        s.targets[key] = {
          ServiceNamespace: ns,
          ResourceId: id,
          ScalableDimension: dim,
          MinCapacity: min,
          MaxCapacity: max,
          RoleARN: (i.RoleARN as string | undefined) ?? existing?.RoleARN ?? `arn:aws:iam::${ctx.accountId}:role/aws-service-role/ecs.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_ECSService`,
          CreationTime: existing?.CreationTime ?? Date.now() / 1000,
          ...((i.SuspendedState ?? existing?.SuspendedState) && { SuspendedState: (i.SuspendedState ?? existing?.SuspendedState) as TargetRecord['SuspendedState'] }),
          ScalableTargetARN: arn,
        };
        // Tags "when it is created"; an existing target is tagged with TagResource (RegisterScalableTarget, Tags).
        if (!existing && i.Tags) (s.tags ??= {})[arn] = { ...(i.Tags as Record<string, string>) };
      });
      return { ScalableTargetARN: arn };
    },
    DescribeScalableTargets(i) {
      const ids = Array.isArray(i.ResourceIds) ? (i.ResourceIds as string[]) : undefined;
      const all = Object.values(state().targets)
        .filter((t) => t.ServiceNamespace === i.ServiceNamespace && (!ids || ids.includes(t.ResourceId)) && (i.ScalableDimension === undefined || t.ScalableDimension === i.ScalableDimension))
        .sort((a, b) => a.ResourceId.localeCompare(b.ResourceId));
      const start = Number(i.NextToken ?? 0) || 0;
      const limit = Math.min(Number(i.MaxResults ?? 50) || 50, 50);
      const slice = all.slice(start, start + limit);
      return { ScalableTargets: slice.map((t) => ({ ...t })), ...(start + limit < all.length && { NextToken: String(start + limit) }) };
    },
    DeregisterScalableTarget(i) {
      const key = keyOf(String(i.ServiceNamespace), String(i.ResourceId), String(i.ScalableDimension));
      if (!state().targets[key]) throw notRegistered(i.ServiceNamespace, i.ResourceId, i.ScalableDimension);
      // "Deregistering a scalable target deletes the scaling policies and the scheduled actions that are associated with it." (API_DeregisterScalableTarget)
      const arn = state().targets[key]!.ScalableTargetARN;
      store.update((s) => {
        delete s.targets[key];
        delete s.tags?.[arn];
        for (const k of Object.keys(s.policies ?? {})) if (k.startsWith(`${key}|`)) delete s.policies![k];
      });
      return {};
    },
    TagResource(i) {
      // Adds or edits: an existing key gets the new value (API_TagResource).
      const t = targetByArn(state(), i.ResourceARN as string);
      store.update((s) => {
        (s.tags ??= {})[t.ScalableTargetARN] = { ...s.tags[t.ScalableTargetARN], ...(i.Tags as Record<string, string>) };
      });
      return {};
    },
    UntagResource(i) {
      const t = targetByArn(state(), i.ResourceARN as string);
      store.update((s) => {
        const tags = s.tags?.[t.ScalableTargetARN];
        for (const k of i.TagKeys as string[]) delete tags?.[k];
      });
      return {};
    },
    ListTagsForResource(i) {
      const t = targetByArn(state(), i.ResourceARN as string);
      return { Tags: { ...state().tags?.[t.ScalableTargetARN] } };
    },
    DescribeScheduledActions() {
      // PutScheduledAction is not served: no target has a scheduled action.
      return { ScheduledActions: [] };
    },
    PutScalingPolicy(i) {
      const { ServiceNamespace: ns, ResourceId: id, ScalableDimension: dim, PolicyName: name } = i as Record<string, string>;
      // A policy needs its scalable target first (API_PutScalingPolicy: ObjectNotFoundException).
      if (!state().targets[keyOf(ns, id, dim)]) throw notRegistered(ns, id, dim);
      checkPolicy(i);
      const key = policyKey(ns, id, dim, name);
      const existing = state().policies?.[key];
      const uuid = existing?.PolicyARN.split(':')[6] ?? randomUUID();
      const arn = `arn:aws:autoscaling:${ctx.region}:${ctx.accountId}:scalingPolicy:${uuid}:resource/${ns}/${id}:policyName/${name}`;
      // Target tracking creates its CloudWatch alarms (AlarmHigh/AlarmLow) and returns them; the sandbox has no CloudWatch to evaluate them.
      const alarmName = (kind: string) => `TargetTracking-${id}-${kind}-${uuid}`;
      const alarms =
        i.PolicyType === 'TargetTrackingScaling'
          ? ['AlarmHigh', 'AlarmLow'].map((k) => ({ AlarmName: alarmName(k), AlarmARN: `arn:aws:cloudwatch:${ctx.region}:${ctx.accountId}:alarm:${alarmName(k)}` }))
          : [];
      const record: PolicyRecord = {
        PolicyARN: arn,
        PolicyName: name,
        ServiceNamespace: ns,
        ResourceId: id,
        ScalableDimension: dim,
        PolicyType: i.PolicyType as string,
        ...(i.StepScalingPolicyConfiguration !== undefined && { StepScalingPolicyConfiguration: i.StepScalingPolicyConfiguration }),
        ...(i.TargetTrackingScalingPolicyConfiguration !== undefined && { TargetTrackingScalingPolicyConfiguration: i.TargetTrackingScalingPolicyConfiguration as TargetTrackingConfig }),
        ...(i.PredictiveScalingPolicyConfiguration !== undefined && { PredictiveScalingPolicyConfiguration: i.PredictiveScalingPolicyConfiguration }),
        Alarms: alarms,
        CreationTime: existing?.CreationTime ?? Date.now() / 1000,
      };
      store.update((s) => {
        (s.policies ??= {})[key] = record;
      });
      return { PolicyARN: arn, Alarms: alarms };
    },
    DescribeScalingPolicies(i) {
      const names = Array.isArray(i.PolicyNames) ? (i.PolicyNames as string[]) : undefined;
      const all = Object.values(state().policies ?? {})
        .filter(
          (p) =>
            p.ServiceNamespace === i.ServiceNamespace &&
            (i.ResourceId === undefined || p.ResourceId === i.ResourceId) &&
            (i.ScalableDimension === undefined || p.ScalableDimension === i.ScalableDimension) &&
            (!names || names.includes(p.PolicyName)),
        )
        .sort((a, b) => a.ResourceId.localeCompare(b.ResourceId) || a.PolicyName.localeCompare(b.PolicyName));
      const start = Number(i.NextToken ?? 0) || 0;
      // MaxResults of DescribeScalingPolicies: 1 to 10, default 10 (API_DescribeScalingPolicies).
      const max = i.MaxResults as number | undefined;
      if (max !== undefined && (max < 1 || max > 10)) throw validation(`1 validation error detected: Value '${max}' at 'maxResults' failed to satisfy constraint: Member must have value between 1 and 10`);
      const limit = max ?? 10;
      return { ScalingPolicies: all.slice(start, start + limit).map((p) => structuredClone(p)), ...(start + limit < all.length && { NextToken: String(start + limit) }) };
    },
    DeleteScalingPolicy(i) {
      const { ServiceNamespace: ns, ResourceId: id, ScalableDimension: dim, PolicyName: name } = i as Record<string, string>;
      const key = policyKey(ns, id, dim, name);
      if (!state().policies?.[key]) {
        throw new AwsError('ObjectNotFoundException', `No scaling policy found for service namespace: ${ns}, resource ID: ${id}, scalable dimension: ${dim}, policy name: ${name}`);
      }
      store.update((s) => delete s.policies![key]);
      return {};
    },
  };
  const handlers = validatedOperations('autoscaling', operations);
  flushAfterEach(handlers, store);
  return {
    handlers,
    async start() {},
    async stop() {
      store.flush();
    },
  };
}
