/**
 * The ECS service scheduler of the sandbox: a reconcile loop (every `tickMs`, and right after an API
 * change) that keeps each service at desiredCount, rolls deployments within min/max percent, runs
 * the circuit breaker and rollback, and drives every task's lifecycle as real Docker containers.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { SandboxContext, StateStore } from '../context.ts';
import type { ControllerPort } from './api/common.ts';
import { HealthMonitor, healthCommand } from './health.ts';
import { freePort, LoadBalancers, portIsFree, type Target } from './lb.ts';
import type { DeploymentRecord, EcsState, HealthStatus, ServiceRecord, TaskDefRecord, TaskLastStatus, TaskRecord } from './model.ts';
import { nowSeconds } from './model.ts';
import { deploymentVerdict } from './scheduler/deployments.ts';
import { messages, rolloutReasons } from './scheduler/messages.ts';
import { planStep } from './scheduler/rolling-step.ts';
import { PullError, type TaskRuntime } from './runtime.ts';
import { type Arns, isLive, serviceTasks } from './views.ts';

/** Sandbox timings; defaults come from the environment (see docs/sandbox.md, ECS section). */
export interface ControllerOptions {
  /** Reconcile period. */
  tickMs: number;
  /** Without an essential-container health check a RUNNING task counts as healthy after this (ECS: 40 s). */
  noHealthCheckGraceMs: number;
  /** SIGTERM → SIGKILL delay when the container definition sets no stopTimeout (ECS: 30 s). */
  defaultStopTimeoutSeconds: number;
  /** Longest wait for in-flight load-balancer requests before a deregistered task gets SIGTERM. */
  drainMaxMs: number;
  /** First port tried for service load balancers. */
  lbPortStart: number;
  /** STOPPED tasks stay visible this long (ECS: at least 1 h). */
  stoppedRetentionMs: number;
}

export function optionsFromEnv(env: NodeJS.ProcessEnv = process.env): ControllerOptions {
  const num = (name: string, dflt: number) => {
    const v = env[name];
    if (v === undefined || v === '') return dflt;
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0) throw new Error(`${name}='${v}' must be a non-negative number`);
    return n;
  };
  return {
    tickMs: num('FERRY_SANDBOX_TICK_MS', 300),
    noHealthCheckGraceMs: num('FERRY_SANDBOX_NOHC_GRACE_MS', 2000),
    defaultStopTimeoutSeconds: num('FERRY_SANDBOX_STOP_TIMEOUT_S', 30),
    drainMaxMs: num('FERRY_SANDBOX_DRAIN_MS', 10_000),
    lbPortStart: num('FERRY_SANDBOX_LB_PORT_START', 4600),
    stoppedRetentionMs: num('FERRY_SANDBOX_STOPPED_RETENTION_MS', 3 * 3600_000),
  };
}

export const LABELS = {
  component: 'ferry.sandbox.ecs',
  cluster: 'ferry.ecs.cluster',
  service: 'ferry.ecs.service',
  task: 'ferry.ecs.task',
  deployment: 'ferry.ecs.deployment',
  container: 'ferry.ecs.container',
};

const FAILURE_CODES = new Set(['TaskFailedToStart', 'EssentialContainerExited']);
const HEALTH_REASON = 'Task failed container health checks';

export class Controller implements ControllerPort {
  readonly lb: LoadBalancers;
  private timer: NodeJS.Timeout | undefined;
  private pokeScheduled = false;
  private running = false;
  private monitors = new Map<string, HealthMonitor[]>();
  /** Tasks whose launch or stop is being carried out by an async procedure. */
  private busy = new Set<string>();
  /** Per-service launch back-off after tasks fail to start (ECS service throttle logic, simplified). */
  private backoff = new Map<string, { until: number; delayMs: number }>();
  private pending = new Set<Promise<unknown>>();

  /** Set once stopped: late callbacks (container exits, launches) must not write stale state. */
  private disposed = false;
  private readonly store: StateStore<EcsState>;

  constructor(
    private readonly ctx: SandboxContext,
    store: StateStore<EcsState>,
    private readonly runtime: TaskRuntime,
    private readonly arns: Arns,
    private readonly opts: ControllerOptions,
  ) {
    this.lb = new LoadBalancers((key) => this.targets(key), ctx.log);
    this.store = {
      get: () => store.get(),
      update: (mutate) => {
        if (!this.disposed) store.update(mutate);
      },
    };
  }

  private get state() {
    return this.store.get();
  }

  // ---- ControllerPort -------------------------------------------------------------------------

  poke(): void {
    if (!this.running || this.pokeScheduled) return;
    this.pokeScheduled = true;
    setImmediate(() => {
      this.pokeScheduled = false;
      this.tick();
    });
  }

  async allocateLbPort(): Promise<number> {
    const used = new Set(Object.values(this.state.services).map((s) => s.lbPort));
    for (let p = this.opts.lbPortStart; p < this.opts.lbPortStart + 1000 && p < 65536; p++) {
      if (!used.has(p) && (await portIsFree(p))) return p;
    }
    throw new Error(`no free load balancer port from ${this.opts.lbPortStart}`);
  }

  stopTask(taskId: string, stopCode: string, reason: string): void {
    const t = this.state.tasks[taskId];
    if (!t || !isLive(t)) return;
    const wasPending = t.lastStatus !== 'RUNNING';
    this.store.update(() => {
      t.desiredStatus = 'STOPPED';
      t.stopCode = stopCode;
      t.stoppedReason = reason;
      t.stoppingAt = nowSeconds();
      if (t.lastStatus === 'RUNNING') t.lastStatus = 'DEACTIVATING';
    });
    if (!wasPending && t._healthyAt !== undefined) this.targetEvent(t, 'deregistered');
    // A launch in progress notices desiredStatus STOPPED and finishes the stop itself.
    if (!this.busy.has(taskId)) this.track(this.finishStop(taskId));
  }

  // ---- lifecycle --------------------------------------------------------------------------------

  async start(): Promise<void> {
    await this.adopt();
    this.running = true;
    for (const svc of Object.values(this.state.services)) await this.openLb(svc);
    this.timer = setInterval(() => this.tick(), this.opts.tickMs);
    this.poke();
  }

  async stop(removeTasks: boolean): Promise<void> {
    this.running = false;
    if (this.timer) clearInterval(this.timer);
    for (const list of this.monitors.values()) for (const m of list) m.stop();
    this.monitors.clear();
    await this.lb.closeAll();
    if (removeTasks) {
      for (const t of Object.values(this.state.tasks)) {
        if (t.lastStatus === 'STOPPED') continue;
        this.store.update(() => {
          t.desiredStatus = 'STOPPED';
          t.stopCode ??= 'UserInitiated';
          t.stoppedReason ??= 'Sandbox stopped with its tasks removed';
        });
      }
      const removeAll = async () => {
        const containers = await this.runtime.list({ [this.ctx.containerLabel.key]: this.ctx.containerLabel.value, [LABELS.component]: 'task' });
        await Promise.all(containers.map((c) => this.runtime.stop(c.id, 3).then(() => this.runtime.remove(c.id))));
      };
      await removeAll();
      // A launch that was under way may have created a container after the listing.
      await Promise.race([Promise.allSettled([...this.pending]), new Promise((r) => setTimeout(r, 10_000))]);
      await removeAll();
      const now = nowSeconds();
      this.store.update((s) => {
        for (const t of Object.values(s.tasks)) {
          if (t.lastStatus === 'STOPPED') continue;
          t.lastStatus = 'STOPPED';
          t.executionStoppedAt = t.stoppedAt = now;
          for (const c of t.containers) c.lastStatus = 'STOPPED';
        }
      });
    } else {
      // Leave containers running for the next start() to adopt; let in-flight store writes land.
      await Promise.race([Promise.allSettled([...this.pending]), new Promise((r) => setTimeout(r, 2000))]);
    }
    this.disposed = true;
  }

  /** Service key -> load balancer URL, for GET /_sandbox/info. */
  info() {
    const lbs: Record<string, string> = {};
    for (const [key, svc] of Object.entries(this.state.services)) if (svc.lbPort && svc.status !== 'INACTIVE') lbs[key] = `http://127.0.0.1:${svc.lbPort}`;
    return { loadBalancers: lbs };
  }

  private track<T>(p: Promise<T>): void {
    this.pending.add(p);
    p.catch((e) => this.ctx.log(`ecs controller: ${(e as Error).stack ?? e}`)).finally(() => this.pending.delete(p));
  }

  // ---- reconcile --------------------------------------------------------------------------------

  private tick(): void {
    if (!this.running) return;
    try {
      for (const svc of Object.values(this.state.services)) this.reconcile(svc);
      this.prune();
    } catch (e) {
      this.ctx.log(`ecs controller tick failed: ${(e as Error).stack ?? e}`);
    }
  }

  private healthy(t: TaskRecord): boolean {
    return t.lastStatus === 'RUNNING' && t.desiredStatus === 'RUNNING' && t._healthyAt !== undefined;
  }

  private targets(key: string): Target[] {
    return serviceTasks(this.state, key)
      .filter((t) => this.healthy(t) && t._port !== undefined)
      .map((t) => ({ taskId: t.id, port: t._port! }));
  }

  private event(svc: ServiceRecord, message: string) {
    svc.events.unshift({ id: randomUUID(), createdAt: nowSeconds(), message });
    if (svc.events.length > 100) svc.events.length = 100;
  }

  private targetEvent(t: TaskRecord, kind: 'registered' | 'deregistered') {
    const svc = t._service ? this.state.services[t._service] : undefined;
    const tg = svc?.loadBalancers.find((l) => l.targetGroupArn)?.targetGroupArn;
    if (!svc || !tg) return;
    this.store.update(() => this.event(svc, messages[kind](svc.serviceName, 1, tg)));
  }

  private reconcile(svc: ServiceRecord): void {
    if (svc.status === 'INACTIVE') return;
    const key = `${svc.clusterName}/${svc.serviceName}`;
    const primary = svc.deployments[0];
    const now = nowSeconds();
    const tasks = serviceTasks(this.state, key);
    if (svc.lbPort && !this.lb.has(key)) void this.openLb(svc);

    // Tasks without an essential-container health check count after the grace period.
    const graced = tasks.filter(
      (t) =>
        t.lastStatus === 'RUNNING' &&
        t.desiredStatus === 'RUNNING' &&
        t._healthyAt === undefined &&
        !this.hasHealthCheck(t) &&
        Date.now() - (t.startedAt ?? now) * 1000 >= this.opts.noHealthCheckGraceMs,
    );
    if ((primary && primary.sdStatus === 'PENDING') || graced.length) {
      this.store.update(() => {
        if (primary && primary.sdStatus === 'PENDING') {
          primary.sdStatus = 'IN_PROGRESS';
          primary.startedAt = now;
        }
        for (const t of graced) this.becameHealthy(svc, t);
      });
    }

    const live = tasks.filter(isLive);
    const desired = svc.status === 'ACTIVE' ? svc.desiredCount : 0;
    const canLaunch = svc.status === 'ACTIVE' && !!primary && primary.rolloutState !== 'FAILED';
    const plan = planStep({
      desired,
      minimumHealthyPercent: svc.status === 'ACTIVE' ? svc.deploymentConfiguration.minimumHealthyPercent : 0,
      maximumPercent: svc.deploymentConfiguration.maximumPercent,
      canLaunch,
      tasks: live.map((t) => ({ id: t.id, primary: t.startedBy === primary?.id, healthy: this.healthy(t), createdAt: t.createdAt })),
    });

    if (plan.stop.length) {
      const stopped = plan.stop.map((id) => this.state.tasks[id]);
      const running = stopped.filter((t) => t.lastStatus === 'RUNNING').map((t) => t.id);
      const pendingCount = stopped.length - running.length;
      for (const t of stopped) this.stopTask(t.id, 'ServiceSchedulerInitiated', `Scaling activity initiated by (deployment ${primary?.id ?? 'none'})`);
      this.store.update(() => {
        if (running.length) this.event(svc, messages.stoppedRunning(svc.serviceName, running));
        if (pendingCount) this.event(svc, messages.stoppedPending(svc.serviceName, pendingCount));
      });
    }

    const bo = this.backoff.get(key);
    if (plan.start > 0 && primary && (!bo || Date.now() >= bo.until)) {
      const ids: string[] = [];
      for (let i = 0; i < plan.start; i++) ids.push(this.launch(svc, primary));
      this.store.update(() => this.event(svc, messages.started(svc.serviceName, ids)));
    }

    if (plan.stalled && !svc._stalled) {
      this.store.update(() => {
        svc._stalled = true;
        this.event(svc, messages.unable(svc.serviceName));
      });
    } else if (!plan.stalled && svc._stalled && (plan.start > 0 || plan.stop.length > 0)) {
      this.store.update(() => (svc._stalled = false));
    }

    if (primary) this.judge(svc, primary);

    if (svc.status === 'DRAINING' && serviceTasks(this.state, key).every((t) => t.lastStatus === 'STOPPED')) {
      this.store.update(() => {
        svc.status = 'INACTIVE';
        for (const d of svc.deployments.slice(1)) d.status = 'INACTIVE';
      });
      void this.lb.close(key);
    }
  }

  /** Completion, circuit breaker and rollback of the PRIMARY deployment. */
  private judge(svc: ServiceRecord, primary: DeploymentRecord): void {
    const key = `${svc.clusterName}/${svc.serviceName}`;
    const tasks = serviceTasks(this.state, key);
    const primaryLive = tasks.filter((t) => isLive(t) && t.startedBy === primary.id);
    const desired = svc.status === 'ACTIVE' ? svc.desiredCount : 0;
    const verdict = deploymentVerdict({
      desired,
      rolloutState: primary.rolloutState,
      primaryLive: primaryLive.length,
      primaryHealthy: primaryLive.filter((t) => this.healthy(t)).length,
      otherNotStopped: tasks.filter((t) => t.startedBy !== primary.id && t.lastStatus !== 'STOPPED').length,
      failedTasks: primary.failedTasks,
      circuitBreaker: svc.deploymentConfiguration.deploymentCircuitBreaker,
    });
    const now = nowSeconds();
    if (verdict === 'complete') {
      this.store.update(() => {
        primary.rolloutState = 'COMPLETED';
        primary.rolloutStateReason = rolloutReasons.completed(primary.id);
        primary.updatedAt = now;
        if (primary.rollingBackFrom) {
          const failed = [...svc.deployments, ...svc.history].find((d) => d.id === primary.rollingBackFrom);
          if (failed) {
            failed.sdStatus = 'ROLLBACK_SUCCESSFUL';
            failed.finishedAt = now;
          }
          delete primary.rollingBackFrom;
        } else {
          primary.sdStatus = 'SUCCESSFUL';
          primary.finishedAt = now;
        }
        for (const d of svc.deployments.slice(1)) {
          d.status = 'INACTIVE';
          d.updatedAt = now;
          if (d.sdStatus === 'IN_PROGRESS' || d.sdStatus === 'PENDING') {
            d.sdStatus = 'STOPPED';
            d.finishedAt = now;
          }
          svc.history.unshift(d);
        }
        svc.deployments = [primary];
        if (svc.history.length > 200) svc.history.length = 200;
        this.backoff.delete(key);
        this.event(svc, messages.completed(svc.serviceName, primary.id));
        this.event(svc, messages.steady(svc.serviceName));
        svc._steadyAt = Date.now();
      });
      return;
    }
    if (verdict === 'fail') {
      this.store.update(() => this.fail(svc, primary, now));
      return;
    }
    // ECS repeats the steady-state event about every 6 hours while nothing changes.
    if (primary.rolloutState === 'COMPLETED' && svc.deployments.length === 1 && svc._steadyAt && Date.now() - svc._steadyAt > 6 * 3600_000) {
      const running = tasks.filter((t) => this.healthy(t)).length;
      if (running === desired) this.store.update(() => {
        this.event(svc, messages.steady(svc.serviceName));
        svc._steadyAt = Date.now();
      });
    }
  }

  private fail(svc: ServiceRecord, primary: DeploymentRecord, now: number) {
    primary.rolloutState = 'FAILED';
    primary.rolloutStateReason = rolloutReasons.failed;
    primary.circuitBreakerTriggered = true;
    primary.updatedAt = now;
    this.event(svc, messages.failed(svc.serviceName, primary.id));
    if (!svc.deploymentConfiguration.deploymentCircuitBreaker.rollback) {
      primary.sdStatus = 'STOPPED';
      primary.sdStatusReason = rolloutReasons.failed;
      primary.finishedAt = now;
      return;
    }
    const candidates = [...svc.deployments.slice(1), ...svc.history].filter((d) => d.rolloutState === 'COMPLETED').sort((a, b) => b.createdAt - a.createdAt);
    const target = candidates[0];
    if (!target) {
      primary.sdStatus = 'ROLLBACK_FAILED';
      primary.sdStatusReason = `${rolloutReasons.failed} No COMPLETED deployment to roll back to.`;
      primary.finishedAt = now;
      return;
    }
    svc.history = svc.history.filter((d) => d !== target);
    const others = svc.deployments.filter((d) => d !== target && d !== primary);
    primary.status = 'ACTIVE';
    primary.sdStatus = 'ROLLBACK_IN_PROGRESS';
    primary.sdStatusReason = rolloutReasons.failed;
    primary.rollback = { reason: rolloutReasons.failed, startedAt: now, serviceRevisionArn: this.arns.serviceRevision(svc.clusterName, svc.serviceName, target.id) };
    target.status = 'PRIMARY';
    target.rolloutState = 'IN_PROGRESS';
    target.rolloutStateReason = rolloutReasons.rollingBack(target.id);
    target.failedTasks = 0;
    target.updatedAt = now;
    target.rollingBackFrom = primary.id;
    svc.deployments = [target, primary, ...others];
    svc.taskDefinition = target.taskDefinition;
    svc._stalled = false;
    this.backoff.delete(`${svc.clusterName}/${svc.serviceName}`);
    this.event(svc, messages.rollingBack(svc.serviceName, target.id));
  }

  private prune() {
    const cutoff = Date.now() - this.opts.stoppedRetentionMs;
    const old = Object.values(this.state.tasks).filter((t) => t.lastStatus === 'STOPPED' && (t.stoppedAt ?? 0) * 1000 < cutoff);
    if (old.length) this.store.update((s) => old.forEach((t) => delete s.tasks[t.id]));
  }

  // ---- tasks ------------------------------------------------------------------------------------

  private taskDef(arn: string): TaskDefRecord | undefined {
    const m = /:task-definition\/([^:]+):(\d+)$/.exec(arn);
    return m ? this.state.taskDefinitions[m[1]]?.[Number(m[2]) - 1] : undefined;
  }

  private hasHealthCheck(t: TaskRecord): boolean {
    const td = this.taskDef(t.taskDefinitionArn);
    return !!td?.containerDefinitions.some((c) => c.essential !== false && c.healthCheck && healthCommand(c.healthCheck));
  }

  /** Creates the task record (PROVISIONING) and starts its launch; returns the task id. */
  private launch(svc: ServiceRecord, deployment: DeploymentRecord): string {
    const td = this.taskDef(deployment.taskDefinition)!;
    const id = randomBytes(16).toString('hex');
    const taskArn = this.arns.task(svc.clusterName, id);
    const tags =
      svc.propagateTags === 'SERVICE' ? [...svc.tags] : svc.propagateTags === 'TASK_DEFINITION' ? [...(this.state.taskDefinitionTags[td.taskDefinitionArn] ?? [])] : [];
    if (svc.enableECSManagedTags) tags.push({ key: 'aws:ecs:serviceName', value: svc.serviceName }, { key: 'aws:ecs:clusterName', value: svc.clusterName });
    const task: TaskRecord = {
      taskArn,
      id,
      clusterName: svc.clusterName,
      clusterArn: svc.clusterArn,
      taskDefinitionArn: td.taskDefinitionArn,
      lastStatus: 'PROVISIONING',
      desiredStatus: 'RUNNING',
      healthStatus: 'UNKNOWN',
      launchType: svc.launchType,
      startedBy: deployment.id,
      group: `service:${svc.serviceName}`,
      createdAt: nowSeconds(),
      containers: td.containerDefinitions.map((c) => ({
        containerArn: this.arns.container(svc.clusterName, id, c.name),
        name: c.name,
        image: c.image,
        lastStatus: 'PENDING',
        healthStatus: 'UNKNOWN',
        essential: c.essential !== false,
      })),
      tags,
      _service: `${svc.clusterName}/${svc.serviceName}`,
      ...(td.cpu !== undefined ? { cpu: td.cpu } : {}),
      ...(td.memory !== undefined ? { memory: td.memory } : {}),
    } as TaskRecord;
    this.store.update((s) => (s.tasks[id] = task));
    this.busy.add(id);
    this.track(this.run(id, td, svc).finally(() => this.busy.delete(id)));
    return id;
  }

  private setStatus(t: TaskRecord, status: TaskLastStatus, extra: Partial<TaskRecord> = {}) {
    this.store.update(() => Object.assign(t, { lastStatus: status }, extra));
  }

  private async run(id: string, td: TaskDefRecord, svc: ServiceRecord): Promise<void> {
    const t = this.state.tasks[id];
    const aborted = () => t.desiredStatus === 'STOPPED';
    this.setStatus(t, 'PENDING');
    const lbContainer = svc.loadBalancers[0]?.containerName ?? td.containerDefinitions.find((c) => c.essential !== false)?.name;
    try {
      this.setStatus(t, 'PENDING', { pullStartedAt: nowSeconds() });
      for (const c of td.containerDefinitions) await this.runtime.ensureImage(c.image);
      this.setStatus(t, 'ACTIVATING', { pullStoppedAt: nowSeconds() });
      if (aborted()) return await this.finishStop(id);
      for (const c of td.containerDefinitions) {
        const port = await freePort();
        if (c.name === lbContainer) this.store.update(() => (t._port = port));
        const env = [
          ...(c.environment ?? []).map((e) => `${e.name}=${e.value ?? ''}`),
          // Secrets can't be resolved locally: the app gets a recognisable placeholder.
          ...(c.secrets ?? []).map((s) => `${s.name}=sandbox-secret-placeholder`),
          `PORT=${port}`,
          `AWS_REGION=${this.ctx.region}`,
          `FERRY_SANDBOX=1`,
        ];
        const dockerId = await this.runtime.run({
          name: `ferry-ecs-${svc.serviceName}-${id.slice(0, 12)}-${c.name}`,
          image: c.image,
          command: c.command,
          entryPoint: c.entryPoint,
          env,
          workingDirectory: c.workingDirectory,
          user: c.user,
          stopTimeoutSeconds: c.stopTimeout ?? this.opts.defaultStopTimeoutSeconds,
          init: c.linuxParameters?.initProcessEnabled === true,
          labels: {
            [this.ctx.containerLabel.key]: this.ctx.containerLabel.value,
            [LABELS.component]: 'task',
            [LABELS.cluster]: svc.clusterName,
            [LABELS.service]: svc.serviceName,
            [LABELS.task]: id,
            [LABELS.deployment]: t.startedBy ?? '',
            [LABELS.container]: c.name,
          },
        });
        const rec = t.containers.find((x) => x.name === c.name)!;
        this.store.update(() => {
          rec._dockerId = dockerId;
          rec.lastStatus = 'RUNNING';
        });
        if (aborted()) return await this.finishStop(id);
      }
      this.setStatus(t, 'RUNNING', { startedAt: nowSeconds() });
      this.attach(t, td, Date.now());
      this.poke();
    } catch (e) {
      const message = (e as Error).message.replace(/^\(HTTP code \d+\)\s*\S+\s*-\s*/, '').trim();
      const reason = e instanceof PullError ? `CannotPullContainerError: ${message}` : `CannotStartContainerError: ${message}`;
      this.store.update(() => {
        if (t.desiredStatus === 'RUNNING') {
          t.desiredStatus = 'STOPPED';
          t.stopCode = 'TaskFailedToStart';
          t.stoppedReason = reason;
          for (const c of t.containers) if (!c._dockerId) c.reason = reason;
        }
      });
      this.countFailure(t);
      this.throttle(t);
      await this.finishStop(id);
    }
  }

  /** Watches a RUNNING task's containers: exits and health checks. */
  private attach(t: TaskRecord, td: TaskDefRecord, startedAtMs: number, resumeHealth = false) {
    const monitors: HealthMonitor[] = [];
    for (const rec of t.containers) {
      if (!rec._dockerId) continue;
      const dockerId = rec._dockerId;
      this.track(
        this.runtime.wait(dockerId).then(
          (code) => this.containerExited(t.id, rec.name, code),
          () => this.containerExited(t.id, rec.name, undefined),
        ),
      );
      const def = td.containerDefinitions.find((c) => c.name === rec.name);
      if (def?.healthCheck && healthCommand(def.healthCheck)) {
        const m = new HealthMonitor(this.runtime, dockerId, def.healthCheck, startedAtMs, (status) => this.containerHealth(t.id, rec.name, status));
        m.start(resumeHealth ? rec.healthStatus : 'UNKNOWN');
        monitors.push(m);
      }
    }
    this.monitors.set(t.id, monitors);
  }

  private containerHealth(taskId: string, name: string, status: HealthStatus) {
    const t = this.state.tasks[taskId];
    if (!t || !isLive(t)) return;
    const td = this.taskDef(t.taskDefinitionArn);
    const svc = t._service ? this.state.services[t._service] : undefined;
    this.store.update(() => {
      const rec = t.containers.find((c) => c.name === name)!;
      rec.healthStatus = status;
      const checked = t.containers.filter((c) => {
        const def = td?.containerDefinitions.find((d) => d.name === c.name);
        return c.essential && def?.healthCheck && healthCommand(def.healthCheck);
      });
      const statuses = checked.map((c) => c.healthStatus);
      t.healthStatus = statuses.includes('UNHEALTHY') ? 'UNHEALTHY' : statuses.length === 0 || statuses.includes('UNKNOWN') ? 'UNKNOWN' : 'HEALTHY';
      if (t.healthStatus === 'HEALTHY' && t._healthyAt === undefined && svc) this.becameHealthy(svc, t);
    });
    if (t.healthStatus === 'UNHEALTHY' && svc) {
      this.store.update(() => this.event(svc, messages.healthFailed(svc.serviceName, t.id)));
      this.countFailure(t);
      this.stopTask(t.id, 'ServiceSchedulerInitiated', HEALTH_REASON);
    }
    this.poke();
  }

  /** Must run inside a store update. */
  private becameHealthy(svc: ServiceRecord, t: TaskRecord) {
    t._healthyAt = nowSeconds();
    const d = svc.deployments.find((x) => x.id === t.startedBy);
    if (d && d.rolloutState === 'IN_PROGRESS' && svc.deploymentConfiguration.deploymentCircuitBreaker.resetOnHealthyTask !== false) d.failedTasks = 0;
    this.backoff.delete(`${svc.clusterName}/${svc.serviceName}`);
    const tg = svc.loadBalancers.find((l) => l.targetGroupArn)?.targetGroupArn;
    if (tg) this.event(svc, messages.registered(svc.serviceName, 1, tg));
  }

  private containerExited(taskId: string, name: string, code: number | undefined) {
    const t = this.state.tasks[taskId];
    if (!t) return;
    const rec = t.containers.find((c) => c.name === name);
    if (!rec) return;
    this.store.update(() => {
      if (code !== undefined) rec.exitCode = code;
      rec.lastStatus = 'STOPPED';
    });
    if (!isLive(t) || !rec.essential) return;
    this.store.update(() => {
      t.desiredStatus = 'STOPPED';
      t.stopCode = 'EssentialContainerExited';
      t.stoppedReason = 'Essential container in task exited';
      t.stoppingAt = nowSeconds();
      t.lastStatus = 'STOPPING';
    });
    this.countFailure(t);
    if (!this.busy.has(taskId)) this.track(this.finishStop(taskId));
    this.poke();
  }

  /** Counts a task failure against its deployment (circuit breaker), once per task. */
  private countFailure(t: TaskRecord) {
    if (t._failureCounted || !t._service) return;
    const svc = this.state.services[t._service];
    const d = svc?.deployments.find((x) => x.id === t.startedBy);
    this.store.update(() => {
      t._failureCounted = true;
      if (d && d.rolloutState === 'IN_PROGRESS') {
        d.failedTasks++;
        d.updatedAt = nowSeconds();
      }
    });
  }

  /** Tasks that never reach RUNNING slow further launches (1 s doubling to 60 s), like ECS's throttle. */
  private throttle(t: TaskRecord) {
    if (!t._service) return;
    const prev = this.backoff.get(t._service);
    const delayMs = Math.min(60_000, prev ? prev.delayMs * 2 : 1000);
    this.backoff.set(t._service, { until: Date.now() + delayMs, delayMs });
    const svc = this.state.services[t._service];
    if (svc && delayMs >= 8000 && (!prev || prev.delayMs < 8000)) this.store.update(() => this.event(svc, messages.unableToStart(svc.serviceName)));
  }

  /** DEACTIVATING (drain) → STOPPING (docker stop) → DEPROVISIONING → STOPPED. */
  private async finishStop(id: string): Promise<void> {
    const t = this.state.tasks[id];
    if (!t || t.lastStatus === 'STOPPED') return;
    this.busy.add(id);
    try {
      if (t.lastStatus === 'DEACTIVATING') await this.lb.drained(id, this.opts.drainMaxMs);
      for (const m of this.monitors.get(id) ?? []) m.stop();
      this.monitors.delete(id);
      this.setStatus(t, 'STOPPING', { stoppingAt: t.stoppingAt ?? nowSeconds() });
      const td = this.taskDef(t.taskDefinitionArn);
      await Promise.all(
        t.containers
          .filter((c) => c._dockerId)
          .map(async (c) => {
            const timeout = td?.containerDefinitions.find((d) => d.name === c.name)?.stopTimeout ?? this.opts.defaultStopTimeoutSeconds;
            await this.runtime.stop(c._dockerId!, timeout).catch((e) => this.ctx.log(`docker stop ${c._dockerId}: ${(e as Error).message}`));
            const info = await this.runtime.inspect(c._dockerId!);
            this.store.update(() => {
              if (info && !info.running && c.exitCode === undefined) c.exitCode = info.exitCode;
              c.lastStatus = 'STOPPED';
            });
          }),
      );
      this.setStatus(t, 'DEPROVISIONING', { executionStoppedAt: nowSeconds() });
      await Promise.all(t.containers.filter((c) => c._dockerId).map((c) => this.runtime.remove(c._dockerId!)));
      this.store.update(() => {
        t.lastStatus = 'STOPPED';
        t.stoppedAt = nowSeconds();
        for (const c of t.containers) c.lastStatus = 'STOPPED';
      });
    } finally {
      this.busy.delete(id);
      this.poke();
    }
  }

  // ---- restart ----------------------------------------------------------------------------------

  private async openLb(svc: ServiceRecord) {
    if (!svc.lbPort || svc.status === 'INACTIVE') return;
    const key = `${svc.clusterName}/${svc.serviceName}`;
    await this.lb.open(key, svc.lbPort).catch((e) => this.ctx.log(`load balancer for ${key} on 127.0.0.1:${svc.lbPort} failed to open: ${(e as Error).message}`));
  }

  /** Re-adopts task containers still running from a previous sandbox process; settles the rest. */
  private async adopt(): Promise<void> {
    const containers = await this.runtime.list({ [this.ctx.containerLabel.key]: this.ctx.containerLabel.value, [LABELS.component]: 'task' });
    const byTask = new Map<string, typeof containers>();
    for (const c of containers) {
      const id = c.labels[LABELS.task];
      byTask.set(id, [...(byTask.get(id) ?? []), c]);
    }
    const now = nowSeconds();
    for (const t of Object.values(this.state.tasks)) {
      if (t.lastStatus === 'STOPPED') continue;
      const mine = byTask.get(t.id) ?? [];
      byTask.delete(t.id);
      const essentialRunning = t.containers
        .filter((c) => c.essential)
        .every((c) => mine.some((m) => m.labels[LABELS.container] === c.name && m.running && m.id === c._dockerId));
      const td = this.taskDef(t.taskDefinitionArn);
      if (t.lastStatus === 'RUNNING' && t.desiredStatus === 'RUNNING' && essentialRunning && td) {
        this.attach(t, td, (t.startedAt ?? now) * 1000, true);
        continue;
      }
      this.store.update(() => {
        if (t.desiredStatus === 'RUNNING') {
          t.desiredStatus = 'STOPPED';
          const exited = t.lastStatus === 'RUNNING';
          t.stopCode = exited ? 'EssentialContainerExited' : 'TaskFailedToStart';
          t.stoppedReason = exited ? 'Essential container in task exited' : 'Task was still starting when the sandbox stopped';
        }
        t.stoppingAt ??= now;
      });
      for (const m of mine) {
        const info = await this.runtime.inspect(m.id);
        const rec = t.containers.find((c) => c.name === m.labels[LABELS.container]);
        if (rec && info && !info.running && rec.exitCode === undefined) rec.exitCode = info.exitCode;
        await this.runtime.stop(m.id, 5);
        await this.runtime.remove(m.id);
      }
      this.store.update(() => {
        t.lastStatus = 'STOPPED';
        t.executionStoppedAt ??= now;
        t.stoppedAt = now;
        for (const c of t.containers) c.lastStatus = 'STOPPED';
      });
    }
    // Containers no task claims (e.g. the state file was reset): remove them.
    for (const list of byTask.values()) for (const c of list) await this.runtime.remove(c.id);
  }
}
