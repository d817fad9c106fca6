/** ARNs and the wire shapes of services, deployments and tasks, derived from the persisted records. */
import type { DeploymentRecord, EcsState, ServiceRecord, TaskRecord } from './model.ts';
import { circuitBreakerThreshold } from './scheduler/circuit-breaker.ts';

export interface Arns {
  cluster(name: string): string;
  service(cluster: string, name: string): string;
  taskDefinition(family: string, revision: number): string;
  task(cluster: string, id: string): string;
  container(cluster: string, taskId: string, name: string): string;
  serviceDeployment(cluster: string, service: string, deploymentId: string): string;
  serviceRevision(cluster: string, service: string, deploymentId: string): string;
}

export function arns(region: string, account: string): Arns {
  const p = `arn:aws:ecs:${region}:${account}`;
  const short = (d: string) => d.replace(/^ecs-svc\//, '');
  return {
    cluster: (name) => `${p}:cluster/${name}`,
    service: (cluster, name) => `${p}:service/${cluster}/${name}`,
    taskDefinition: (family, revision) => `${p}:task-definition/${family}:${revision}`,
    task: (cluster, id) => `${p}:task/${cluster}/${id}`,
    container: (cluster, taskId, name) => `${p}:container/${cluster}/${taskId}/${name}`,
    serviceDeployment: (cluster, service, d) => `${p}:service-deployment/${cluster}/${service}/${short(d)}`,
    serviceRevision: (cluster, service, d) => `${p}:service-revision/${cluster}/${service}/${short(d)}`,
  };
}

/** Live = desired RUNNING and not yet STOPPED. */
export const isLive = (t: TaskRecord) => t.desiredStatus === 'RUNNING' && t.lastStatus !== 'STOPPED';
export const isPendingStatus = (t: TaskRecord) => ['PROVISIONING', 'PENDING', 'ACTIVATING'].includes(t.lastStatus);

export function serviceTasks(state: EcsState, key: string): TaskRecord[] {
  return Object.values(state.tasks).filter((t) => t._service === key);
}

function deploymentView(state: EcsState, svc: ServiceRecord, d: DeploymentRecord) {
  const key = `${svc.clusterName}/${svc.serviceName}`;
  const tasks = serviceTasks(state, key).filter((t) => t.startedBy === d.id && isLive(t));
  return {
    id: d.id,
    status: d.status,
    taskDefinition: d.taskDefinition,
    desiredCount: d.status === 'PRIMARY' ? svc.desiredCount : tasks.length,
    pendingCount: tasks.filter(isPendingStatus).length,
    runningCount: tasks.filter((t) => t.lastStatus === 'RUNNING').length,
    failedTasks: d.failedTasks,
    createdAt: d.createdAt,
    updatedAt: d.updatedAt,
    launchType: svc.launchType,
    ...(svc.networkConfiguration ? { networkConfiguration: svc.networkConfiguration } : {}),
    rolloutState: d.rolloutState,
    rolloutStateReason: d.rolloutStateReason,
  };
}

export function serviceView(state: EcsState, svc: ServiceRecord, withTags: boolean) {
  const key = `${svc.clusterName}/${svc.serviceName}`;
  const live = serviceTasks(state, key).filter(isLive);
  return {
    serviceArn: svc.serviceArn,
    serviceName: svc.serviceName,
    clusterArn: svc.clusterArn,
    loadBalancers: svc.loadBalancers,
    serviceRegistries: [],
    status: svc.status,
    desiredCount: svc.desiredCount,
    runningCount: live.filter((t) => t.lastStatus === 'RUNNING').length,
    pendingCount: live.filter(isPendingStatus).length,
    // With a capacity provider strategy, DescribeServices shows it instead of a launch type.
    ...(svc.capacityProviderStrategy ? { capacityProviderStrategy: svc.capacityProviderStrategy } : { launchType: svc.launchType }),
    taskDefinition: svc.taskDefinition,
    deploymentConfiguration: svc.deploymentConfiguration,
    deployments: svc.deployments.map((d) => deploymentView(state, svc, d)),
    events: svc.events,
    createdAt: svc.createdAt,
    placementConstraints: [],
    placementStrategy: [],
    ...(svc.networkConfiguration ? { networkConfiguration: svc.networkConfiguration } : {}),
    ...(svc.healthCheckGracePeriodSeconds !== undefined ? { healthCheckGracePeriodSeconds: svc.healthCheckGracePeriodSeconds } : {}),
    schedulingStrategy: svc.schedulingStrategy,
    deploymentController: { type: 'ECS' },
    createdBy: svc.createdBy,
    enableECSManagedTags: svc.enableECSManagedTags,
    propagateTags: svc.propagateTags ?? 'NONE',
    enableExecuteCommand: svc.enableExecuteCommand,
    ...(withTags ? { tags: svc.tags } : {}),
  };
}

export function taskView(t: TaskRecord, withTags: boolean) {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(t)) if (!k.startsWith('_') && k !== 'id' && k !== 'clusterName' && k !== 'tags') out[k] = v;
  out.containers = t.containers.map((c) => {
    const o: Record<string, unknown> = { taskArn: t.taskArn };
    for (const [k, v] of Object.entries(c)) if (!k.startsWith('_')) o[k] = v;
    if (c._dockerId) o.runtimeId = c._dockerId;
    if (t._port) o.networkBindings = [{ bindIP: '127.0.0.1', hostPort: t._port, protocol: 'tcp' }];
    return o;
  });
  out.version = 1;
  if (withTags) out.tags = t.tags;
  return out;
}

export function serviceDeploymentBrief(svc: ServiceRecord, d: DeploymentRecord, a: Arns) {
  return {
    serviceDeploymentArn: a.serviceDeployment(svc.clusterName, svc.serviceName, d.id),
    serviceArn: svc.serviceArn,
    clusterArn: svc.clusterArn,
    createdAt: d.createdAt,
    ...(d.startedAt !== undefined ? { startedAt: d.startedAt } : {}),
    ...(d.finishedAt !== undefined ? { finishedAt: d.finishedAt } : {}),
    targetServiceRevisionArn: a.serviceRevision(svc.clusterName, svc.serviceName, d.id),
    status: d.sdStatus,
    ...(d.sdStatusReason ? { statusReason: d.sdStatusReason } : {}),
  };
}

export function serviceDeploymentDetail(state: EcsState, svc: ServiceRecord, d: DeploymentRecord, a: Arns) {
  const key = `${svc.clusterName}/${svc.serviceName}`;
  const tasks = serviceTasks(state, key).filter((t) => t.startedBy === d.id && isLive(t));
  const all = [...svc.deployments, ...svc.history];
  const cb = svc.deploymentConfiguration.deploymentCircuitBreaker;
  const done = ['SUCCESSFUL', 'STOPPED', 'ROLLBACK_SUCCESSFUL', 'ROLLBACK_FAILED'].includes(d.sdStatus);
  return {
    ...serviceDeploymentBrief(svc, d, a),
    ...(d.stoppedAt !== undefined ? { stoppedAt: d.stoppedAt } : {}),
    updatedAt: d.updatedAt,
    sourceServiceRevisions: d.sources
      .map((id) => all.find((x) => x.id === id))
      .filter((x): x is DeploymentRecord => !!x)
      .map((x) => ({
        arn: a.serviceRevision(svc.clusterName, svc.serviceName, x.id),
        requestedTaskCount: 0,
        runningTaskCount: serviceTasks(state, key).filter((t) => t.startedBy === x.id && t.lastStatus === 'RUNNING').length,
        pendingTaskCount: 0,
      })),
    targetServiceRevision: {
      arn: a.serviceRevision(svc.clusterName, svc.serviceName, d.id),
      requestedTaskCount: d.status === 'PRIMARY' ? svc.desiredCount : 0,
      runningTaskCount: tasks.filter((t) => t.lastStatus === 'RUNNING').length,
      pendingTaskCount: tasks.filter(isPendingStatus).length,
    },
    deploymentConfiguration: svc.deploymentConfiguration,
    ...(d.rollback ? { rollback: d.rollback } : {}),
    deploymentCircuitBreaker: {
      status: !cb.enable ? 'DISABLED' : d.circuitBreakerTriggered ? 'TRIGGERED' : done ? 'MONITORING_COMPLETE' : 'MONITORING',
      failureCount: d.failedTasks,
      threshold: circuitBreakerThreshold(svc.desiredCount, cb),
    },
    lifecycleStage: done ? 'CLEAN_UP' : 'SCALE_UP',
  };
}
