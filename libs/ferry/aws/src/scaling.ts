/**
 * Application Auto Scaling as ferry uses it: a narrow port over ApplicationAutoScalingClient. Before
 * ferry sets an existing service's desired count, it asks whether a scalable target manages that
 * count (DescribeScalableTargets): if one does, the count is autoscaling's and ferry never sends it.
 * With `autoscaling` in deploy.json, ferry registers the scalable target and puts its own
 * target-tracking policies (RegisterScalableTarget, DescribeScalingPolicies, PutScalingPolicy,
 * DeleteScalingPolicy); a target ferry registers carries its tag (RegisterScalableTarget `Tags`), and
 * when `autoscaling` leaves deploy.json ferry reads that tag (ListTagsForResource) and the target's
 * scheduled actions (DescribeScheduledActions) before it deregisters what it registered
 * (DeregisterScalableTarget).
 * Resource id and dimension as the API defines them for ECS services:
 * https://docs.aws.amazon.com/autoscaling/application/APIReference/API_DescribeScalableTargets.html
 */
import {
  DeleteScalingPolicyCommand,
  DeregisterScalableTargetCommand,
  DescribeScalableTargetsCommand,
  DescribeScalingPoliciesCommand,
  DescribeScheduledActionsCommand,
  ListTagsForResourceCommand,
  PutScalingPolicyCommand,
  RegisterScalableTargetCommand,
  type ApplicationAutoScalingClient,
  type PutScalingPolicyRequest,
  type RegisterScalableTargetRequest,
} from '@aws-sdk/client-application-auto-scaling';
import { attempt } from './errors.ts';

export type { DeregisterScalableTargetRequest, MetricType, PutScalingPolicyRequest, RegisterScalableTargetRequest } from '@aws-sdk/client-application-auto-scaling';

/** A scalable target on an ECS service's desired count: the bounds autoscaling keeps it within. */
export interface ServiceScalableTarget {
  minCapacity: number;
  maxCapacity: number;
  /** Whether scaling in or out is suspended (`SuspendedState`): still autoscaling's count. */
  suspended: boolean;
  /** ScalableTargetARN: what its tags are read by (ListTagsForResource). */
  arn?: string;
}

/** A scaling policy on an ECS service's desired count, as DescribeScalingPolicies returns what ferry compares. */
export interface ServiceScalingPolicy {
  policyName: string;
  policyType: string;
  /** The target-tracking configuration (TargetTrackingScalingPolicyConfiguration), when it is one. */
  targetTracking?: {
    targetValue: number;
    metricType?: string;
    resourceLabel?: string;
    scaleInCooldown?: number;
    scaleOutCooldown?: number;
    disableScaleIn?: boolean;
  };
}

export interface ScalingPort {
  /** The scalable target of `service/<cluster>/<service>` on `ecs:service:DesiredCount`; null when none is registered. */
  serviceTarget(cluster: string, service: string): Promise<ServiceScalableTarget | null>;
  /** Every scaling policy on the service's desired count (ferry's and anyone else's). */
  servicePolicies(cluster: string, service: string): Promise<ServiceScalingPolicy[]>;
  registerTarget(input: RegisterScalableTargetRequest): Promise<void>;
  putPolicy(input: PutScalingPolicyRequest): Promise<void>;
  deletePolicy(cluster: string, service: string, policyName: string): Promise<void>;
  /** The tags of a scalable target (ListTagsForResource on its ScalableTargetARN). */
  targetTags(arn: string): Promise<Record<string, string>>;
  /** The names of the scheduled actions on the service's desired count (deregistering the target deletes them). */
  scheduledActions(cluster: string, service: string): Promise<string[]>;
  /** DeregisterScalableTarget of the service's desired count (AWS deletes its policies and scheduled actions with it). */
  deregisterTarget(cluster: string, service: string): Promise<void>;
}

import { ECS_DESIRED_COUNT, ecsServiceResourceId } from './scaling-ids.ts';

export { ECS_DESIRED_COUNT, ecsServiceResourceId };

export function scalingPort(client: ApplicationAutoScalingClient): ScalingPort {
  return {
    async serviceTarget(cluster, service) {
      const resourceId = ecsServiceResourceId(cluster, service);
      const r = await attempt(`read the scalable target of ${resourceId} (application-autoscaling:DescribeScalableTargets)`, () =>
        client.send(new DescribeScalableTargetsCommand({ ServiceNamespace: 'ecs', ResourceIds: [resourceId], ScalableDimension: ECS_DESIRED_COUNT })),
      );
      const t = (r.ScalableTargets ?? []).find((x) => x.ResourceId === resourceId && x.ScalableDimension === ECS_DESIRED_COUNT);
      if (!t) return null;
      const s = t.SuspendedState;
      return {
        minCapacity: t.MinCapacity ?? 0,
        maxCapacity: t.MaxCapacity ?? 0,
        suspended: !!(s?.DynamicScalingInSuspended || s?.DynamicScalingOutSuspended || s?.ScheduledScalingSuspended),
        ...(t.ScalableTargetARN && { arn: t.ScalableTargetARN }),
      };
    },
    async servicePolicies(cluster, service) {
      const resourceId = ecsServiceResourceId(cluster, service);
      const out: ServiceScalingPolicy[] = [];
      let NextToken: string | undefined;
      do {
        const r = await attempt(`read the scaling policies of ${resourceId} (application-autoscaling:DescribeScalingPolicies)`, () =>
          client.send(new DescribeScalingPoliciesCommand({ ServiceNamespace: 'ecs', ResourceId: resourceId, ScalableDimension: ECS_DESIRED_COUNT, ...(NextToken && { NextToken }) })),
        );
        for (const p of r.ScalingPolicies ?? []) {
          const tt = p.TargetTrackingScalingPolicyConfiguration;
          out.push({
            policyName: p.PolicyName ?? '',
            policyType: p.PolicyType ?? '',
            ...(tt && {
              targetTracking: {
                targetValue: tt.TargetValue ?? 0,
                ...(tt.PredefinedMetricSpecification?.PredefinedMetricType && { metricType: tt.PredefinedMetricSpecification.PredefinedMetricType }),
                ...(tt.PredefinedMetricSpecification?.ResourceLabel && { resourceLabel: tt.PredefinedMetricSpecification.ResourceLabel }),
                ...(tt.ScaleInCooldown !== undefined && { scaleInCooldown: tt.ScaleInCooldown }),
                ...(tt.ScaleOutCooldown !== undefined && { scaleOutCooldown: tt.ScaleOutCooldown }),
                ...(tt.DisableScaleIn !== undefined && { disableScaleIn: tt.DisableScaleIn }),
              },
            }),
          });
        }
        NextToken = r.NextToken;
      } while (NextToken);
      return out;
    },
    async registerTarget(input) {
      await attempt(`register the scalable target ${input.ResourceId} (application-autoscaling:RegisterScalableTarget)`, () => client.send(new RegisterScalableTargetCommand(input)));
    },
    async putPolicy(input) {
      await attempt(`put the scaling policy ${input.PolicyName} on ${input.ResourceId} (application-autoscaling:PutScalingPolicy)`, () => client.send(new PutScalingPolicyCommand(input)));
    },
    async deletePolicy(cluster, service, policyName) {
      const resourceId = ecsServiceResourceId(cluster, service);
      await attempt(`delete the scaling policy ${policyName} of ${resourceId} (application-autoscaling:DeleteScalingPolicy)`, () =>
        client.send(new DeleteScalingPolicyCommand({ PolicyName: policyName, ServiceNamespace: 'ecs', ResourceId: resourceId, ScalableDimension: ECS_DESIRED_COUNT })),
      );
    },
    async targetTags(arn) {
      const r = await attempt(`read the tags of the scalable target ${arn} (application-autoscaling:ListTagsForResource)`, () => client.send(new ListTagsForResourceCommand({ ResourceARN: arn })));
      return r.Tags ?? {};
    },
    async scheduledActions(cluster, service) {
      const resourceId = ecsServiceResourceId(cluster, service);
      const out: string[] = [];
      let NextToken: string | undefined;
      do {
        const r = await attempt(`read the scheduled actions of ${resourceId} (application-autoscaling:DescribeScheduledActions)`, () =>
          client.send(new DescribeScheduledActionsCommand({ ServiceNamespace: 'ecs', ResourceId: resourceId, ScalableDimension: ECS_DESIRED_COUNT, ...(NextToken && { NextToken }) })),
        );
        out.push(...(r.ScheduledActions ?? []).map((a) => a.ScheduledActionName ?? ''));
        NextToken = r.NextToken;
      } while (NextToken);
      return out;
    },
    async deregisterTarget(cluster, service) {
      const resourceId = ecsServiceResourceId(cluster, service);
      await attempt(`deregister the scalable target ${resourceId} (application-autoscaling:DeregisterScalableTarget)`, () =>
        client.send(new DeregisterScalableTargetCommand({ ServiceNamespace: 'ecs', ResourceId: resourceId, ScalableDimension: ECS_DESIRED_COUNT })),
      );
    },
  };
}
