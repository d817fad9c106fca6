/**
 * Services: CreateService, UpdateService, DescribeServices, DeleteService, ListServices. They change
 * the service record and start deployments (scheduler/deployments.ts); the controller does the rest.
 * UpdateService deploys for a new task definition or forceNewDeployment only (ECS-SEMANTICS §4).
 */
import { AwsError } from '../../context.ts';
import type { Operations } from '../../operations.ts';
import type { ServiceRecord, TaskDefRecord } from '../model.ts';
import { nowSeconds } from '../model.ts';
import { startDeployment } from '../scheduler/deployments.ts';
import { serviceView } from '../views.ts';
import { awsvpcNetworkRefusal, checkUserTags, deploymentControllerRefusal } from './ecs-rules.ts';
import { type ApiDeps, checkTags, findService, findTaskDef, getCluster, getService, invalid, mergeTags, NAME_RE, paginate, withTags } from './common.ts';
import { checkDeploymentConfiguration, checkLaunch, checkLoadBalancers, desiredCountOf, taskDefForService } from './service-input.ts';

/** The service operations. */
export function serviceOperations(deps: ApiDeps): Operations {
  const { store, arns } = deps;
  const st = () => store.get();
  /**
   * Entries naming a target group are checked as ECS checks them: the group exists, a load balancer
   * forwards to it, and the container maps the port. Returns the first target group's URL (its load
   * balancer's DNS name and listener port). Entries without one use the sandbox's own per-service
   * load balancer (a sandbox leniency: ECS requires targetGroupArn or loadBalancerName).
   */
  const checkTargetGroups = (lbs: ServiceRecord['loadBalancers'], td: TaskDefRecord): string | undefined => {
    let url: string | undefined;
    for (const lb of lbs) {
      if (!lb.targetGroupArn) continue;
      if (!deps.elb?.targetGroup(lb.targetGroupArn)) throw invalid(`Unable to find target group ${lb.targetGroupArn}. The target group does not exist.`);
      if (deps.elb.loadBalancersOf(lb.targetGroupArn).length === 0)
        throw invalid(`The target group with targetGroupArn ${lb.targetGroupArn} does not have an associated load balancer.`);
      const c = td.containerDefinitions.find((x) => x.name === lb.containerName);
      if (!c?.portMappings?.some((p) => p.containerPort === lb.containerPort))
        throw invalid(`The container ${lb.containerName} did not have a container port ${lb.containerPort} defined.`);
      url ??= deps.elb.url(lb.targetGroupArn);
    }
    return url;
  };
  return {
    async CreateService(input) {
      const cluster = getCluster(st(), input?.cluster);
      const name = input?.serviceName;
      if (typeof name !== 'string' || !NAME_RE.test(name)) throw invalid('serviceName must be 1-255 letters, numbers, hyphens or underscores.');
      const existing = st().services[`${cluster.name}/${name}`];
      if (existing && existing.status !== 'INACTIVE') throw invalid('Creation of service was not idempotent.');
      const td = taskDefForService(st(), input.taskDefinition);
      const network = awsvpcNetworkRefusal(td.networkMode, input.networkConfiguration);
      if (network) throw invalid(network);
      const desiredCount = desiredCountOf(input.desiredCount, 0);
      const launch = checkLaunch(input, td);
      if (input.schedulingStrategy !== undefined && input.schedulingStrategy !== 'REPLICA') throw invalid('The sandbox supports only the REPLICA scheduling strategy.');
      if (input.deploymentController !== undefined && input.deploymentController?.type !== 'ECS')
        throw invalid('The sandbox supports only the ECS (rolling update) deployment controller.');
      const deploymentConfiguration = checkDeploymentConfiguration(input.deploymentConfiguration);
      const loadBalancers = checkLoadBalancers(input.loadBalancers, td);
      let tags = checkTags(input.tags);
      checkUserTags(tags);
      if (input.healthCheckGracePeriodSeconds !== undefined && (!Number.isInteger(input.healthCheckGracePeriodSeconds) || input.healthCheckGracePeriodSeconds < 0))
        throw invalid('healthCheckGracePeriodSeconds must be a non-negative integer.');
      if (input.healthCheckGracePeriodSeconds !== undefined && loadBalancers.length === 0)
        throw invalid('Health check grace period is only valid for services configured to use load balancers');
      if (input.propagateTags !== undefined && !['TASK_DEFINITION', 'SERVICE', 'NONE'].includes(input.propagateTags))
        throw invalid('propagateTags must be TASK_DEFINITION, SERVICE or NONE.');
      const tgUrl = checkTargetGroups(loadBalancers, td);
      if (tgUrl) tags = mergeTags(tags, [{ key: deps.urlTagKey, value: tgUrl }]);
      const key = `${cluster.name}/${name}`;
      store.update((s) => {
        const svc: ServiceRecord = {
          serviceName: name,
          serviceArn: arns.service(cluster.name, name),
          clusterName: cluster.name,
          clusterArn: cluster.arn,
          status: 'ACTIVE',
          taskDefinition: td.taskDefinitionArn,
          desiredCount,
          launchType: launch.launchType,
          ...(launch.capacityProviderStrategy && { capacityProviderStrategy: launch.capacityProviderStrategy }),
          schedulingStrategy: 'REPLICA',
          deploymentConfiguration,
          loadBalancers,
          networkConfiguration: input.networkConfiguration,
          healthCheckGracePeriodSeconds: input.healthCheckGracePeriodSeconds,
          propagateTags: input.propagateTags,
          enableECSManagedTags: input.enableECSManagedTags ?? false,
          enableExecuteCommand: input.enableExecuteCommand ?? false,
          tags,
          createdAt: nowSeconds(),
          createdBy: `arn:aws:iam::${deps.accountId}:root`,
          deployments: [],
          history: [],
          events: [],
        };
        startDeployment(s, svc, Date.now());
        s.services[key] = svc;
      });
      deps.controller.poke();
      return { service: serviceView(st(), st().services[key], true) };
    },

    UpdateService(input) {
      const cluster = getCluster(st(), input?.cluster);
      const svc = getService(st(), cluster, input?.service);
      if (svc.status !== 'ACTIVE') throw new AwsError('ServiceNotActiveException', 'Service was not ACTIVE.');
      const controller = input.deploymentController?.type;
      if (controller === 'CODE_DEPLOY' || controller === 'EXTERNAL') throw invalid(deploymentControllerRefusal(controller));
      const td = input.taskDefinition !== undefined ? taskDefForService(st(), input.taskDefinition) : undefined;
      const desiredCount = input.desiredCount !== undefined ? desiredCountOf(input.desiredCount) : undefined;
      const dc = input.deploymentConfiguration !== undefined ? checkDeploymentConfiguration(input.deploymentConfiguration, svc.deploymentConfiguration) : undefined;
      const loadBalancers = input.loadBalancers !== undefined ? checkLoadBalancers(input.loadBalancers, td ?? findTaskDef(st(), svc.taskDefinition)!) : undefined;
      const tgUrl = loadBalancers ? checkTargetGroups(loadBalancers, td ?? findTaskDef(st(), svc.taskDefinition)!) : undefined;
      if (input.forceNewDeployment !== undefined && typeof input.forceNewDeployment !== 'boolean') throw invalid('forceNewDeployment must be a boolean.');
      store.update((s) => {
        if (desiredCount !== undefined) svc.desiredCount = desiredCount;
        if (dc) svc.deploymentConfiguration = dc;
        if (loadBalancers) svc.loadBalancers = loadBalancers;
        if (tgUrl) svc.tags = mergeTags(svc.tags, [{ key: deps.urlTagKey, value: tgUrl }]);
        if (input.networkConfiguration !== undefined) svc.networkConfiguration = input.networkConfiguration;
        if (input.healthCheckGracePeriodSeconds !== undefined) svc.healthCheckGracePeriodSeconds = input.healthCheckGracePeriodSeconds;
        if (input.propagateTags !== undefined) svc.propagateTags = input.propagateTags;
        if (input.enableExecuteCommand !== undefined) svc.enableExecuteCommand = input.enableExecuteCommand;
        const changedTd = td !== undefined && td.taskDefinitionArn !== svc.taskDefinition;
        if (td) svc.taskDefinition = td.taskDefinitionArn;
        if (changedTd || input.forceNewDeployment === true || (loadBalancers !== undefined && input.loadBalancers !== undefined)) startDeployment(s, svc, Date.now());
        svc._stalled = false;
      });
      deps.controller.poke();
      return { service: serviceView(st(), svc, false) };
    },

    DescribeServices(input) {
      const cluster = getCluster(st(), input?.cluster);
      const refs = input?.services;
      if (!Array.isArray(refs) || refs.length === 0) throw invalid('services must be a non-empty list.');
      if (refs.length > 10) throw invalid('services can have at most 10 items.');
      const services = [];
      const failures = [];
      for (const ref of refs) {
        const svc = findService(st(), cluster, ref);
        if (svc) services.push(serviceView(st(), svc, withTags(input.include)));
        else failures.push({ arn: String(ref).startsWith('arn:') ? ref : arns.service(cluster.name, String(ref)), reason: 'MISSING' });
      }
      return { services, failures };
    },

    DeleteService(input) {
      const cluster = getCluster(st(), input?.cluster);
      const svc = getService(st(), cluster, input?.service);
      if (svc.status !== 'ACTIVE') throw new AwsError('ServiceNotActiveException', 'Service was not ACTIVE.');
      const controller = input.deploymentController?.type;
      if (controller === 'CODE_DEPLOY' || controller === 'EXTERNAL') throw invalid(deploymentControllerRefusal(controller));
      if (svc.desiredCount > 0 && input.force !== true) throw invalid('The service cannot be stopped while it is scaled above 0.');
      store.update(() => {
        svc.status = 'DRAINING';
        svc.desiredCount = 0;
        svc.deletedAt = nowSeconds();
      });
      deps.controller.poke();
      return { service: serviceView(st(), svc, false) };
    },

    ListServices(input) {
      const cluster = getCluster(st(), input?.cluster);
      const all = Object.values(st().services)
        .filter((s) => s.clusterName === cluster.name && s.status !== 'INACTIVE')
        .filter((s) => input?.launchType === undefined || s.launchType === input.launchType)
        .map((s) => s.serviceArn);
      const { page, nextToken } = paginate(all, input?.maxResults, input?.nextToken, 100, 10);
      return { serviceArns: page, ...(nextToken ? { nextToken } : {}) };
    },
  };
}
