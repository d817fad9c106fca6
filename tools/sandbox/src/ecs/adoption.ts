/**
 * Adoption after a restart: the sandbox's state survives in `state/ecs.json`, and task containers may
 * have kept running while it was down. On start, every task that is still RUNNING with all its
 * essential containers up is re-adopted (its exits and health checks are watched again, its health
 * kept); every other unfinished task is settled as STOPPED and its containers removed; containers no
 * task claims are removed. A task that ends up STOPPED leaves its load balancer's target group, as ECS
 * deregisters a stopped task's target: a sandbox stopped with its tasks removed (`down`) stops them
 * without the ELBv2 part draining them, and the next start must not resume their targets as
 * healthy (the load balancer would send requests to containers that are gone).
 */
import type { SandboxContext, StateStore } from '../context.ts';
import { nowSeconds, taskDefinitionByArn, type EcsState, type TaskRecord } from './model.ts';
import { LABELS, taskContainerLabels } from './options.ts';
import type { ContainerState, TaskRuntime } from './runtime.ts';
import { stopReasons } from './scheduler/messages.ts';
import type { TaskRunner } from './task-runner.ts';

/** What adoption works with. */
export interface AdoptionDeps {
  ctx: Pick<SandboxContext, 'containerLabel' | 'elb'>;
  store: StateStore<EcsState>;
  runtime: TaskRuntime;
  runner: Pick<TaskRunner, 'attach'>;
}

/** Re-adopts task containers still running from a previous sandbox process; settles the rest. */
export async function adoptTasks({ ctx, store, runtime, runner }: AdoptionDeps): Promise<void> {
  const containers = await runtime.list(taskContainerLabels(ctx.containerLabel));
  const byTask = new Map<string, ContainerState[]>();
  for (const c of containers) {
    const id = c.labels[LABELS.task];
    byTask.set(id, [...(byTask.get(id) ?? []), c]);
  }
  const state = store.get();
  const now = nowSeconds();
  // Targets are `127.0.0.1:<port>`, and a port a stopped task had may serve a task adopted now.
  const targetKey = (t: TaskRecord) => (t._tg && t._port !== undefined ? `${t._tg} ${t._port}` : undefined);
  const stoppedTargets: TaskRecord[] = [];
  const adoptedTargets = new Set<string>();
  for (const t of Object.values(state.tasks)) {
    if (t.lastStatus === 'STOPPED') {
      stoppedTargets.push(t);
      // A stopped task's kept container (its output) stays; anything else of it goes below.
      const kept = (byTask.get(t.id) ?? []).filter((m) => !m.running && t.containers.some((c) => c._dockerId === m.id && !c._removed));
      const rest = (byTask.get(t.id) ?? []).filter((m) => !kept.includes(m));
      if (rest.length) byTask.set(t.id, rest);
      else byTask.delete(t.id);
      continue;
    }
    const mine = byTask.get(t.id) ?? [];
    byTask.delete(t.id);
    const essentialRunning = t.containers
      .filter((c) => c.essential)
      .every((c) => mine.some((m) => m.labels[LABELS.container] === c.name && m.running && m.id === c._dockerId));
    const td = taskDefinitionByArn(state, t.taskDefinitionArn);
    if (t.lastStatus === 'RUNNING' && t.desiredStatus === 'RUNNING' && essentialRunning && td) {
      runner.attach(t, td, (t.startedAt ?? now) * 1000, true);
      const key = targetKey(t);
      if (key) adoptedTargets.add(key);
      continue;
    }
    store.update(() => {
      if (t.desiredStatus === 'RUNNING') {
        t.desiredStatus = 'STOPPED';
        const exited = t.lastStatus === 'RUNNING';
        t.stopCode = exited ? 'EssentialContainerExited' : 'TaskFailedToStart';
        t.stoppedReason = exited ? stopReasons.essentialExited : 'Task was still starting when the sandbox stopped';
      }
      t.stoppingAt ??= now;
    });
    for (const m of mine) {
      const info = await runtime.inspect(m.id);
      const rec = t.containers.find((c) => c.name === m.labels[LABELS.container]);
      if (rec && info && !info.running && rec.exitCode === undefined) store.update(() => (rec.exitCode = info.exitCode));
      await runtime.stop(m.id, 5);
      await runtime.remove(m.id);
    }
    stoppedTargets.push(t);
    store.update(() => {
      t.lastStatus = 'STOPPED';
      t.executionStoppedAt ??= now;
      t.stoppedAt = now;
      for (const c of t.containers) c.lastStatus = 'STOPPED';
    });
  }
  // Containers no task claims (e.g. the state file was reset): remove them.
  for (const list of byTask.values()) for (const c of list) await runtime.remove(c.id);
  // Not awaited: a target drains for its group's deregistration delay and takes no new requests meanwhile.
  for (const t of stoppedTargets) {
    const key = targetKey(t);
    if (key && !adoptedTargets.has(key)) void ctx.elb?.deregister(t._tg!, { id: '127.0.0.1', port: t._port! });
  }
}
