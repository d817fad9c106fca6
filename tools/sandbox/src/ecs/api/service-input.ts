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
    return { ...lb };
  });
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
