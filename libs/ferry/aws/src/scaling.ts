/**
 * Application Auto Scaling as ferry uses it: a narrow port over ApplicationAutoScalingClient. Before
 * ferry sets an existing service's desired count, it asks whether a scalable target manages that
 * count (DescribeScalableTargets): if one does, the count is autoscaling's and ferry never sends it.
 * With `autoscaling` in deploy.json, ferry registers the scalable target and puts its own
 * target-tracking policies (RegisterScalableTarget, DescribeScalingPolicies, PutScalingPolicy,
 * DeleteScalingPolicy).
 * Resource id and dimension as the API defines them for ECS services:
 * https://docs.aws.amazon.com/autoscaling/application/APIReference/API_DescribeScalableTargets.html
 */
import {
  DeleteScalingPolicyCommand,
  DescribeScalableTargetsCommand,
  DescribeScalingPoliciesCommand,
  PutScalingPolicyCommand,
  RegisterScalableTargetCommand,
  type ApplicationAutoScalingClient,
  type PutScalingPolicyRequest,
  type RegisterScalableTargetRequest,
} from '@aws-sdk/client-application-auto-scaling';
import { attempt } from './errors.ts';

export type { MetricType, PutScalingPolicyRequest, RegisterScalableTargetRequest } from '@aws-sdk/client-application-auto-scaling';

/** A scalable target on an ECS service's desired count: the bounds autoscaling keeps it within. */
export interface ServiceScalableTarget {
  minCapacity: number;
  maxCapacity: number;
  /** Whether scaling in or out is suspended (`SuspendedState`): still autoscaling's count. */
  suspended: boolean;
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
      return { minCapacity: t.MinCapacity ?? 0, maxCapacity: t.MaxCapacity ?? 0, suspended: !!(s?.DynamicScalingInSuspended || s?.DynamicScalingOutSuspended || s?.ScheduledScalingSuspended) };
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
  };
}
