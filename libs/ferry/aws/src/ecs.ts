/**
 * The ECS port: exactly the ECS calls ferry's deploy half makes, as a narrow interface over the
 * SDK's ECSClient. The deploy libs depend on this interface only, so tests and the sandbox talk
 * through the same shape, and every call site reads as what it asks ECS for.
 */
import {
  CreateClusterCommand,
  CreateServiceCommand,
  DeregisterTaskDefinitionCommand,
  DescribeClustersCommand,
  DescribeServiceDeploymentsCommand,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  ListServiceDeploymentsCommand,
  ListTaskDefinitionsCommand,
  ListTagsForResourceCommand,
  ListTasksCommand,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
  StopTaskCommand,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateServiceCommand,
  type Cluster,
  type CreateServiceCommandInput,
  type Deployment,
  type ECSClient,
  type Failure,
  type RegisterTaskDefinitionCommandInput,
  type RunTaskCommandInput,
  type Service,
  type ServiceDeployment,
  type ServiceDeploymentBrief,
  type Tag,
  type Task,
  type TaskDefinition,
  type UpdateServiceCommandInput,
} from '@aws-sdk/client-ecs';
import { attempt } from './errors.ts';

export type {
  Cluster as EcsCluster,
  CreateServiceCommandInput as CreateServiceInput,
  Deployment as EcsDeployment,
  RegisterTaskDefinitionCommandInput as RegisterTaskDefinitionInput,
  RunTaskCommandInput as RunTaskInput,
  Service as EcsService,
  ServiceDeployment as EcsServiceDeployment,
  ServiceDeploymentBrief as EcsServiceDeploymentBrief,
  Tag as EcsTag,
  Task as EcsTask,
  TaskDefinition as EcsTaskDefinition,
  UpdateServiceCommandInput as UpdateServiceInput,
};

/** A task definition with its top-level tags (DescribeTaskDefinition with include TAGS). */
export interface TaskDefinitionWithTags {
  taskDefinition: TaskDefinition;
  tags: Tag[];
}

/** Which page of ListTaskDefinitions to read (EcsPort.listTaskDefinitionPage). */
export interface TaskDefinitionPageRequest {
  /** 1–100 (ECS model, ListTaskDefinitionsRequest.maxResults). */
  maxResults: number;
  nextToken?: string;
}

/** One page of ListTaskDefinitions: revision ARNs newest first, and the token of the next page. */
export interface TaskDefinitionPage {
  arns: string[];
  nextToken?: string;
}

/**
 * How fresh a read must be. Without it (or with 0) the call goes to ECS. With `maxAgeMs`, an answer
 * the run's cache of live ECS state holds that is no older, and that no write of this run made
 * stale, may be returned instead (live-ecs.ts).
 */
export interface ReadOptions {
  maxAgeMs?: number;
}

/**
 * The ECS calls ferry makes. Errors are FerryErrors naming the call; classify them with
 * `isNotFound`/`isThrottling`, which read the AWS code they carry.
 */
export interface EcsPort {
  /**
   * DescribeServices with TAGS, batched by 10. Unknown services come back in `failures` (reason
   * MISSING). `read.maxAgeMs`: an answer the run already has that is no older may be used (live-ecs.ts).
   */
  describeServices(cluster: string, services: string[], read?: ReadOptions): Promise<{ services: Service[]; failures: Failure[] }>;
  /** DescribeTaskDefinition with TAGS; `ref` is an ARN, `family:revision` or a bare family (latest ACTIVE). */
  describeTaskDefinition(ref: string): Promise<TaskDefinitionWithTags>;
  /** Returns the registered revision. */
  registerTaskDefinition(input: RegisterTaskDefinitionCommandInput): Promise<TaskDefinition>;
  deregisterTaskDefinition(arn: string): Promise<void>;
  /** ACTIVE revision ARNs whose family starts with `familyPrefix`, newest first (all pages). */
  listTaskDefinitions(familyPrefix: string): Promise<string[]>;
  /**
   * One ListTaskDefinitions call: ACTIVE revisions, `sort: DESC` (newest revision first),
   * `maxResults` 1–100, from `nextToken` on. `nextToken` in the answer when there are more (the
   * model: a page may hold fewer than `maxResults` even then).
   */
  listTaskDefinitionPage(familyPrefix: string, page: TaskDefinitionPageRequest): Promise<TaskDefinitionPage>;
  createService(input: CreateServiceCommandInput): Promise<Service>;
  updateService(input: UpdateServiceCommandInput): Promise<Service>;
  /** Task ARNs of a service with this desired status (all pages). */
  listTasks(cluster: string, serviceName: string, desiredStatus: 'RUNNING' | 'STOPPED', read?: ReadOptions): Promise<string[]>;
  /**
   * Task ARNs of the whole cluster with this desired status, reading at most `maxPages` pages of
   * 100; undefined when there are more (then read per service). Optional: a port may not offer it.
   */
  listClusterTasks?(cluster: string, desiredStatus: 'RUNNING' | 'STOPPED', maxPages: number): Promise<{ arns: string[]; calls: number } | undefined>;
  /**
   * Task ARNs of the cluster whose task definition is of `family` and whose desired status is
   * RUNNING (ListTasks `family` filter, all pages): services' and standalone tasks alike.
   */
  listFamilyTasks(cluster: string, family: string): Promise<string[]>;
  /** DescribeTasks, batched by 100. */
  describeTasks(cluster: string, tasks: string[], read?: ReadOptions): Promise<Task[]>;
  tagResource(arn: string, tags: Tag[]): Promise<void>;
  untagResource(arn: string, tagKeys: string[]): Promise<void>;
  /** The resource's tags (a service, cluster or task definition ARN). */
  listTagsForResource(arn: string): Promise<Tag[]>;
  describeClusters(clusters: string[]): Promise<{ clusters: Cluster[]; failures: Failure[] }>;
  /**
   * ListServiceDeployments: the service's deployments created after `createdAfter` (epoch ms), as
   * briefs, newest first (one page of up to 20). Newer API (late 2024): a denied or unknown call
   * throws, and callers fall back to DescribeServices.
   */
  listServiceDeployments(cluster: string, service: string, createdAfter?: number): Promise<ServiceDeploymentBrief[]>;
  /** DescribeServiceDeployments of up to 20 ARNs (rollback details, circuit-breaker counts). */
  describeServiceDeployments(arns: string[]): Promise<ServiceDeployment[]>;
  createCluster(name: string): Promise<Cluster>;
  /** RunTask of one standalone task; a `failures[]` answer (no capacity, bad subnet…) throws with its reason. */
  runTask(input: RunTaskCommandInput): Promise<Task>;
  /** StopTask with a reason (stopCode UserInitiated); the task as ECS answers it. */
  stopTask(cluster: string, task: string, reason: string): Promise<Task | undefined>;
}

/** DescribeServices names at most this many services a call (AWS's ECS model: "You may specify up to 10 services"). */
export const DESCRIBE_SERVICES_MAX = 10;

const chunks = <T>(items: T[], size: number): T[][] => {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
};

const short = (arn: string) => arn.replace(/^arn:[^:]+:ecs:[^:]*:[^:]*:/, '');

/**
 * The EcsPort over a real ECSClient (AWS or the sandbox endpoint: same code path). Every call's AWS
 * error is translated here (`attempt`): a FerryError that says what was being done, with the AWS
 * code still readable by isNotFound/isThrottling.
 */
export function createEcsPort(client: ECSClient): EcsPort {
  return {
    describeServices: (cluster, services) =>
      attempt(`describe service${services.length > 1 ? 's' : ''} ${services.join(', ')} in cluster ${cluster}`, async () => {
        const out = { services: [] as Service[], failures: [] as Failure[] };
        for (const batch of chunks(services, DESCRIBE_SERVICES_MAX)) {
          const r = await client.send(new DescribeServicesCommand({ cluster, services: batch, include: ['TAGS'] }));
          out.services.push(...(r.services ?? []));
          out.failures.push(...(r.failures ?? []));
        }
        return out;
      }),
    describeTaskDefinition: (ref) =>
      attempt(`describe task definition ${short(ref)}`, async () => {
        const r = await client.send(new DescribeTaskDefinitionCommand({ taskDefinition: ref, include: ['TAGS'] }));
        if (!r.taskDefinition) throw Object.assign(new Error(`task definition ${ref} not returned`), { name: 'ClientException' });
        return { taskDefinition: r.taskDefinition, tags: r.tags ?? [] };
      }),
    registerTaskDefinition: (input) =>
      attempt(`register task definition ${input.family}`, async () => {
        const r = await client.send(new RegisterTaskDefinitionCommand(input));
        if (!r.taskDefinition) throw new Error('RegisterTaskDefinition returned no task definition');
        return r.taskDefinition;
      }),
    deregisterTaskDefinition: (arn) =>
      attempt(`deregister ${short(arn)}`, async () => {
        await client.send(new DeregisterTaskDefinitionCommand({ taskDefinition: arn }));
      }),
    listTaskDefinitions: (familyPrefix) =>
      attempt(`list task definitions of ${familyPrefix}`, async () => {
        const arns: string[] = [];
        let nextToken: string | undefined;
        do {
          const r = await client.send(new ListTaskDefinitionsCommand({ familyPrefix, status: 'ACTIVE', sort: 'DESC', nextToken }));
          arns.push(...(r.taskDefinitionArns ?? []));
          nextToken = r.nextToken;
        } while (nextToken);
        return arns;
      }),
    listTaskDefinitionPage: (familyPrefix, { maxResults, nextToken }) =>
      attempt(`list task definitions of ${familyPrefix}`, async () => {
        const r = await client.send(new ListTaskDefinitionsCommand({ familyPrefix, status: 'ACTIVE', sort: 'DESC', maxResults, nextToken }));
        return { arns: r.taskDefinitionArns ?? [], ...(r.nextToken && { nextToken: r.nextToken }) };
      }),
    createService: (input) =>
      attempt(`create service ${input.serviceName} in cluster ${input.cluster}`, async () => {
        const r = await client.send(new CreateServiceCommand(input));
        if (!r.service) throw new Error('CreateService returned no service');
        return r.service;
      }),
    updateService: (input) =>
      attempt(`update service ${input.service} in cluster ${input.cluster}`, async () => {
        const r = await client.send(new UpdateServiceCommand(input));
        if (!r.service) throw new Error('UpdateService returned no service');
        return r.service;
      }),
    listTasks: (cluster, serviceName, desiredStatus) =>
      attempt(`list the ${desiredStatus} tasks of service ${serviceName}`, async () => {
        const arns: string[] = [];
        let nextToken: string | undefined;
        do {
          const r = await client.send(new ListTasksCommand({ cluster, serviceName, desiredStatus, nextToken }));
          arns.push(...(r.taskArns ?? []));
          nextToken = r.nextToken;
        } while (nextToken);
        return arns;
      }),
    listFamilyTasks: (cluster, family) =>
      attempt(`list the running tasks of family ${family} in cluster ${cluster}`, async () => {
        const arns: string[] = [];
        let nextToken: string | undefined;
        do {
          const r = await client.send(new ListTasksCommand({ cluster, family, desiredStatus: 'RUNNING', nextToken }));
          arns.push(...(r.taskArns ?? []));
          nextToken = r.nextToken;
        } while (nextToken);
        return arns;
      }),
    listClusterTasks: (cluster, desiredStatus, maxPages) =>
      attempt(`list the ${desiredStatus} tasks of cluster ${cluster}`, async () => {
        const arns: string[] = [];
        let nextToken: string | undefined;
        let calls = 0;
        do {
          if (calls >= maxPages) return undefined;
          const r = await client.send(new ListTasksCommand({ cluster, desiredStatus, nextToken, maxResults: 100 }));
          calls++;
          arns.push(...(r.taskArns ?? []));
          nextToken = r.nextToken;
        } while (nextToken);
        return { arns, calls };
      }),
    describeTasks: (cluster, tasks) =>
      attempt(`describe ${tasks.length} task(s) in cluster ${cluster}`, async () => {
        const out: Task[] = [];
        for (const batch of chunks(tasks, 100)) {
          const r = await client.send(new DescribeTasksCommand({ cluster, tasks: batch }));
          out.push(...(r.tasks ?? []));
        }
        return out;
      }),
    tagResource: (resourceArn, tags) =>
      attempt(`tag ${short(resourceArn)} (${tags.map((t) => t.key).join(', ')})`, async () => {
        await client.send(new TagResourceCommand({ resourceArn, tags }));
      }),
    untagResource: (resourceArn, tagKeys) =>
      attempt(`untag ${short(resourceArn)} (${tagKeys.join(', ')})`, async () => {
        await client.send(new UntagResourceCommand({ resourceArn, tagKeys }));
      }),
    listTagsForResource: (resourceArn) =>
      attempt(`read the tags of ${short(resourceArn)}`, async () => {
        const r = await client.send(new ListTagsForResourceCommand({ resourceArn }));
        return r.tags ?? [];
      }),
    describeClusters: (clusters) =>
      attempt(`describe cluster ${clusters.join(', ')}`, async () => {
        const r = await client.send(new DescribeClustersCommand({ clusters }));
        return { clusters: r.clusters ?? [], failures: r.failures ?? [] };
      }),
    listServiceDeployments: (cluster, service, createdAfter) =>
      attempt(`list the service deployments of ${service}`, async () => {
        const r = await client.send(new ListServiceDeploymentsCommand({ cluster, service, ...(createdAfter !== undefined && { createdAt: { after: new Date(createdAfter) } }) }));
        return r.serviceDeployments ?? [];
      }),
    describeServiceDeployments: (arns) =>
      attempt(`describe ${arns.length} service deployment(s)`, async () => {
        const r = await client.send(new DescribeServiceDeploymentsCommand({ serviceDeploymentArns: arns.slice(0, 20) }));
        return r.serviceDeployments ?? [];
      }),
    runTask: (input) =>
      attempt(`run a task of ${short(input.taskDefinition ?? '')} in cluster ${input.cluster}`, async () => {
        const r = await client.send(new RunTaskCommand({ ...input, count: 1 }));
        const task = r.tasks?.[0];
        if (!task) {
          const f = r.failures?.[0];
          throw Object.assign(new Error(`RunTask started no task${f ? `: ${f.reason}${f.detail ? ` (${f.detail})` : ''}` : ''}`), { name: 'ClientException' });
        }
        return task;
      }),
    stopTask: (cluster, task, reason) =>
      attempt(`stop task ${task.split('/').pop()} in cluster ${cluster}`, async () => {
        const r = await client.send(new StopTaskCommand({ cluster, task, reason }));
        return r.task;
      }),
    createCluster: (name) =>
      attempt(`create cluster ${name}`, async () => {
        const r = await client.send(new CreateClusterCommand({ clusterName: name }));
        return r.cluster ?? { clusterName: name };
      }),
  };
}

/** `arn:aws:ecs:r:a:task-definition/api:7` -> `{family: 'api', revision: 7}`; also accepts `api:7`. */
export function parseTaskDefinitionRef(ref: string): { family: string; revision?: number } {
  const tail = ref.includes('task-definition/') ? ref.slice(ref.indexOf('task-definition/') + 'task-definition/'.length) : ref;
  const m = /^(.+):(\d+)$/.exec(tail);
  return m ? { family: m[1], revision: Number(m[2]) } : { family: tail };
}
