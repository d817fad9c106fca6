/**
 * The ECS service scheduler of the sandbox: a reconcile loop (every `tickMs`, and right after an API
 * change or a task event). Each tick asks the scheduler (scheduler/reconcile.ts) what every service
 * does next, has the task runner carry out the launches and stops, and writes the state once.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { BufferedStateStore, SandboxContext } from '../context.ts';
import { adoptTasks } from './adoption.ts';
import type { ControllerPort } from './api/common.ts';
import type { EcsState, ServiceRecord, TaskRecord } from './model.ts';
import type { ControllerOptions } from './options.ts';
import type { TaskRuntime } from './runtime.ts';
import { pruneStoppedTasks, reconcileService } from './scheduler/reconcile.ts';
import { observeTask, type TaskObservation } from './scheduler/task-events.ts';
import { applyAll, type SchedulerState, type StepEnv, type Transition } from './scheduler/transitions.ts';
import { TaskRunner } from './task-runner.ts';
import { type Arns, serviceTasks } from './views.ts';

/** The ECS controller of one sandbox: the reconcile loop, target registration and the task runner. */
export class Controller implements ControllerPort {
  private readonly runner: TaskRunner;
  private readonly scheduler: SchedulerState;
  private readonly env: StepEnv;
  private timer: NodeJS.Timeout | undefined;
  private pokeScheduled = false;
  private running = false;
  /** Set once stopped: late callbacks (container exits, launches) must not write stale state. */
  private disposed = false;

  constructor(
    private readonly ctx: SandboxContext,
    private readonly store: BufferedStateStore<EcsState>,
    private readonly runtime: TaskRuntime,
    arns: Arns,
    private readonly opts: ControllerOptions,
  ) {
    this.scheduler = { get ecs() { return store.get(); }, backoff: new Map() };
    this.env = {
      clock: () => Date.now(),
      taskId: () => randomBytes(16).toString('hex'),
      eventId: () => randomUUID(),
      arns,
      noHealthCheckGraceMs: opts.noHealthCheckGraceMs,
      stoppedRetentionMs: opts.stoppedRetentionMs,
      failedVisibleMs: opts.failedVisibleMs,
    };
    this.runner = new TaskRunner({ ctx, store, runtime, lb: { drain: (t, wait) => this.drain(t, wait) }, opts, observer: { observe: (o) => this.observe(o), poke: () => this.poke() } });
    ctx.elb?.onHealth((tg, target, health) => {
      const t = Object.values(this.state.tasks).find((x) => x._tg === tg && x._port === target.port && x.lastStatus !== 'STOPPED');
      if (t) this.observe({ kind: 'targetHealth', taskId: t.id, targetGroup: tg, healthy: health.state === 'healthy', description: health.description });
    });
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

  runTask(task: TaskRecord): void {
    this.carryOut(applyAll(this.scheduler, [{ kind: 'launchTask', task }], this.env));
  }

  stopTask(taskId: string, stopCode: string, reason: string): void {
    this.observe({ kind: 'stopRequested', taskId, stopCode, reason });
  }

  // ---- lifecycle --------------------------------------------------------------------------------

  async start(): Promise<void> {
    await adoptTasks({ ctx: this.ctx, store: this.store, runtime: this.runtime, runner: this.runner });
    this.running = true;
    this.timer = setInterval(() => this.tick(), this.opts.tickMs);
    this.poke();
  }

  async stop(removeTasks: boolean): Promise<void> {
    this.running = false;
    if (this.timer) clearInterval(this.timer);
    this.runner.stopMonitors();
    if (removeTasks) {
      this.store.update((s) => {
        for (const t of Object.values(s.tasks)) {
          if (t.lastStatus === 'STOPPED') continue;
          t.desiredStatus = 'STOPPED';
          t.stopCode ??= 'UserInitiated';
          t.stoppedReason ??= 'Sandbox stopped with its tasks removed';
        }
      });
      await this.runner.removeAllContainers();
      // A launch that was under way may have created a container after the listing.
      await this.runner.settled(10_000);
      await this.runner.removeAllContainers();
      const now = Date.now() / 1000;
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
      await this.runner.settled(2000);
    }
    this.flush();
    this.disposed = true;
  }

  /** Service key -> load balancer URL, for GET /_sandbox/info. */
  info() {
    const lbs: Record<string, string> = {};
    for (const [key, svc] of Object.entries(this.state.services)) {
      if (svc.status === 'INACTIVE') continue;
      const tg = this.targetGroupOf(svc);
      const url = tg ? this.ctx.elb?.url(tg) : undefined;
      if (url) lbs[key] = url;
    }
    return { loadBalancers: lbs };
  }

  // ---- reconcile --------------------------------------------------------------------------------

  /** One pass over every service, then the state is written once (when anything changed). */
  private tick(): void {
    if (!this.running) return;
    try {
      for (const [key, svc] of Object.entries(this.state.services)) {
        if (svc.status === 'INACTIVE') continue;
        this.registerTargets(key, svc);
        this.carryOut(reconcileService(this.scheduler, key, this.env));
      }
      this.carryOut(pruneStoppedTasks(this.scheduler, this.env));
    } catch (e) {
      this.ctx.log(`ecs controller tick failed: ${(e as Error).stack ?? e}`);
    }
    this.flush();
  }

  /** A task event or a stop request: decided and applied at once, written with the next tick. */
  private observe(obs: TaskObservation): void {
    if (this.disposed) return;
    const trs = applyAll(this.scheduler, observeTask(this.scheduler, obs, this.env), this.env);
    this.carryOut(trs);
    if (obs.kind === 'containerHealth' || obs.kind === 'targetHealth' ? trs.length > 0 : trs.some((t) => t.kind === 'essentialContainerExited')) this.poke();
  }

  /** The Docker and load-balancer side of applied transitions. */
  private carryOut(trs: Transition[]): void {
    if (trs.length) this.store.markDirty();
    for (const tr of trs) {
      if (tr.kind === 'launchTask') this.runner.launch(tr.task.id);
      else if (tr.kind === 'stopTask' || tr.kind === 'essentialContainerExited') this.runner.stop(tr.taskId);
      else if (tr.kind === 'tasksPruned') void this.runner.removeTaskContainers(tr.taskIds).catch((e) => this.ctx.log(`removing pruned task containers: ${(e as Error).message}`));
    }
  }

  private flush(): void {
    if (!this.disposed) this.store.flush();
  }

  /** The ELBv2 target group the service's tasks register in (the first loadBalancers entry naming one the sandbox knows). */
  private targetGroupOf(svc: ServiceRecord): string | undefined {
    if (!this.ctx.elb) return undefined;
    return svc.loadBalancers.find((l) => l.targetGroupArn && this.ctx.elb!.targetGroup(l.targetGroupArn))?.targetGroupArn;
  }

  /** ECS registers a task in the service's target group (as `127.0.0.1:<its port>`) once it is RUNNING. */
  private registerTargets(key: string, svc: ServiceRecord): void {
    const tg = this.targetGroupOf(svc);
    if (!tg || !this.ctx.elb) return;
    for (const t of serviceTasks(this.state, key)) {
      if (t.lastStatus !== 'RUNNING' || t.desiredStatus !== 'RUNNING' || t._port === undefined || t._tg !== undefined) continue;
      this.store.update(() => (t._tg = tg));
      this.ctx.elb.register(tg, { id: '127.0.0.1', port: t._port });
    }
  }

  /**
   * Takes a stopping task out of its load balancer: an ELBv2 target is deregistered and (for a task
   * that was serving, `wait`) the stop waits for the target group's deregistration delay.
   */
  private async drain(t: TaskRecord, wait: boolean): Promise<void> {
    if (t._tg && t._port !== undefined && this.ctx.elb) {
      const done = this.ctx.elb.deregister(t._tg, { id: '127.0.0.1', port: t._port });
      if (wait) await done;
    }
  }
}
