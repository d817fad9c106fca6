/**
 * Validation of what CreateService and UpdateService take: the task definition to run, desiredCount,
 * deploymentConfiguration (min/max percent, circuit breaker) and loadBalancers. Each returns the
 * value to store or throws ECS's error, before anything is written.
 */
import type { DeploymentConfiguration, EcsState, TaskDefRecord } from '../model.ts';
import { client, findTaskDef, invalid } from './common.ts';

/** The task definition a service may run: it exists and is ACTIVE (a bare family is its latest ACTIVE revision). */
export function taskDefForService(state: EcsState, ref: unknown): TaskDefRecord {
  if (typeof ref !== 'string' || ref === '') throw invalid('taskDefinition must be specified.');
  const td = findTaskDef(state, ref);
  if (!td) throw client('Unable to describe task definition.');
  if (td.status !== 'ACTIVE') throw client(`TaskDefinition is inactive (${td.taskDefinitionArn}).`);
  return td;
}

/** The new deploymentConfiguration: `input` over `base` (UpdateService keeps what it does not name); defaults min 100, max 200. */
export function checkDeploymentConfiguration(input: any, base?: DeploymentConfiguration): DeploymentConfiguration {
  const dc = input ?? {};
  if (typeof dc !== 'object') throw invalid('deploymentConfiguration must be an object.');
  const cb = dc.deploymentCircuitBreaker;
  if (cb !== undefined) {
    if (typeof cb !== 'object' || typeof cb.enable !== 'boolean' || typeof cb.rollback !== 'boolean')
      throw invalid('deploymentCircuitBreaker requires boolean enable and rollback.');
    const tc = cb.thresholdConfiguration;
    if (tc !== undefined && (!['COUNT', 'BOUNDED_PERCENT', 'UNBOUNDED_PERCENT'].includes(tc.type) || !Number.isInteger(tc.value) || tc.value < 1))
      throw invalid('thresholdConfiguration requires type COUNT|BOUNDED_PERCENT|UNBOUNDED_PERCENT and a positive integer value.');
  }
  const min = dc.minimumHealthyPercent ?? base?.minimumHealthyPercent ?? 100;
  const max = dc.maximumPercent ?? base?.maximumPercent ?? 200;
  if (!Number.isInteger(min) || min < 0 || min > 100) throw invalid('minimumHealthyPercent must be an integer between 0 and 100.');
  if (!Number.isInteger(max) || max < 100) throw invalid('maximumPercent must be an integer of at least 100.');
  return {
    ...(base ?? {}),
    ...dc,
    minimumHealthyPercent: min,
    maximumPercent: max,
    deploymentCircuitBreaker: cb ?? base?.deploymentCircuitBreaker ?? { enable: false, rollback: false },
  };
}

/** At most 5 entries, each naming a container of the task definition and a port. */
export function checkLoadBalancers(lbs: unknown, td: TaskDefRecord) {
  if (lbs === undefined) return [];
  if (!Array.isArray(lbs)) throw invalid('loadBalancers must be a list.');
  if (lbs.length > 5) throw invalid('A service can have at most 5 load balancers.');
  return lbs.map((lb) => {
    if (!lb || typeof lb.containerName !== 'string' || !Number.isInteger(lb.containerPort))
      throw invalid('loadBalancers entries need containerName and containerPort.');
    const c = td.containerDefinitions.find((x) => x.name === lb.containerName);
    if (!c) throw invalid(`The container ${lb.containerName} does not exist in the task definition.`);
    // ECS's LoadBalancer: an Application/Network Load Balancer is named by targetGroupArn, a Classic
    // one by loadBalancerName (API reference, LoadBalancer). The sandbox has no Classic load
    // balancers: such a name does not exist here (ECS: "The load balancer <name> does not exist.").
    if (typeof lb.targetGroupArn !== 'string' || !lb.targetGroupArn) {
      if (typeof lb.loadBalancerName === 'string' && lb.loadBalancerName) throw invalid(`The load balancer ${lb.loadBalancerName} does not exist.`);
      throw invalid('loadBalancers entries need a targetGroupArn (an Application or Network Load Balancer target group) or a loadBalancerName (a Classic Load Balancer).');
    }
    return { ...lb };
  });
}

/** One entry of CreateService's capacityProviderStrategy. */
export interface CapacityProviderItem {
  capacityProvider: string;
  weight?: number;
  base?: number;
}

const FARGATE_PROVIDERS = new Set(['FARGATE', 'FARGATE_SPOT']);

/**
 * CreateService's launchType or capacityProviderStrategy, as ECS checks them (InvalidParameterException):
 * not both; FARGATE (or the FARGATE / FARGATE_SPOT providers, which every cluster can use) needs a
 * task definition compatible with FARGATE (awsvpc); EC2 takes any (ECS lists EC2 among the `compatibilities`
 * of every task definition); `base` on one provider at most. The sandbox has no Auto Scaling group
 * providers and no external instances: another provider name is "not associated with the cluster",
 * EXTERNAL is refused. Sources: the ECS model (CreateServiceRequest, CapacityProviderStrategyItem:
 * weight 0-1000, base 0-100000) and
 * https://docs.aws.amazon.com/AmazonECS/latest/developerguide/cluster-capacity-providers.html.
 */
export function checkLaunch(input: { launchType?: unknown; capacityProviderStrategy?: unknown }, td: TaskDefRecord): { launchType: string; capacityProviderStrategy?: CapacityProviderItem[] } {
  // The sandbox's `compatibilities` (task-definitions.ts): FARGATE for awsvpc or FARGATE-requiring definitions.
  const fargateOk = ((td.compatibilities as string[] | undefined) ?? []).includes('FARGATE');
  const strategy = input.capacityProviderStrategy as CapacityProviderItem[] | undefined;
  if (input.launchType !== undefined && strategy !== undefined && strategy.length > 0)
    throw invalid('Specifying both a launch type and capacity provider strategy is not supported. Remove one and try again.');
  if (strategy !== undefined && strategy.length > 0) {
    const unknown = strategy.find((p) => !FARGATE_PROVIDERS.has(p.capacityProvider));
    if (unknown)
      throw invalid(`The specified capacity provider strategy cannot contain a capacity provider that is not associated with the cluster (${unknown.capacityProvider}). Associate the capacity provider with the cluster or specify a valid capacity provider and try again.`);
    if (strategy.filter((p) => (p.base ?? 0) > 0).length > 1) throw invalid('Base value can be set for only one capacity provider in a capacity provider strategy.');
    if (!fargateOk) throw invalid('Task definition does not support launch_type FARGATE.');
    return { launchType: 'FARGATE', capacityProviderStrategy: strategy.map((p) => ({ ...p })) };
  }
  const launchType = (input.launchType as string | undefined) ?? 'EC2';
  if (launchType === 'EXTERNAL') throw invalid('The sandbox has no external instances: use launchType FARGATE or EC2.');
  if (launchType === 'FARGATE' && !fargateOk) throw invalid('Task definition does not support launch_type FARGATE.');
  return { launchType };
}

/** A non-negative integer; `dflt` when absent (CreateService: 0), required when there is no default. */
export function desiredCountOf(v: unknown, dflt?: number): number {
  if (v === undefined) {
    if (dflt === undefined) throw invalid('desiredCount must be specified.');
    return dflt;
  }
  if (!Number.isInteger(v) || (v as number) < 0) throw invalid('desiredCount must be a non-negative integer.');
  return v as number;
}
