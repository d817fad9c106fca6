/**
 * ECS API handlers (AWS JSON 1.1 bodies in, bodies out). They validate, mutate the persisted state
 * and poke the controller; all task and rollout progress happens in controller.ts.
 */
import { randomUUID } from 'node:crypto';
import { AwsError, type OperationHandler, type StateStore } from '../context.ts';
import type { ClusterRecord, ContainerDef, DeploymentConfiguration, EcsState, ServiceRecord, Tag, TaskDefRecord } from './model.ts';
import { nowSeconds } from './model.ts';
import { rolloutReasons } from './scheduler/messages.ts';
import { type Arns, isLive, serviceDeploymentBrief, serviceDeploymentDetail, serviceView, taskView } from './views.ts';

/** What the handlers need from the controller. */
export interface ControllerPort {
  /** Reconcile soon (after a change). */
  poke(): void;
  /** Begin stopping a task (DEACTIVATING → … → STOPPED). */
  stopTask(taskId: string, stopCode: string, reason: string): void;
  /** A stable free loopback port for a service's load balancer. */
  allocateLbPort(): Promise<number>;
}

export interface ApiDeps {
  store: StateStore<EcsState>;
  arns: Arns;
  accountId: string;
  controller: ControllerPort;
  /** Tag key carrying the sandbox load balancer URL on services with loadBalancers. */
  urlTagKey: string;
}

const invalid = (m: string) => new AwsError('InvalidParameterException', m);
const client = (m: string) => new AwsError('ClientException', m);
const NAME_RE = /^[a-zA-Z0-9_-]{1,255}$/;

function lastSegment(v: string): string {
  return v.startsWith('arn:') ? v.slice(v.lastIndexOf('/') + 1) : v;
}

/** Cluster name from a name or ARN (default `default`). */
function clusterName(v: unknown): string {
  if (v === undefined || v === null || v === '') return 'default';
  if (typeof v !== 'string') throw invalid('cluster must be a string.');
  return v.startsWith('arn:') ? v.slice(v.indexOf(':cluster/') + ':cluster/'.length) : v;
}

function newDeploymentId(state: EcsState): string {
  const n = state.nextDeploymentNumber++;
  return `ecs-svc/${String(Date.now()).padStart(14, '0')}${String(n % 100000).padStart(5, '0')}`;
}

function checkTags(tags: unknown): Tag[] {
  if (tags === undefined) return [];
  if (!Array.isArray(tags)) throw invalid('tags must be a list.');
  for (const t of tags) {
    if (!t || typeof t.key !== 'string' || t.key.length < 1 || t.key.length > 128) throw invalid('Tag keys must be between 1 and 128 characters.');
    if (t.value !== undefined && typeof t.value !== 'string') throw invalid('Tag values must be strings.');
  }
  if (tags.length > 50) throw invalid('A resource can have at most 50 tags.');
  return tags.map((t) => ({ key: t.key, value: t.value ?? '' }));
}

function mergeTags(existing: Tag[], add: Tag[]): Tag[] {
  const out = existing.filter((t) => !add.some((a) => a.key === t.key));
  return [...out, ...add];
}

function paginate<T>(items: T[], maxResults: unknown, nextToken: unknown, max = 100, dflt = 100) {
  let size = dflt;
  if (maxResults !== undefined) {
    if (!Number.isInteger(maxResults) || (maxResults as number) < 1 || (maxResults as number) > max)
      throw invalid(`maxResults must be between 1 and ${max}.`);
    size = maxResults as number;
  }
  let start = 0;
  if (nextToken !== undefined && nextToken !== null) {
    const decoded = typeof nextToken === 'string' ? Number(Buffer.from(nextToken, 'base64url').toString()) : NaN;
    if (!Number.isInteger(decoded) || decoded < 0) throw invalid('Invalid nextToken.');
    start = decoded;
  }
  const page = items.slice(start, start + size);
  const next = start + size < items.length ? Buffer.from(String(start + size)).toString('base64url') : undefined;
  return { page, nextToken: next };
}

function validateHealthCheck(c: ContainerDef) {
  const hc = c.healthCheck;
  if (hc === undefined) return;
  if (!Array.isArray(hc.command) || hc.command.length === 0 || !hc.command.every((x) => typeof x === 'string'))
    throw client(`Container '${c.name}': healthCheck.command must be a non-empty list of strings.`);
  if (!['CMD', 'CMD-SHELL', 'NONE'].includes(hc.command[0]))
    throw client(`Container '${c.name}': healthCheck.command must start with CMD or CMD-SHELL.`);
  const ranges: [keyof typeof hc, number, number][] = [
    ['interval', 5, 300],
    ['timeout', 2, 60],
    ['retries', 1, 10],
    ['startPeriod', 0, 300],
  ];
  for (const [field, lo, hi] of ranges) {
    const v = hc[field];
    if (v === undefined) continue;
    if (!Number.isInteger(v) || (v as number) < lo || (v as number) > hi)
      throw client(`Container '${c.name}': healthCheck.${field} must be an integer between ${lo} and ${hi}.`);
  }
}

export function createHandlers(deps: ApiDeps): Record<string, OperationHandler> {
  const { store, arns } = deps;
  const st = () => store.get();

  function getCluster(v: unknown): ClusterRecord {
    const name = clusterName(v);
    const c = st().clusters[name];
    if (!c || c.status !== 'ACTIVE') throw new AwsError('ClusterNotFoundException', 'Cluster not found.');
    return c;
  }

  function findService(cluster: ClusterRecord, ref: unknown): ServiceRecord | undefined {
    if (typeof ref !== 'string' || ref === '') throw invalid('service must be specified.');
    return st().services[`${cluster.name}/${lastSegment(ref)}`];
  }

  function getService(cluster: ClusterRecord, ref: unknown): ServiceRecord {
    const svc = findService(cluster, ref);
    if (!svc) throw new AwsError('ServiceNotFoundException', 'Service not found.');
    return svc;
  }

  /** `family`, `family:rev` or an ARN; a bare family means the latest ACTIVE revision. */
  function findTaskDef(ref: unknown): TaskDefRecord | undefined {
    if (typeof ref !== 'string' || ref === '') return undefined;
    const tail = ref.startsWith('arn:') ? ref.slice(ref.indexOf(':task-definition/') + ':task-definition/'.length) : ref;
    const [family, rev] = tail.split(':');
    const revisions = st().taskDefinitions[family];
    if (!revisions) return undefined;
    if (rev === undefined) return [...revisions].reverse().find((r) => r.status === 'ACTIVE');
    const n = Number(rev);
    return Number.isInteger(n) ? revisions[n - 1] : undefined;
  }

  function taskDefForService(ref: unknown): TaskDefRecord {
    if (typeof ref !== 'string' || ref === '') throw invalid('taskDefinition must be specified.');
    const td = findTaskDef(ref);
    if (!td) throw client('Unable to describe task definition.');
    if (td.status !== 'ACTIVE') throw client(`TaskDefinition is inactive (${td.taskDefinitionArn}).`);
    return td;
  }

  function checkDeploymentConfiguration(input: any, base?: DeploymentConfiguration): DeploymentConfiguration {
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

  function checkLoadBalancers(lbs: unknown, td: TaskDefRecord) {
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

  function desiredCountOf(v: unknown, dflt?: number): number {
    if (v === undefined) {
      if (dflt === undefined) throw invalid('desiredCount must be specified.');
      return dflt;
    }
    if (!Number.isInteger(v) || (v as number) < 0) throw invalid('desiredCount must be a non-negative integer.');
    return v as number;
  }

  /** Starts a new PRIMARY deployment of the service's current task definition. */
  function startDeployment(state: EcsState, svc: ServiceRecord) {
    const now = nowSeconds();
    const sources = svc.deployments.map((d) => d.id);
    for (const d of svc.deployments) {
      if (d.status === 'PRIMARY') {
        d.status = 'ACTIVE';
        d.updatedAt = now;
        if (d.sdStatus === 'PENDING' || d.sdStatus === 'IN_PROGRESS' || d.sdStatus === 'ROLLBACK_IN_PROGRESS') {
          d.sdStatus = 'STOPPED';
          d.sdStatusReason = 'Superseded by a newer service deployment.';
          d.finishedAt = now;
        }
      }
    }
    const id = newDeploymentId(state);
    svc.deployments.unshift({
      id,
      status: 'PRIMARY',
      taskDefinition: svc.taskDefinition,
      createdAt: now,
      updatedAt: now,
      rolloutState: 'IN_PROGRESS',
      rolloutStateReason: rolloutReasons.inProgress(id),
      failedTasks: 0,
      sdStatus: 'PENDING',
      sources,
    });
    svc._stalled = false;
  }

  const handlers: Record<string, OperationHandler> = {
    CreateCluster(input) {
      const name = input?.clusterName ?? 'default';
      if (typeof name !== 'string' || !NAME_RE.test(name)) throw invalid('Cluster names can only contain letters, numbers, hyphens and underscores (1-255).');
      const tags = checkTags(input?.tags);
      store.update((s) => {
        const existing = s.clusters[name];
        if (existing && existing.status === 'ACTIVE') return;
        s.clusters[name] = { name, arn: arns.cluster(name), status: 'ACTIVE', tags, settings: input?.settings, createdAt: nowSeconds() };
      });
      return { cluster: clusterView(st().clusters[name], input?.include) };
    },

    DescribeClusters(input) {
      const refs: unknown[] = input?.clusters ?? ['default'];
      if (!Array.isArray(refs) || refs.length > 100) throw invalid('clusters must be a list of at most 100.');
      const clusters = [];
      const failures = [];
      for (const ref of refs) {
        const c = st().clusters[clusterName(ref)];
        if (c && c.status === 'ACTIVE') clusters.push(clusterView(c, input?.include));
        else failures.push({ arn: typeof ref === 'string' && ref.startsWith('arn:') ? ref : arns.cluster(String(ref)), reason: 'MISSING' });
      }
      return { clusters, failures };
    },

    ListClusters(input) {
      const all = Object.values(st().clusters).filter((c) => c.status === 'ACTIVE').map((c) => c.arn);
      const { page, nextToken } = paginate(all, input?.maxResults, input?.nextToken);
      return { clusterArns: page, ...(nextToken ? { nextToken } : {}) };
    },

    RegisterTaskDefinition(input) {
      const family = input?.family;
      if (typeof family !== 'string' || family === '') throw client('Family must be specified.');
      if (!NAME_RE.test(family)) throw client('Family contains invalid characters (allowed: letters, numbers, hyphens, underscores; up to 255).');
      const defs = input.containerDefinitions;
      if (!Array.isArray(defs) || defs.length === 0) throw client('Container list cannot be empty.');
      const names = new Set<string>();
      for (const c of defs as ContainerDef[]) {
        if (!c || typeof c.name !== 'string' || !NAME_RE.test(c.name)) throw client('Container.name should not be null or empty and may contain only letters, numbers, hyphens and underscores.');
        if (names.has(c.name)) throw client(`Duplicate container name '${c.name}'.`);
        names.add(c.name);
        if (typeof c.image !== 'string' || c.image === '') throw client(`Container.image should not be null or empty (container '${c.name}').`);
        validateHealthCheck(c);
        if (c.environment !== undefined && (!Array.isArray(c.environment) || c.environment.some((e) => typeof e?.name !== 'string')))
          throw client(`Container '${c.name}': environment must be a list of {name, value}.`);
      }
      if (!(defs as ContainerDef[]).some((c) => c.essential !== false)) throw client('Task definition must have at least one essential container.');
      const tags = checkTags(input.tags);
      const { tags: _omit, ...rest } = input;
      const networkMode = rest.networkMode;
      const containerDefinitions = (defs as ContainerDef[]).map((c) => ({
        cpu: 0,
        environment: [],
        mountPoints: [],
        volumesFrom: [],
        ...c,
        essential: c.essential ?? true,
        portMappings: (c.portMappings ?? []).map((p) => ({
          ...p,
          ...(networkMode === 'awsvpc' && p.containerPort !== undefined ? { hostPort: p.hostPort ?? p.containerPort } : {}),
          protocol: p.protocol ?? 'tcp',
        })),
      }));
      let record!: TaskDefRecord;
      store.update((s) => {
        const revisions = (s.taskDefinitions[family] ??= []);
        const revision = revisions.length + 1;
        const fargate = (rest.requiresCompatibilities ?? []).includes('FARGATE') || networkMode === 'awsvpc';
        record = {
          ...rest,
          containerDefinitions,
          taskDefinitionArn: arns.taskDefinition(family, revision),
          family,
          revision,
          volumes: rest.volumes ?? [],
          status: 'ACTIVE',
          requiresAttributes: [{ name: 'com.amazonaws.ecs.capability.docker-remote-api.1.18' }],
          placementConstraints: rest.placementConstraints ?? [],
          compatibilities: fargate ? ['EC2', 'FARGATE'] : ['EC2'],
          registeredAt: nowSeconds(),
          registeredBy: `arn:aws:iam::${deps.accountId}:root`,
        };
        revisions.push(record);
        s.taskDefinitionTags[record.taskDefinitionArn] = tags;
      });
      return { taskDefinition: record, tags };
    },

    DescribeTaskDefinition(input) {
      const td = findTaskDef(input?.taskDefinition);
      if (typeof input?.taskDefinition !== 'string') throw client('taskDefinition must be specified.');
      if (!td) throw client('Unable to describe task definition.');
      const withTags = Array.isArray(input.include) && input.include.includes('TAGS');
      return { taskDefinition: td, ...(withTags ? { tags: st().taskDefinitionTags[td.taskDefinitionArn] ?? [] } : {}) };
    },

    ListTaskDefinitions(input) {
      const status = input?.status ?? 'ACTIVE';
      if (!['ACTIVE', 'INACTIVE', 'DELETE_IN_PROGRESS'].includes(status)) throw invalid('status must be ACTIVE, INACTIVE or DELETE_IN_PROGRESS.');
      const sort = input?.sort ?? 'ASC';
      if (sort !== 'ASC' && sort !== 'DESC') throw invalid('sort must be ASC or DESC.');
      const prefix: string | undefined = input?.familyPrefix;
      let all = Object.values(st().taskDefinitions)
        .flat()
        .filter((td) => td.status === status && (!prefix || td.family.startsWith(prefix)))
        .sort((a, b) => a.family.localeCompare(b.family) || a.revision - b.revision)
        .map((td) => td.taskDefinitionArn);
      if (sort === 'DESC') all = all.reverse();
      const { page, nextToken } = paginate(all, input?.maxResults, input?.nextToken);
      return { taskDefinitionArns: page, ...(nextToken ? { nextToken } : {}) };
    },

    ListTaskDefinitionFamilies(input) {
      const prefix: string | undefined = input?.familyPrefix;
      const all = Object.keys(st().taskDefinitions)
        .filter((f) => !prefix || f.startsWith(prefix))
        .sort();
      const { page, nextToken } = paginate(all, input?.maxResults, input?.nextToken);
      return { families: page, ...(nextToken ? { nextToken } : {}) };
    },

    DeregisterTaskDefinition(input) {
      const ref = input?.taskDefinition;
      if (typeof ref !== 'string' || !ref.includes(':')) throw client('taskDefinition must be family:revision or an ARN.');
      const td = findTaskDef(ref);
      if (!td) throw client('Unable to describe task definition.');
      store.update(() => {
        td.status = 'INACTIVE';
        td.deregisteredAt = nowSeconds();
      });
      return { taskDefinition: td };
    },

    async CreateService(input) {
      const cluster = getCluster(input?.cluster);
      const name = input?.serviceName;
      if (typeof name !== 'string' || !NAME_RE.test(name)) throw invalid('serviceName must be 1-255 letters, numbers, hyphens or underscores.');
      const existing = st().services[`${cluster.name}/${name}`];
      if (existing && existing.status !== 'INACTIVE') throw invalid('Creation of service was not idempotent.');
      const td = taskDefForService(input.taskDefinition);
      const desiredCount = desiredCountOf(input.desiredCount, 0);
      if (input.schedulingStrategy !== undefined && input.schedulingStrategy !== 'REPLICA') throw invalid('The sandbox supports only the REPLICA scheduling strategy.');
      if (input.deploymentController !== undefined && input.deploymentController?.type !== 'ECS')
        throw invalid('The sandbox supports only the ECS (rolling update) deployment controller.');
      const deploymentConfiguration = checkDeploymentConfiguration(input.deploymentConfiguration);
      const loadBalancers = checkLoadBalancers(input.loadBalancers, td);
      let tags = checkTags(input.tags);
      if (input.healthCheckGracePeriodSeconds !== undefined && (!Number.isInteger(input.healthCheckGracePeriodSeconds) || input.healthCheckGracePeriodSeconds < 0))
        throw invalid('healthCheckGracePeriodSeconds must be a non-negative integer.');
      if (input.healthCheckGracePeriodSeconds !== undefined && loadBalancers.length === 0)
        throw invalid('Health check grace period is only valid for services configured to use load balancers');
      if (input.propagateTags !== undefined && !['TASK_DEFINITION', 'SERVICE', 'NONE'].includes(input.propagateTags))
        throw invalid('propagateTags must be TASK_DEFINITION, SERVICE or NONE.');
      const lbPort = loadBalancers.length ? await deps.controller.allocateLbPort() : undefined;
      if (lbPort !== undefined) tags = mergeTags(tags, [{ key: deps.urlTagKey, value: `http://127.0.0.1:${lbPort}` }]);
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
          launchType: input.launchType ?? 'EC2',
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
          lbPort,
        };
        startDeployment(s, svc);
        s.services[key] = svc;
      });
      deps.controller.poke();
      return { service: serviceView(st(), st().services[key], true) };
    },

    UpdateService(input) {
      const cluster = getCluster(input?.cluster);
      const svc = getService(cluster, input?.service);
      if (svc.status !== 'ACTIVE') throw new AwsError('ServiceNotActiveException', 'Service was not ACTIVE.');
      const td = input.taskDefinition !== undefined ? taskDefForService(input.taskDefinition) : undefined;
      const desiredCount = input.desiredCount !== undefined ? desiredCountOf(input.desiredCount) : undefined;
      const dc = input.deploymentConfiguration !== undefined ? checkDeploymentConfiguration(input.deploymentConfiguration, svc.deploymentConfiguration) : undefined;
      const loadBalancers = input.loadBalancers !== undefined ? checkLoadBalancers(input.loadBalancers, td ?? findTaskDef(svc.taskDefinition)!) : undefined;
      if (loadBalancers && loadBalancers.length > 0 && svc.lbPort === undefined)
        throw invalid('The sandbox cannot add a load balancer to a service created without one; recreate the service.');
      if (input.forceNewDeployment !== undefined && typeof input.forceNewDeployment !== 'boolean') throw invalid('forceNewDeployment must be a boolean.');
      store.update((s) => {
        if (desiredCount !== undefined) svc.desiredCount = desiredCount;
        if (dc) svc.deploymentConfiguration = dc;
        if (loadBalancers) svc.loadBalancers = loadBalancers;
        if (input.networkConfiguration !== undefined) svc.networkConfiguration = input.networkConfiguration;
        if (input.healthCheckGracePeriodSeconds !== undefined) svc.healthCheckGracePeriodSeconds = input.healthCheckGracePeriodSeconds;
        if (input.propagateTags !== undefined) svc.propagateTags = input.propagateTags;
        if (input.enableExecuteCommand !== undefined) svc.enableExecuteCommand = input.enableExecuteCommand;
        const changedTd = td !== undefined && td.taskDefinitionArn !== svc.taskDefinition;
        if (td) svc.taskDefinition = td.taskDefinitionArn;
        if (changedTd || input.forceNewDeployment === true || (loadBalancers !== undefined && input.loadBalancers !== undefined)) startDeployment(s, svc);
        svc._stalled = false;
      });
      deps.controller.poke();
      return { service: serviceView(st(), svc, false) };
    },

    DescribeServices(input) {
      const cluster = getCluster(input?.cluster);
      const refs = input?.services;
      if (!Array.isArray(refs) || refs.length === 0) throw invalid('services must be a non-empty list.');
      if (refs.length > 10) throw invalid('services can have at most 10 items.');
      const withTags = Array.isArray(input.include) && input.include.includes('TAGS');
      const services = [];
      const failures = [];
      for (const ref of refs) {
        const svc = findService(cluster, ref);
        if (svc) services.push(serviceView(st(), svc, withTags));
        else failures.push({ arn: String(ref).startsWith('arn:') ? ref : arns.service(cluster.name, String(ref)), reason: 'MISSING' });
      }
      return { services, failures };
    },

    DeleteService(input) {
      const cluster = getCluster(input?.cluster);
      const svc = getService(cluster, input?.service);
      if (svc.status !== 'ACTIVE') throw new AwsError('ServiceNotActiveException', 'Service was not ACTIVE.');
      if (svc.desiredCount > 0 && input.force !== true)
        throw invalid('The service cannot be stopped while it is scaled above 0.');
      store.update(() => {
        svc.status = 'DRAINING';
        svc.desiredCount = 0;
        svc.deletedAt = nowSeconds();
      });
      deps.controller.poke();
      return { service: serviceView(st(), svc, false) };
    },

    ListServices(input) {
      const cluster = getCluster(input?.cluster);
      const all = Object.values(st().services)
        .filter((s) => s.clusterName === cluster.name && s.status !== 'INACTIVE')
        .filter((s) => input?.launchType === undefined || s.launchType === input.launchType)
        .map((s) => s.serviceArn);
      const { page, nextToken } = paginate(all, input?.maxResults, input?.nextToken, 100, 10);
      return { serviceArns: page, ...(nextToken ? { nextToken } : {}) };
    },

    ListTasks(input) {
      const cluster = getCluster(input?.cluster);
      const desired = input?.desiredStatus ?? 'RUNNING';
      if (!['RUNNING', 'PENDING', 'STOPPED'].includes(desired)) throw invalid('desiredStatus must be RUNNING, PENDING or STOPPED.');
      if (input?.startedBy !== undefined && (input.serviceName !== undefined || input.family !== undefined))
        throw invalid('startedBy cannot be combined with serviceName or family.');
      let serviceKey: string | undefined;
      if (input?.serviceName !== undefined) serviceKey = `${cluster.name}/${getService(cluster, input.serviceName).serviceName}`;
      const tasks = Object.values(st().tasks)
        .filter((t) => t.clusterName === cluster.name)
        .filter((t) => desired !== 'PENDING' && t.desiredStatus === desired)
        .filter((t) => !serviceKey || t._service === serviceKey)
        .filter((t) => !input?.family || t.taskDefinitionArn.includes(`:task-definition/${input.family}:`))
        .filter((t) => !input?.startedBy || t.startedBy === input.startedBy)
        .filter((t) => !input?.launchType || t.launchType === input.launchType)
        .sort((a, b) => a.createdAt - b.createdAt)
        .map((t) => t.taskArn);
      const { page, nextToken } = paginate(tasks, input?.maxResults, input?.nextToken);
      return { taskArns: page, ...(nextToken ? { nextToken } : {}) };
    },

    DescribeTasks(input) {
      const cluster = getCluster(input?.cluster);
      const refs = input?.tasks;
      if (!Array.isArray(refs) || refs.length === 0) throw invalid('tasks must be a non-empty list.');
      if (refs.length > 100) throw invalid('tasks can have at most 100 items.');
      const withTags = Array.isArray(input.include) && input.include.includes('TAGS');
      const tasks = [];
      const failures = [];
      for (const ref of refs) {
        const t = st().tasks[lastSegment(String(ref))];
        if (t && t.clusterName === cluster.name) tasks.push(taskView(t, withTags));
        else failures.push({ arn: String(ref).startsWith('arn:') ? ref : arns.task(cluster.name, String(ref)), reason: 'MISSING' });
      }
      return { tasks, failures };
    },

    StopTask(input) {
      const cluster = getCluster(input?.cluster);
      if (typeof input?.task !== 'string') throw invalid('task must be specified.');
      const t = st().tasks[lastSegment(input.task)];
      if (!t || t.clusterName !== cluster.name) throw invalid('The referenced task was not found.');
      if (isLive(t)) deps.controller.stopTask(t.id, 'UserInitiated', typeof input.reason === 'string' && input.reason ? input.reason : 'Task stopped by user');
      return { task: taskView(st().tasks[t.id], false) };
    },

    TagResource(input) {
      const tags = checkTags(input?.tags);
      const target = resolveTaggable(input?.resourceArn);
      store.update(() => target.set(mergeTags(target.get(), tags)));
      return {};
    },

    UntagResource(input) {
      if (!Array.isArray(input?.tagKeys)) throw invalid('tagKeys must be a list.');
      const target = resolveTaggable(input?.resourceArn);
      store.update(() => target.set(target.get().filter((t) => !input.tagKeys.includes(t.key))));
      return {};
    },

    ListTagsForResource(input) {
      return { tags: resolveTaggable(input?.resourceArn).get() };
    },

    ListServiceDeployments(input) {
      const cluster = getCluster(input?.cluster);
      const svc = getService(cluster, input?.service);
      const statuses: unknown = input.status;
      if (statuses !== undefined && !Array.isArray(statuses)) throw invalid('status must be a list.');
      const before = input.createdAt?.before;
      const after = input.createdAt?.after;
      const all = [...svc.deployments, ...svc.history]
        .filter((d) => !statuses || (statuses as string[]).includes(d.sdStatus))
        .filter((d) => before === undefined || d.createdAt < before)
        .filter((d) => after === undefined || d.createdAt > after)
        .sort((a, b) => b.createdAt - a.createdAt)
        .map((d) => serviceDeploymentBrief(svc, d, arns));
      const { page, nextToken } = paginate(all, input.maxResults, input.nextToken, 100, 20);
      return { serviceDeployments: page, ...(nextToken ? { nextToken } : {}) };
    },

    DescribeServiceDeployments(input) {
      const refs = input?.serviceDeploymentArns;
      if (!Array.isArray(refs) || refs.length === 0 || refs.length > 20) throw invalid('serviceDeploymentArns must list 1 to 20 ARNs.');
      const serviceDeployments = [];
      const failures = [];
      for (const ref of refs) {
        const m = /:service-deployment\/([^/]+)\/([^/]+)\/(\d+)$/.exec(String(ref));
        const svc = m ? st().services[`${m[1]}/${m[2]}`] : undefined;
        const d = svc && [...svc.deployments, ...svc.history].find((x) => x.id === `ecs-svc/${m![3]}`);
        if (svc && d) serviceDeployments.push(serviceDeploymentDetail(st(), svc, d, arns));
        else failures.push({ arn: ref, reason: 'MISSING' });
      }
      return { serviceDeployments, failures };
    },
  };

  function clusterView(c: ClusterRecord, include: unknown) {
    const tasks = Object.values(st().tasks).filter((t) => t.clusterName === c.name && isLive(t));
    return {
      clusterArn: c.arn,
      clusterName: c.name,
      status: c.status,
      registeredContainerInstancesCount: 0,
      runningTasksCount: tasks.filter((t) => t.lastStatus === 'RUNNING').length,
      pendingTasksCount: tasks.filter((t) => t.lastStatus !== 'RUNNING').length,
      activeServicesCount: Object.values(st().services).filter((s) => s.clusterName === c.name && s.status === 'ACTIVE').length,
      statistics: [],
      ...(c.settings ? { settings: c.settings } : {}),
      ...(Array.isArray(include) && include.includes('TAGS') ? { tags: c.tags } : {}),
    };
  }

  function resolveTaggable(arn: unknown): { get(): Tag[]; set(tags: Tag[]): void } {
    if (typeof arn !== 'string' || !arn.startsWith('arn:aws:ecs:')) throw invalid('resourceArn must be an ECS ARN.');
    const rest = arn.split(':').slice(5).join(':');
    const [kind, ...parts] = rest.split('/');
    const s = st();
    if (kind === 'cluster') {
      const c = s.clusters[parts[0]];
      if (!c || c.status !== 'ACTIVE') throw new AwsError('ClusterNotFoundException', 'Cluster not found.');
      return { get: () => c.tags, set: (t) => (c.tags = t) };
    }
    if (kind === 'service' && parts.length === 2) {
      if (!s.clusters[parts[0]]) throw new AwsError('ClusterNotFoundException', 'Cluster not found.');
      const svc = s.services[`${parts[0]}/${parts[1]}`];
      if (!svc) throw new AwsError('ServiceNotFoundException', 'Service not found.');
      return { get: () => svc.tags, set: (t) => (svc.tags = t) };
    }
    if (kind === 'task-definition') {
      const td = findTaskDef(arn);
      if (!td || !arn.includes(':task-definition/') || !/:\d+$/.test(arn)) throw client('Unable to describe task definition.');
      return { get: () => s.taskDefinitionTags[td.taskDefinitionArn] ?? [], set: (t) => (s.taskDefinitionTags[td.taskDefinitionArn] = t) };
    }
    if (kind === 'task' && parts.length === 2) {
      const t = s.tasks[parts[1]];
      if (!t) throw invalid('The specified task was not found.');
      return { get: () => t.tags, set: (tags) => (t.tags = tags) };
    }
    throw invalid(`Unsupported resource ARN ${arn}.`);
  }

  return handlers;
}

export const newEventId = () => randomUUID();
