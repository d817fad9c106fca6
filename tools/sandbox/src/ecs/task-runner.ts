/**
 * The Docker side of ECS tasks: launching a task's containers (image pull, run), watching them (exit,
 * container health checks) and stopping them (load-balancer drain, `docker stop`, remove). It keeps the
 * task's lifecycle fields (PENDING → ACTIVATING → RUNNING, STOPPING → DEPROVISIONING → STOPPED) and
 * reports what it sees (a failed launch, an exit, a health change) as observations; what follows from
 * them is decided by the scheduler (scheduler/task-events.ts).
 */
import type { SandboxContext, StateStore } from '../context.ts';
import { HealthMonitor, healthCommand } from './health.ts';
import { freePort } from './lb.ts';
import { nowSeconds, taskDefinitionByArn, type EcsState, type TaskDefRecord, type TaskLastStatus, type TaskRecord } from './model.ts';
import { LABELS, taskContainerLabels, type ControllerOptions } from './options.ts';
import { PullError, type TaskRuntime } from './runtime.ts';
import type { TaskObservation } from './scheduler/task-events.ts';
import { awslogsTargets, checkAwslogsGroups, LoggerInitError } from '../logs/awslogs.ts';

/** What the runner reports to the controller. */
export interface TaskObserver {
  /** Something happened to a task that the scheduler decides about. */
  observe(obs: TaskObservation): void;
  /** A task reached RUNNING or STOPPED: reconcile soon. */
  poke(): void;
}

/** Everything the runner works with. */
export interface TaskRunnerDeps {
  ctx: Pick<SandboxContext, 'region' | 'containerLabel' | 'log' | 'logs'>;
  store: StateStore<EcsState>;
  runtime: TaskRuntime;
  /** Takes a stopping task out of its load balancer; with `wait` (it was serving) resolves once it is drained. */
  lb: { drain(t: TaskRecord, wait: boolean): Promise<void> };
  opts: Pick<ControllerOptions, 'defaultStopTimeoutSeconds' | 'keepStoppedContainers'>;
  observer: TaskObserver;
}

/** Runs, watches and stops task containers; one per controller. */
export class TaskRunner {
  private readonly monitors = new Map<string, HealthMonitor[]>();
  /** Tasks whose launch or stop is being carried out. */
  private readonly busy = new Set<string>();
  private readonly pending = new Set<Promise<unknown>>();
  /** Per task: its containers' output being shipped to CloudWatch Logs (awslogs). */
  private readonly shipping = new Map<string, Promise<void>[]>();

  constructor(private readonly deps: TaskRunnerDeps) {}

  private get state() {
    return this.deps.store.get();
  }

  /** Launches a PROVISIONING task's containers in the background. */
  launch(taskId: string): void {
    this.busy.add(taskId);
    this.track(this.run(taskId).finally(() => this.busy.delete(taskId)));
  }

  /** Carries out a decided stop; a launch in progress notices desiredStatus STOPPED and stops the task itself. */
  stop(taskId: string): void {
    if (!this.busy.has(taskId)) this.track(this.finishStop(taskId));
  }

  /** Watches a RUNNING task's containers (exits, health checks); `resumeHealth` keeps their last health (adoption). */
  attach(t: TaskRecord, td: TaskDefRecord, startedAtMs: number, resumeHealth = false): void {
    const monitors: HealthMonitor[] = [];
    const { runtime, observer } = this.deps;
    for (const rec of t.containers) {
      if (!rec._dockerId) continue;
      const dockerId = rec._dockerId;
      const exited = (exitCode: number | undefined) => observer.observe({ kind: 'containerExited', taskId: t.id, container: rec.name, exitCode });
      this.track(runtime.wait(dockerId).then(exited, () => exited(undefined)));
      const def = td.containerDefinitions.find((c) => c.name === rec.name);
      if (def?.healthCheck && healthCommand(def.healthCheck)) {
        const m = new HealthMonitor(runtime, dockerId, def.healthCheck, startedAtMs, (status) =>
          observer.observe({ kind: 'containerHealth', taskId: t.id, container: rec.name, status }),
        );
        m.start(resumeHealth ? rec.healthStatus : 'UNKNOWN');
        monitors.push(m);
      }
    }
    this.monitors.set(t.id, monitors);
  }

  /** Stops every health check (sandbox shutdown). */
  stopMonitors(): void {
    for (const list of this.monitors.values()) for (const m of list) m.stop();
    this.monitors.clear();
  }

  /** Stops (3 s) and removes every task container of this sandbox. */
  async removeAllContainers(): Promise<void> {
    const { runtime, ctx } = this.deps;
    const containers = await runtime.list(taskContainerLabels(ctx.containerLabel));
    await Promise.all(containers.map((c) => runtime.stop(c.id, 3).then(() => runtime.remove(c.id))));
  }

  /**
   * Keeps the containers of the newest `keepStoppedContainers` STOPPED tasks of the service (their
   * output stays readable: DescribeTasks `containers[].runtimeId`, then `docker logs`), removes older ones.
   */
  private async removeOldStopped(service: string | undefined): Promise<void> {
    const { runtime, store, opts } = this.deps;
    const kept = Object.values(this.state.tasks)
      .filter((x) => x._service === service && x.lastStatus === 'STOPPED' && x.containers.some((c) => c._dockerId && !c._removed))
      .sort((a, b) => (b.stoppedAt ?? 0) - (a.stoppedAt ?? 0));
    for (const old of kept.slice(opts.keepStoppedContainers)) {
      const containers = old.containers.filter((c) => c._dockerId && !c._removed);
      await Promise.all(containers.map((c) => runtime.remove(c._dockerId!)));
      store.update(() => {
        for (const c of containers) c._removed = true;
      });
    }
  }

  /** Removes the containers of tasks that left the API (pruned after the STOPPED retention). */
  async removeTaskContainers(taskIds: string[]): Promise<void> {
    const { runtime, ctx } = this.deps;
    const ids = new Set(taskIds);
    const containers = await runtime.list(taskContainerLabels(ctx.containerLabel));
    await Promise.all(containers.filter((c) => ids.has(c.labels[LABELS.task])).map((c) => runtime.remove(c.id)));
  }

  /** Resolves when every launch, stop and watch under way has settled, or after `maxMs`. */
  async settled(maxMs: number): Promise<void> {
    await Promise.race([Promise.allSettled([...this.pending]), new Promise((r) => setTimeout(r, maxMs))]);
  }

  private track<T>(p: Promise<T>): void {
    this.pending.add(p);
    p.catch((e) => this.deps.ctx.log(`ecs controller: ${(e as Error).stack ?? e}`)).finally(() => this.pending.delete(p));
  }

  private setStatus(t: TaskRecord, status: TaskLastStatus, extra: Partial<TaskRecord> = {}) {
    this.deps.store.update(() => Object.assign(t, { lastStatus: status }, extra));
  }

  /** PENDING (image pull) → ACTIVATING (containers start) → RUNNING; a failure is TaskFailedToStart. */
  private async run(id: string): Promise<void> {
    const { ctx, runtime, store, opts, observer } = this.deps;
    const t = this.state.tasks[id];
    const td = taskDefinitionByArn(this.state, t.taskDefinitionArn)!;
    const svc = t._service ? this.state.services[t._service] : undefined;
    const aborted = () => t.desiredStatus === 'STOPPED';
    this.setStatus(t, 'PENDING', { pullStartedAt: nowSeconds() });
    const lbContainer = svc?.loadBalancers[0]?.containerName ?? td.containerDefinitions.find((c) => c.essential !== false)?.name;
    try {
      for (const c of td.containerDefinitions) {
        const digest = await runtime.ensureImage(c.image);
        const record = t.containers.find((r) => r.name === c.name);
        if (digest && record) store.update(() => (record.imageDigest = digest));
      }
      this.setStatus(t, 'ACTIVATING', { pullStoppedAt: nowSeconds() });
      if (aborted()) return await this.finishStop(id);
      if (ctx.logs) checkAwslogsGroups(td.containerDefinitions, ctx.logs);
      for (const c of td.containerDefinitions) {
        // The PORT contract (docs/sandbox.md): tasks share the host network, so a container whose task
        // definition sets PORT gets that one value replaced by a free host port, and the load balancer
        // sends its traffic there. Nothing else is injected but what Fargate sets too (AWS_REGION); a
        // container without PORT keeps its containerPort (one such task per port on this machine).
        // RunTask's container overrides: command replaces the definition's, environment adds to it (and wins).
        const override = t.overrides?.containerOverrides?.find((o) => o.name === c.name);
        const environment = [...(c.environment ?? []).filter((e) => !override?.environment?.some((o) => o.name === e.name)), ...(override?.environment ?? [])];
        const setsPort = environment.some((e) => e.name === 'PORT');
        const port = setsPort ? await freePort() : c.portMappings?.[0]?.containerPort;
        if (c.name === lbContainer && port !== undefined) store.update(() => (t._port = port));
        const env = [
          ...environment.map((e) => (e.name === 'PORT' ? `PORT=${port}` : `${e.name}=${e.value ?? ''}`)),
          // Secrets can't be resolved locally: the app gets a recognisable placeholder.
          ...(c.secrets ?? []).map((s) => `${s.name}=sandbox-secret-placeholder`),
          `AWS_REGION=${ctx.region}`,
          `FERRY_SANDBOX=1`,
        ];
        const dockerId = await runtime.run({
          name: `ferry-ecs-${svc?.serviceName ?? td.family}-${id.slice(0, 12)}-${c.name}`,
          image: c.image,
          command: override?.command ?? c.command,
          entryPoint: c.entryPoint,
          env,
          workingDirectory: c.workingDirectory,
          user: c.user,
          stopTimeoutSeconds: c.stopTimeout ?? opts.defaultStopTimeoutSeconds,
          init: c.linuxParameters?.initProcessEnabled === true,
          labels: {
            ...taskContainerLabels(ctx.containerLabel),
            [LABELS.cluster]: t.clusterName,
            [LABELS.service]: svc?.serviceName ?? '',
            [LABELS.task]: id,
            [LABELS.deployment]: t.startedBy ?? '',
            [LABELS.container]: c.name,
          },
        });
        this.ship(id, c, dockerId);
        const rec = t.containers.find((x) => x.name === c.name)!;
        store.update(() => {
          rec._dockerId = dockerId;
          rec.lastStatus = 'RUNNING';
        });
        if (aborted()) return await this.finishStop(id);
      }
      this.setStatus(t, 'RUNNING', { startedAt: nowSeconds() });
      this.attach(t, td, Date.now());
      observer.poke();
    } catch (e) {
      const message = (e as Error).message.replace(/^\(HTTP code \d+\)\s*\S+\s*-\s*/, '').trim();
      observer.observe({ kind: 'failedToStart', taskId: id, stage: e instanceof PullError ? 'pull' : e instanceof LoggerInitError ? 'init' : 'start', message });
      await this.finishStop(id);
    }
  }

  /** Ships a container's stdout/stderr lines to its awslogs stream (logs/awslogs.ts), when it has one. */
  private ship(taskId: string, c: TaskDefRecord['containerDefinitions'][number], dockerId: string): void {
    const { runtime, ctx } = this.deps;
    const target = awslogsTargets([c], taskId)[0];
    if (!target || !ctx.logs || !runtime.follow) return;
    const sink = ctx.logs;
    const p = runtime.follow(dockerId, (line, ts) => sink.put(target.group, target.stream, line, ts)).catch((e) => ctx.log(`logs of ${dockerId}: ${(e as Error).message}`));
    this.shipping.set(taskId, [...(this.shipping.get(taskId) ?? []), p]);
  }

  /** DEACTIVATING (drain) → STOPPING (docker stop) → DEPROVISIONING (remove) → STOPPED. */
  private async finishStop(id: string): Promise<void> {
    const { ctx, runtime, store, lb, opts, observer } = this.deps;
    const t = this.state.tasks[id];
    if (!t || t.lastStatus === 'STOPPED') return;
    this.busy.add(id);
    try {
      await lb.drain(t, t.lastStatus === 'DEACTIVATING');
      for (const m of this.monitors.get(id) ?? []) m.stop();
      this.monitors.delete(id);
      this.setStatus(t, 'STOPPING', { stoppingAt: t.stoppingAt ?? nowSeconds() });
      const td = taskDefinitionByArn(this.state, t.taskDefinitionArn);
      await Promise.all(
        t.containers
          .filter((c) => c._dockerId)
          .map(async (c) => {
            const timeout = td?.containerDefinitions.find((d) => d.name === c.name)?.stopTimeout ?? opts.defaultStopTimeoutSeconds;
            await runtime.stop(c._dockerId!, timeout).catch((e) => ctx.log(`docker stop ${c._dockerId}: ${(e as Error).message}`));
            const info = await runtime.inspect(c._dockerId!);
            store.update(() => {
              if (info && !info.running && c.exitCode === undefined) c.exitCode = info.exitCode;
              c.lastStatus = 'STOPPED';
            });
          }),
      );
      // The last lines a container wrote reach its stream before the container is removed.
      await Promise.race([Promise.allSettled(this.shipping.get(id) ?? []), new Promise((r) => setTimeout(r, 3000))]);
      this.shipping.delete(id);
      this.setStatus(t, 'DEPROVISIONING', { executionStoppedAt: nowSeconds() });
      store.update(() => {
        t.lastStatus = 'STOPPED';
        t.stoppedAt = nowSeconds();
        for (const c of t.containers) c.lastStatus = 'STOPPED';
      });
      // The stopped container stays (its output readable with `docker logs <runtimeId>`); older ones go.
      await this.removeOldStopped(t._service);
    } finally {
      this.busy.delete(id);
      observer.poke();
    }
  }
}
