/**
 * Fixtures for the scheduler's table tests: a service with its deployments and tasks as plain records,
 * a settable clock and counting ids. No Docker, no timers.
 */
import type { CircuitBreakerConfig, DeploymentRecord, EcsState, HealthCheckDef, ServiceRecord, TaskRecord } from '../model.ts';
import { initialEcsState } from '../model.ts';
import { arns } from '../views.ts';
import { startDeployment } from './deployments.ts';
import type { SchedulerState, StepEnv, Transition } from './transitions.ts';

/** How the test service is configured. */
export interface ServiceSetup {
  desired: number;
  min?: number;
  max?: number;
  breaker?: Partial<CircuitBreakerConfig>;
  /** A load balancer entry with a target group (register/deregister events). */
  targetGroup?: string;
  /** The essential container has a task-definition health check. */
  healthCheck?: boolean;
}

/** What a task is like when the test starts. */
export interface TaskSetup {
  status?: TaskRecord['lastStatus'];
  desiredStatus?: TaskRecord['desiredStatus'];
  /** Counts toward the minimum (HEALTHY, or past the grace). */
  healthy?: boolean;
  startedAtMs?: number;
  failureCounted?: boolean;
}

const HEALTH: HealthCheckDef = { command: ['CMD-SHELL', 'true'], interval: 5, retries: 3 };
/** The tests' start time. */
export const T0 = Date.UTC(2026, 0, 1);

/** One service `c/web` (task definition revisions web:1 and web:2) and the scheduler state around it. */
export class World {
  readonly s: SchedulerState = { ecs: initialEcsState(), backoff: new Map() };
  readonly key = 'c/web';
  private now = T0;
  private ids = 0;
  readonly env: StepEnv = {
    clock: () => this.now,
    taskId: () => `task${String(++this.ids).padStart(2, '0')}`,
    eventId: () => `event-${++this.ids}`,
    arns: arns('us-east-1', '000000000000'),
    noHealthCheckGraceMs: 2000,
    stoppedRetentionMs: 3 * 3600_000,
    failedVisibleMs: 20_000,
  };

  constructor(setup: ServiceSetup) {
    const st = this.ecs;
    st.clusters.c = { name: 'c', arn: this.env.arns.cluster('c'), status: 'ACTIVE', tags: [], createdAt: T0 / 1000 };
    st.taskDefinitions.web = [1, 2].map((revision) => ({
      taskDefinitionArn: this.env.arns.taskDefinition('web', revision),
      family: 'web',
      revision,
      status: 'ACTIVE' as const,
      registeredAt: T0 / 1000,
      containerDefinitions: [{ name: 'app', image: `app:${revision}`, essential: true, ...(setup.healthCheck ? { healthCheck: HEALTH } : {}) }],
    }));
    st.services[this.key] = {
      serviceName: 'web',
      serviceArn: this.env.arns.service('c', 'web'),
      clusterName: 'c',
      clusterArn: this.env.arns.cluster('c'),
      status: 'ACTIVE',
      taskDefinition: this.env.arns.taskDefinition('web', 1),
      desiredCount: setup.desired,
      launchType: 'FARGATE',
      schedulingStrategy: 'REPLICA',
      deploymentConfiguration: {
        minimumHealthyPercent: setup.min ?? 100,
        maximumPercent: setup.max ?? 200,
        deploymentCircuitBreaker: { enable: true, rollback: true, ...setup.breaker },
      },
      loadBalancers: setup.targetGroup ? [{ containerName: 'app', containerPort: 80, targetGroupArn: setup.targetGroup }] : [],
      enableECSManagedTags: false,
      enableExecuteCommand: false,
      tags: [],
      createdAt: T0 / 1000,
      createdBy: 'arn:aws:iam::000000000000:root',
      deployments: [],
      history: [],
      events: [],
    };
  }

  get ecs(): EcsState {
    return this.s.ecs;
  }
  get svc(): ServiceRecord {
    return this.ecs.services[this.key];
  }

  advance(ms: number): void {
    this.now += ms;
  }
  clock(): number {
    return this.now;
  }

  /** A new PRIMARY deployment of revision `revision` (as CreateService/UpdateService start one). */
  deploy(revision: number): DeploymentRecord {
    this.svc.taskDefinition = this.env.arns.taskDefinition('web', revision);
    const d = startDeployment(this.ecs, this.svc, this.now);
    this.advance(1);
    return d;
  }

  /** The deployment as if it had COMPLETED earlier (what a service that was stable looks like). */
  completed(d: DeploymentRecord): DeploymentRecord {
    Object.assign(d, { rolloutState: 'COMPLETED', rolloutStateReason: `ECS deployment ${d.id} completed.`, sdStatus: 'SUCCESSFUL' });
    return d;
  }

  /** `n` tasks of deployment `d`. */
  tasks(d: DeploymentRecord, n: number, setup: TaskSetup = {}): TaskRecord[] {
    const out: TaskRecord[] = [];
    for (let i = 0; i < n; i++) {
      const id = this.env.taskId();
      const status = setup.status ?? 'RUNNING';
      const healthy = setup.healthy ?? status === 'RUNNING';
      const t: TaskRecord = {
        taskArn: this.env.arns.task('c', id),
        id,
        clusterName: 'c',
        clusterArn: this.env.arns.cluster('c'),
        taskDefinitionArn: d.taskDefinition,
        lastStatus: status,
        desiredStatus: setup.desiredStatus ?? (status === 'STOPPED' ? 'STOPPED' : 'RUNNING'),
        healthStatus: healthy ? 'HEALTHY' : 'UNKNOWN',
        launchType: 'FARGATE',
        startedBy: d.id,
        group: 'service:web',
        createdAt: this.now / 1000,
        containers: [{ containerArn: `arn:container/${id}/app`, name: 'app', image: 'app', lastStatus: status, healthStatus: healthy ? 'HEALTHY' : 'UNKNOWN', essential: true, _dockerId: `docker-${id}` }],
        tags: [],
        _service: this.key,
        ...(status === 'RUNNING' ? { startedAt: (setup.startedAtMs ?? this.now) / 1000 } : {}),
        ...(healthy ? { _healthyAt: this.now / 1000 } : {}),
        ...(setup.failureCounted ? { _failureCounted: true } : {}),
        ...(status === 'STOPPED' ? { stoppedAt: this.now / 1000 } : {}),
      };
      this.ecs.tasks[id] = t;
      this.advance(1);
      out.push(t);
    }
    return out;
  }

  /** Lets the runner finish stopping every task told to stop (DEACTIVATING/STOPPING → STOPPED). */
  finishStops(): void {
    for (const t of Object.values(this.ecs.tasks)) if (t.desiredStatus === 'STOPPED' && t.lastStatus !== 'STOPPED') Object.assign(t, { lastStatus: 'STOPPED', stoppedAt: this.now / 1000 });
  }

  /** Makes launched tasks RUNNING and healthy, as the runner and health checks would. */
  startLaunched(): void {
    for (const t of Object.values(this.ecs.tasks))
      if (t.desiredStatus === 'RUNNING' && t.lastStatus === 'PROVISIONING') Object.assign(t, { lastStatus: 'RUNNING', healthStatus: 'HEALTHY', startedAt: this.now / 1000, _healthyAt: this.now / 1000 });
  }
}

/** The event messages among transitions, in the order they were emitted. */
export const eventsOf = (trs: Transition[]) => trs.flatMap((t) => (t.kind === 'event' ? [t.message] : []));
/** Ids of the tasks told to stop. */
export const stopsOf = (trs: Transition[]) => trs.flatMap((t) => (t.kind === 'stopTask' ? [t.taskId] : []));
/** The tasks launched. */
export const launchesOf = (trs: Transition[]) => trs.flatMap((t) => (t.kind === 'launchTask' ? [t.task] : []));
