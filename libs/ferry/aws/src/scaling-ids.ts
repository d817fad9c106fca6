/**
 * How Application Auto Scaling names an ECS service's desired count (pure; the port in scaling.ts
 * loads the SDK on first use):
 * https://docs.aws.amazon.com/autoscaling/application/APIReference/API_DescribeScalableTargets.html
 */

/** The scalable dimension of an ECS service's desired count. */
export const ECS_DESIRED_COUNT = 'ecs:service:DesiredCount';

/** `service/<cluster>/<service>`: the ResourceId of an ECS service (the cluster by name). */
export const ecsServiceResourceId = (cluster: string, service: string): string => `service/${cluster.split('/').pop()}/${service}`;
