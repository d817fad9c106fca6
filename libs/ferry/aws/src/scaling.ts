/**
 * Application Auto Scaling as ferry uses it: a narrow port over ApplicationAutoScalingClient. Before
 * ferry sets an existing service's desired count, it asks whether a scalable target manages that
 * count (DescribeScalableTargets): if one does, the count is autoscaling's and ferry never sends it.
 * Resource id and dimension as the API defines them for ECS services:
 * https://docs.aws.amazon.com/autoscaling/application/APIReference/API_DescribeScalableTargets.html
 */
import { DescribeScalableTargetsCommand, type ApplicationAutoScalingClient } from '@aws-sdk/client-application-auto-scaling';
import { attempt } from './errors.ts';

/** A scalable target on an ECS service's desired count: the bounds autoscaling keeps it within. */
export interface ServiceScalableTarget {
  minCapacity: number;
  maxCapacity: number;
  /** Whether scaling in or out is suspended (`SuspendedState`): still autoscaling's count. */
  suspended: boolean;
}

export interface ScalingPort {
  /** The scalable target of `service/<cluster>/<service>` on `ecs:service:DesiredCount`; null when none is registered. */
  serviceTarget(cluster: string, service: string): Promise<ServiceScalableTarget | null>;
}

/** `service/<cluster>/<service>`: the ResourceId of an ECS service (the cluster by name). */
export const ecsServiceResourceId = (cluster: string, service: string): string => `service/${cluster.split('/').pop()}/${service}`;

export function scalingPort(client: ApplicationAutoScalingClient): ScalingPort {
  return {
    async serviceTarget(cluster, service) {
      const resourceId = ecsServiceResourceId(cluster, service);
      const r = await attempt(`read the scalable target of ${resourceId} (application-autoscaling:DescribeScalableTargets)`, () =>
        client.send(new DescribeScalableTargetsCommand({ ServiceNamespace: 'ecs', ResourceIds: [resourceId], ScalableDimension: 'ecs:service:DesiredCount' })),
      );
      const t = (r.ScalableTargets ?? []).find((x) => x.ResourceId === resourceId && x.ScalableDimension === 'ecs:service:DesiredCount');
      if (!t) return null;
      const s = t.SuspendedState;
      return { minCapacity: t.MinCapacity ?? 0, maxCapacity: t.MaxCapacity ?? 0, suspended: !!(s?.DynamicScalingInSuspended || s?.DynamicScalingOutSuspended || s?.ScheduledScalingSuspended) };
    },
  };
}
