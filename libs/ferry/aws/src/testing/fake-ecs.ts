/**
 * An in-memory ECS behind the EcsPort, for the unit tests of everything that plans, applies, watches
 * and rolls back. It keeps clusters, task-definition revisions, services with their deployments and
 * events, tasks and tags, answers every EcsPort call from that state the way ECS does (MISSING
 * failures, *NotFoundException names, revisions that always increment), and plays a scripted
 * rollout on each UpdateService/CreateService: the deployment completes, fails (with ECS's
 * circuit-breaker rollback as a *new* PRIMARY deployment, ECS-SEMANTICS §2), or stalls, one
 * DescribeServices poll at a time. Errors are thrown as the real port throws them (`attempt`).
 *
 * It is not the sandbox: no containers, no timers, no HTTP. Integration suites use the sandbox.
 */
import type { Cluster, CreateServiceCommandInput, Deployment, Failure, RegisterTaskDefinitionCommandInput, Service, ServiceDeployment, ServiceDeploymentBrief, Tag, Task, TaskDefinition, UpdateServiceCommandInput } from '@aws-sdk/client-ecs';
import { attempt } from '../errors.ts';
import type { EcsPort, ReadOptions, TaskDefinitionWithTags } from '../ecs.ts';

/** What the next rollout of a service does. */
export interface RolloutScript {
  /**
   * `complete`: tasks start and the deployment COMPLETES. `fail`: tasks exit, the breaker trips
   * (FAILED), and with `rollback` on ECS starts a new deployment of the last completed revision.
   * `stall`: stays IN_PROGRESS (a timeout's business).
   */
  outcome: 'complete' | 'fail' | 'stall';
  /** DescribeServices polls before the outcome shows (default 1). */
  polls?: number;
  /** For `fail`: the stopped tasks' reason and exit code. */
  stoppedReason?: string;
  exitCode?: number;
}

interface ServiceState {
  service: Service;
  /** The rollout in progress: our deployment id, polls left, what happens. */
  rollout?: { id: string; left: number; script: RolloutScript; rollbackOf?: string };
}

const ACCOUNT = '000000000000';
const REGION = 'us-east-1';

/** An error as the AWS SDK throws it: `name` is the AWS error code. */
export const awsError = (name: string, message: string) => Object.assign(new Error(message), { name, $metadata: { httpStatusCode: 400 } });

export class FakeEcs implements EcsPort {
  /** Every call, in order: `describeServices api`, `updateService api api:3`, … */
  readonly calls: string[] = [];
  now: () => number = () => Date.now();
  private readonly clusters = new Map<string, Cluster & { tags: Tag[] }>();
  private readonly families = new Map<string, { taskDefinition: TaskDefinition; tags: Tag[] }[]>();
  private readonly services = new Map<string, ServiceState>();
  private readonly tasks = new Map<string, Task>();
  private readonly tags = new Map<string, Tag[]>();
  private readonly scripts = new Map<string, RolloutScript[]>();
  private readonly errors = new Map<string, Error[]>();
  private readonly replays = new Map<string, Array<Service | Error>>();
  /** Service deployments (the ServiceDeployments API's view), by deployment id. */
  private readonly serviceDeployments = new Map<string, ServiceDeployment>();
  /** Whether the ServiceDeployments API answers (an account or a Region without it: AccessDenied). */
  serviceDeploymentsApi = true;
  private seq = 0;

  // --- set-up and inspection -------------------------------------------------------------------

  /** Scripts the next rollouts of `service`, in order; without a script a rollout completes. */
  script(service: string, ...scripts: RolloutScript[]): this {
    this.scripts.set(service, [...(this.scripts.get(service) ?? []), ...scripts]);
    return this;
  }

  /**
   * DescribeServices of `service` answers from these snapshots in order, one per call (the last
   * repeats); an Error in the list is thrown as that AWS error. For traces shaped like captured
   * DescribeServices sequences.
   */
  replay(service: string, snapshots: Array<Service | Error>): this {
    this.replays.set(service, [...snapshots]);
    return this;
  }

  /** The next call of `op` throws an AWS error named `name` (the port wraps it as the real one does). */
  failNext(op: keyof EcsPort, name: string, message = name): this {
    this.errors.set(op, [...(this.errors.get(op) ?? []), awsError(name, message)]);
    return this;
  }

  addCluster(name: string): Cluster {
    const c = { clusterName: name, clusterArn: `arn:aws:ecs:${REGION}:${ACCOUNT}:cluster/${name}`, status: 'ACTIVE', tags: [] };
    this.clusters.set(name, c);
    return c;
  }

  /** The service as ECS holds it now (no poll, no progress). */
  peek(cluster: string, name: string): Service | undefined {
    return this.services.get(`${cluster}/${name}`)?.service;
  }

  /** The tags of a resource. */
  tagsOf(arn: string): Tag[] {
    return [...(this.tags.get(arn) ?? [])];
  }

  /** How many calls of `op` were made (`describeServices`, `updateService`, …). */
  count(op: keyof EcsPort): number {
    return this.calls.filter((c) => c === op || c.startsWith(`${op} `)).length;
  }

  /** A task definition ARN: `family:revision`. */
  static arn(family: string, revision: number): string {
    return `arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/${family}:${revision}`;
  }

  // --- the EcsPort ----------------------------------------------------------------------------

  private call<T>(op: keyof EcsPort, text: string, fn: () => T): Promise<T> {
    this.calls.push(text ? `${op} ${text}` : op);
    return attempt(`${op} ${text}`.trim(), async () => {
      const err = this.errors.get(op)?.shift();
      if (err) throw err;
      return fn();
    });
  }

  private cluster(name: string): Cluster & { tags: Tag[] } {
    const c = this.clusters.get(name);
    if (!c || c.status !== 'ACTIVE') throw awsError('ClusterNotFoundException', 'Cluster not found.');
    return c;
  }

  describeServices(cluster: string, names: string[], _read?: ReadOptions): Promise<{ services: Service[]; failures: Failure[] }> {
    return this.call('describeServices', names.join(','), () => {
      // Replayed services answer from their script, one step per call; the first Error fails the call.
      const replayed = new Map<string, Service>();
      for (const n of names) {
        const replay = this.replays.get(n);
        if (!replay?.length) continue;
        const step = replay.length > 1 ? replay.shift()! : replay[0];
        if (step instanceof Error) throw step;
        replayed.set(n, step);
      }
      if (replayed.size === names.length) return { services: names.map((n) => structuredClone(replayed.get(n)!)), failures: [] };
      this.cluster(cluster);
      const services: Service[] = [];
      const failures: Failure[] = [];
      for (const n of names) {
        if (replayed.has(n)) {
          services.push(structuredClone(replayed.get(n)!));
          continue;
        }
        const st = this.services.get(`${cluster}/${n}`);
        if (!st) {
          failures.push({ arn: `arn:aws:ecs:${REGION}:${ACCOUNT}:service/${cluster}/${n}`, reason: 'MISSING' });
          continue;
        }
        this.tick(st);
        services.push(structuredClone({ ...st.service, tags: this.tagsOf(st.service.serviceArn ?? '') }));
      }
      return { services, failures };
    });
  }

  describeTaskDefinition(ref: string): Promise<TaskDefinitionWithTags> {
    return this.call('describeTaskDefinition', ref.split('/').pop() ?? ref, () => {
      const found = this.findTaskDefinition(ref);
      if (!found) throw awsError('ClientException', 'Unable to describe task definition.');
      return structuredClone({ taskDefinition: found.taskDefinition, tags: this.tagsOf(found.taskDefinition.taskDefinitionArn ?? '') });
    });
  }

  registerTaskDefinition(input: RegisterTaskDefinitionCommandInput): Promise<TaskDefinition> {
    return this.call('registerTaskDefinition', input.family ?? '', () => {
      const list = this.families.get(input.family!) ?? [];
      const revision = list.length + 1;
      const { tags, ...rest } = input;
      const taskDefinition: TaskDefinition = { ...structuredClone(rest), taskDefinitionArn: FakeEcs.arn(input.family!, revision), revision, status: 'ACTIVE', registeredAt: new Date(this.now()) };
      list.push({ taskDefinition, tags: [] });
      this.families.set(input.family!, list);
      this.tags.set(taskDefinition.taskDefinitionArn!, structuredClone(tags ?? []));
      return structuredClone(taskDefinition);
    });
  }

  deregisterTaskDefinition(arn: string): Promise<void> {
    return this.call('deregisterTaskDefinition', arn.split('/').pop() ?? arn, () => {
      const found = this.findTaskDefinition(arn);
      if (!found) throw awsError('ClientException', 'The specified task definition does not exist.');
      found.taskDefinition.status = 'INACTIVE';
    });
  }

  listTaskDefinitions(familyPrefix: string): Promise<string[]> {
    return this.call('listTaskDefinitions', familyPrefix, () =>
      [...this.families.entries()]
        .filter(([f]) => f === familyPrefix) // the full family name (listTaskDefinitionPage)
        .flatMap(([, l]) => l.filter((t) => t.taskDefinition.status === 'ACTIVE').map((t) => t.taskDefinition))
        .sort((a, b) => (b.revision ?? 0) - (a.revision ?? 0))
        .map((t) => t.taskDefinitionArn!),
    );
  }

  /**
   * ListTaskDefinitions as the ECS model describes it (ListTaskDefinitionsRequest): `familyPrefix`
   * is the full family name (AWS lists nothing for a mere prefix: captured in getmoto/moto#2602),
   * `sort: DESC` lists the revisions newest first, `maxResults` is 1–100, `nextToken` is opaque (a
   * bad one is an InvalidParameterException).
   */
  listTaskDefinitionPage(family: string, page: { maxResults: number; nextToken?: string }): Promise<{ arns: string[]; nextToken?: string }> {
    return this.call('listTaskDefinitionPage', `${family} ${page.maxResults}${page.nextToken ? ` ${page.nextToken}` : ''}`, () => {
      if (!Number.isInteger(page.maxResults) || page.maxResults < 1 || page.maxResults > 100) throw awsError('InvalidParameterException', 'maxResults must be between 1 and 100.');
      const start = page.nextToken === undefined ? 0 : FakeEcs.fromToken(page.nextToken);
      const all = (this.families.get(family) ?? [])
        .filter((t) => t.taskDefinition.status === 'ACTIVE')
        .map((t) => t.taskDefinition)
        .sort((a, b) => (b.revision ?? 0) - (a.revision ?? 0))
        .map((t) => t.taskDefinitionArn!);
      const arns = all.slice(start, start + page.maxResults);
      const next = start + page.maxResults;
      return { arns, ...(next < all.length && { nextToken: FakeEcs.toToken(next) }) };
    });
  }

  private static toToken(offset: number): string {
    return Buffer.from(`fake-ecs:${offset}`).toString('base64');
  }

  private static fromToken(token: string): number {
    const m = /^fake-ecs:(\d+)$/.exec(Buffer.from(token, 'base64').toString());
    if (!m) throw awsError('InvalidParameterException', 'Invalid nextToken.');
    return Number(m[1]);
  }

  createService(input: CreateServiceCommandInput): Promise<Service> {
    return this.call('createService', `${input.serviceName} ${short(input.taskDefinition)}`, () => {
      const c = this.cluster(input.cluster ?? 'default');
      const key = `${c.clusterName}/${input.serviceName}`;
      if (this.services.get(key)?.service.status === 'ACTIVE') throw awsError('InvalidParameterException', 'Creation of service was not idempotent.');
      const arn = `arn:aws:ecs:${REGION}:${ACCOUNT}:service/${c.clusterName}/${input.serviceName}`;
      const td = this.resolve(input.taskDefinition!);
      const service: Service = {
        serviceName: input.serviceName,
        serviceArn: arn,
        clusterArn: c.clusterArn,
        status: 'ACTIVE',
        desiredCount: input.desiredCount ?? 0,
        runningCount: 0,
        pendingCount: 0,
        taskDefinition: td,
        launchType: input.launchType,
        deploymentConfiguration: structuredClone(input.deploymentConfiguration),
        loadBalancers: structuredClone(input.loadBalancers),
        deployments: [],
        events: [],
      };
      this.tags.set(arn, structuredClone(input.tags ?? []));
      const st: ServiceState = { service };
      this.services.set(key, st);
      this.startDeployment(st, td);
      return structuredClone(service);
    });
  }

  updateService(input: UpdateServiceCommandInput): Promise<Service> {
    return this.call('updateService', `${input.service} ${short(input.taskDefinition)}`, () => {
      const c = this.cluster(input.cluster ?? 'default');
      const st = this.services.get(`${c.clusterName}/${input.service}`);
      if (!st) throw awsError('ServiceNotFoundException', 'Service not found.');
      if (st.service.status !== 'ACTIVE') throw awsError('ServiceNotActiveException', 'Service was not ACTIVE.');
      const s = st.service;
      if (input.desiredCount !== undefined) s.desiredCount = input.desiredCount;
      if (input.deploymentConfiguration) s.deploymentConfiguration = structuredClone(input.deploymentConfiguration);
      if (input.taskDefinition || input.forceNewDeployment) this.startDeployment(st, input.taskDefinition ? this.resolve(input.taskDefinition) : s.taskDefinition!);
      return structuredClone({ ...s, tags: undefined });
    });
  }

  listTasks(cluster: string, serviceName: string, desiredStatus: 'RUNNING' | 'STOPPED', _read?: ReadOptions): Promise<string[]> {
    return this.call('listTasks', `${serviceName} ${desiredStatus}`, () => {
      this.cluster(cluster);
      if (!this.services.has(`${cluster}/${serviceName}`)) throw awsError('ServiceNotFoundException', 'Service not found.');
      return [...this.tasks.values()].filter((t) => t.group === `service:${serviceName}` && t.desiredStatus === desiredStatus).map((t) => t.taskArn!);
    });
  }

  listFamilyTasks(cluster: string, family: string): Promise<string[]> {
    return this.call('listFamilyTasks', family, () => {
      this.cluster(cluster);
      return [...this.tasks.values()]
        .filter((t) => t.clusterArn?.endsWith(`/${cluster}`) && t.desiredStatus === 'RUNNING' && t.taskDefinitionArn?.split('/').pop()?.split(':')[0] === family)
        .map((t) => t.taskArn!);
    });
  }

  listClusterTasks(cluster: string, desiredStatus: 'RUNNING' | 'STOPPED', maxPages: number): Promise<{ arns: string[]; calls: number } | undefined> {
    return this.call('listClusterTasks', desiredStatus, () => {
      this.cluster(cluster);
      const arns = [...this.tasks.values()].filter((t) => t.clusterArn?.endsWith(`/${cluster}`) && t.desiredStatus === desiredStatus).map((t) => t.taskArn!);
      const calls = Math.max(1, Math.ceil(arns.length / 100));
      return calls > maxPages ? undefined : { arns, calls };
    });
  }

  describeTasks(cluster: string, arns: string[], _read?: ReadOptions): Promise<Task[]> {
    return this.call('describeTasks', String(arns.length), () => {
      this.cluster(cluster);
      return arns.map((a) => this.tasks.get(a)).filter((t): t is Task => !!t).map((t) => structuredClone(t));
    });
  }

  tagResource(arn: string, tags: Tag[]): Promise<void> {
    return this.call('tagResource', `${short(arn)} ${tags.map((t) => t.key).join(',')}`, () => {
      this.mustExist(arn);
      const now = new Map((this.tags.get(arn) ?? []).map((t) => [t.key, t.value]));
      for (const t of tags) now.set(t.key, t.value);
      this.tags.set(arn, [...now].map(([key, value]) => ({ key, value })));
    });
  }

  untagResource(arn: string, keys: string[]): Promise<void> {
    return this.call('untagResource', `${short(arn)} ${keys.join(',')}`, () => {
      this.mustExist(arn);
      this.tags.set(arn, (this.tags.get(arn) ?? []).filter((t) => !keys.includes(t.key ?? '')));
    });
  }

  listTagsForResource(arn: string): Promise<Tag[]> {
    return this.call('listTagsForResource', short(arn), () => {
      this.mustExist(arn);
      return this.tagsOf(arn);
    });
  }

  describeClusters(names: string[]): Promise<{ clusters: Cluster[]; failures: Failure[] }> {
    return this.call('describeClusters', names.join(','), () => ({
      clusters: names.map((n) => this.clusters.get(n)).filter((c): c is Cluster & { tags: Tag[] } => !!c).map(({ tags: _t, ...c }) => ({ ...c })),
      failures: names.filter((n) => !this.clusters.has(n)).map((n) => ({ arn: `arn:aws:ecs:${REGION}:${ACCOUNT}:cluster/${n}`, reason: 'MISSING' })),
    }));
  }

  createCluster(name: string): Promise<Cluster> {
    return this.call('createCluster', name, () => {
      const { tags: _t, ...c } = this.clusters.get(name) ?? this.addCluster(name);
      this.tags.set(c.clusterArn!, this.tags.get(c.clusterArn!) ?? []);
      return { ...c };
    });
  }

  listServiceDeployments(cluster: string, service: string, createdAfter?: number): Promise<ServiceDeploymentBrief[]> {
    return this.call('listServiceDeployments', service, () => {
      if (!this.serviceDeploymentsApi) throw awsError('AccessDeniedException', 'User is not authorized to perform: ecs:ListServiceDeployments');
      this.cluster(cluster);
      return [...this.serviceDeployments.values()]
        .filter((d) => d.serviceArn?.endsWith(`/${cluster}/${service}`) && (createdAfter === undefined || (d.createdAt?.getTime() ?? 0) > createdAfter))
        .sort((a, b) => (b.createdAt?.getTime() ?? 0) - (a.createdAt?.getTime() ?? 0))
        .slice(0, 20)
        .map((d) => ({ serviceDeploymentArn: d.serviceDeploymentArn, serviceArn: d.serviceArn, clusterArn: d.clusterArn, createdAt: d.createdAt, startedAt: d.startedAt, finishedAt: d.finishedAt, targetServiceRevisionArn: d.targetServiceRevision?.arn, status: d.status, statusReason: d.statusReason }));
    });
  }

  describeServiceDeployments(arns: string[]): Promise<ServiceDeployment[]> {
    return this.call('describeServiceDeployments', String(arns.length), () => {
      if (!this.serviceDeploymentsApi) throw awsError('AccessDeniedException', 'User is not authorized to perform: ecs:DescribeServiceDeployments');
      return [...this.serviceDeployments.values()].filter((d) => arns.includes(d.serviceDeploymentArn ?? '')).map((d) => structuredClone(d));
    });
  }

  // --- ECS's side ----------------------------------------------------------------------------

  private mustExist(arn: string): void {
    if (this.tags.has(arn) || [...this.clusters.values()].some((c) => c.clusterArn === arn)) return;
    throw awsError('InvalidParameterException', 'The specified resource does not exist.');
  }

  private findTaskDefinition(ref: string) {
    const tail = ref.includes('task-definition/') ? ref.slice(ref.indexOf('task-definition/') + 16) : ref;
    const [family, rev] = tail.split(':');
    const list = this.families.get(family) ?? [];
    if (rev) return list.find((t) => t.taskDefinition.revision === Number(rev));
    return [...list].reverse().find((t) => t.taskDefinition.status === 'ACTIVE');
  }

  /** A reference as ECS resolves it: a family means its latest ACTIVE revision. */
  private resolve(ref: string): string {
    const found = this.findTaskDefinition(ref);
    if (!found || (found.taskDefinition.status !== 'ACTIVE' && !ref.includes(':'))) throw awsError('ClientException', 'TaskDefinition not found.');
    return found.taskDefinition.taskDefinitionArn!;
  }

  private lastEventAt = 0;
  private event(st: ServiceState, message: string): void {
    // Strictly increasing times, so events of one poll keep their order as ECS's do.
    this.lastEventAt = Math.max(this.now(), this.lastEventAt + 1);
    st.service.events = [{ id: `e${++this.seq}`, createdAt: new Date(this.lastEventAt), message: `(service ${st.service.serviceName}) ${message}` }, ...(st.service.events ?? [])].slice(0, 100);
  }

  private startDeployment(st: ServiceState, td: string, rollbackOf?: { failed: string; to: string }): Deployment {
    const s = st.service;
    const at = new Date(this.now());
    const id = `ecs-svc/${1000 + ++this.seq}`;
    for (const d of s.deployments ?? []) if (d.status === 'PRIMARY') d.status = 'ACTIVE';
    const d: Deployment = {
      id,
      status: 'PRIMARY',
      taskDefinition: td,
      desiredCount: s.desiredCount,
      runningCount: 0,
      pendingCount: 0,
      failedTasks: 0,
      createdAt: at,
      updatedAt: at,
      rolloutState: 'IN_PROGRESS',
      rolloutStateReason: rollbackOf ? `ECS deployment circuit breaker: rolling back to deploymentId ${rollbackOf.to}.` : `ECS deployment ${id} in progress.`,
    };
    s.deployments = [d, ...(s.deployments ?? [])];
    s.taskDefinition = td;
    const script = rollbackOf ? { outcome: 'complete' as const } : (this.scripts.get(s.serviceName ?? '')?.shift() ?? { outcome: 'complete' as const });
    // A rollback is part of the failed deployment's service deployment (ROLLBACK_IN_PROGRESS), not a new one.
    if (!rollbackOf) {
      this.serviceDeployments.set(id, {
        serviceDeploymentArn: `arn:aws:ecs:${REGION}:${ACCOUNT}:service-deployment/${s.clusterArn!.split('/').pop()}/${s.serviceName}/${id.replace('ecs-svc/', 'sd')}`,
        serviceArn: s.serviceArn,
        clusterArn: s.clusterArn,
        createdAt: at,
        startedAt: at,
        targetServiceRevision: { arn: `${s.serviceArn}/revision/${id}`, requestedTaskCount: s.desiredCount },
        status: 'IN_PROGRESS',
        deploymentCircuitBreaker: s.deploymentConfiguration?.deploymentCircuitBreaker?.enable ? { status: 'MONITORING', failureCount: 0, threshold: 3 } : { status: 'DISABLED' },
      });
    }
    st.rollout = { id, left: script.polls ?? 1, script, rollbackOf: rollbackOf?.failed };
    return d;
  }

  /** One poll's worth of progress of the service's rollout. */
  private tick(st: ServiceState): void {
    const r = st.rollout;
    if (!r || r.script.outcome === 'stall') return;
    if (r.left-- > 0) return;
    const s = st.service;
    const d = s.deployments!.find((x) => x.id === r.id)!;
    d.updatedAt = new Date(this.now() + 1);
    if (r.script.outcome === 'complete') {
      for (const t of this.tasks.values()) {
        if (t.group === `service:${s.serviceName}` && t.desiredStatus === 'RUNNING') this.endTask(t, 'ServiceSchedulerInitiated', `Scaling activity initiated by (deployment ${r.id})`);
      }
      for (let i = 0; i < (s.desiredCount ?? 0); i++) this.startTask(st, d);
      d.runningCount = s.desiredCount;
      d.rolloutState = 'COMPLETED';
      d.rolloutStateReason = `ECS deployment ${r.id} completed.`;
      s.deployments = [d];
      s.runningCount = s.desiredCount;
      this.event(st, `(deployment ${r.id}) deployment completed.`);
      this.event(st, 'has reached a steady state.');
      st.rollout = undefined;
      const sd = this.serviceDeployments.get(r.rollbackOf ?? r.id);
      if (sd) Object.assign(sd, { status: r.rollbackOf ? 'ROLLBACK_SUCCESSFUL' : 'SUCCESSFUL', finishedAt: new Date(this.now()) });
      if (sd && !r.rollbackOf && sd.deploymentCircuitBreaker?.status === 'MONITORING') sd.deploymentCircuitBreaker.status = 'MONITORING_COMPLETE';
      return;
    }
    // fail: the tasks exit, the breaker trips.
    for (let i = 0; i < 3; i++) this.endTask(this.startTask(st, d), 'EssentialContainerExited', r.script.stoppedReason ?? 'Essential container in task exited', r.script.exitCode ?? 1);
    d.failedTasks = 3;
    d.rolloutState = 'FAILED';
    d.rolloutStateReason = 'ECS deployment circuit breaker: tasks failed to start.';
    this.event(st, `(deployment ${r.id}) deployment failed: tasks failed to start.`);
    st.rollout = undefined;
    const breaker = s.deploymentConfiguration?.deploymentCircuitBreaker;
    const lastCompleted = (s.deployments ?? []).find((x) => x.id !== r.id && x.rolloutState === 'COMPLETED');
    const sd = this.serviceDeployments.get(r.id);
    if (sd?.deploymentCircuitBreaker) Object.assign(sd.deploymentCircuitBreaker, { status: 'TRIGGERED', failureCount: 3 });
    if (breaker?.enable && breaker.rollback && lastCompleted) {
      // ECS-SEMANTICS §2 (corrected): the rollback is a new PRIMARY on the last completed revision;
      // the failed deployment stays beside it (ACTIVE, FAILED) until its tasks are gone.
      this.event(st, `rolling back to deployment ${lastCompleted.id}.`);
      this.startDeployment(st, lastCompleted.taskDefinition!, { failed: r.id, to: lastCompleted.id! });
      if (sd) Object.assign(sd, { status: 'ROLLBACK_IN_PROGRESS', rollback: { reason: 'Service deployment rolled back because the circuit breaker threshold was exceeded.', startedAt: new Date(this.now()), serviceRevisionArn: `${s.serviceArn}/revision/${lastCompleted.id}` } });
    } else if (sd) {
      Object.assign(sd, { status: 'STOPPED', statusReason: 'Service deployment stopped because the circuit breaker threshold was exceeded.', finishedAt: new Date(this.now()) });
    }
  }

  private startTask(st: ServiceState, d: Deployment): Task {
    const id = (++this.seq).toString(16).padStart(32, '0');
    const cluster = st.service.clusterArn!.split('/').pop();
    const t: Task = {
      taskArn: `arn:aws:ecs:${REGION}:${ACCOUNT}:task/${cluster}/${id}`,
      clusterArn: st.service.clusterArn,
      taskDefinitionArn: d.taskDefinition,
      group: `service:${st.service.serviceName}`,
      startedBy: d.id,
      lastStatus: 'RUNNING',
      desiredStatus: 'RUNNING',
      healthStatus: 'UNKNOWN',
      startedAt: new Date(this.now()),
      containers: [{ name: 'app', lastStatus: 'RUNNING' }],
    };
    this.tasks.set(t.taskArn!, t);
    return t;
  }

  private endTask(t: Task, stopCode: Task['stopCode'], reason: string, exitCode?: number): void {
    Object.assign(t, { lastStatus: 'STOPPED', desiredStatus: 'STOPPED', stopCode, stoppedReason: reason, stoppedAt: new Date(this.now()) });
    if (exitCode !== undefined) t.containers = (t.containers ?? []).map((c) => ({ ...c, lastStatus: 'STOPPED', exitCode }));
  }

  /** One-off tasks are exercised against the sandbox (test/sandbox-run-task.test.ts, test/pipeline-run.test.ts), not faked. */
  runTask(): Promise<Task> {
    return Promise.reject(new Error('FakeEcs does not run tasks: test one-off tasks against the sandbox'));
  }

  stopTask(): Promise<Task | undefined> {
    return Promise.reject(new Error('FakeEcs does not stop one-off tasks: test them against the sandbox'));
  }
}

const short = (arn: string | undefined) => (arn ?? '').replace(/^.*\//, '');
