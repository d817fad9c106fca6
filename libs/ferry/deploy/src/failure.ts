/**
 * Why a rollout failed: the deployment's rolloutStateReason, the stopped tasks of that deployment
 * (stopCode, stoppedReason, container exit codes) and the failure events. Formatting is pure; the
 * collector makes the ListTasks/DescribeTasks calls.
 */
import type { EcsDeployment, EcsPort, EcsTask } from '@ferry/aws';

/** Service-event texts that explain a failure (ECS-SEMANTICS §1, §2). */
const FAILURE_EVENT = /fail|unable|rolling back|unhealthy|stopped .* pending|error/i;

export const failureEvents = (events: string[]): string[] => events.filter((e) => FAILURE_EVENT.test(e));

/** One line per stopped task: `task 1a2b: EssentialContainerExited: Essential container in task exited (api exit 1: ...)`. */
export function describeStoppedTasks(tasks: EcsTask[], limit = 5): string[] {
  // Tasks the scheduler stopped (scale-in, rollback) explain nothing: list the real failures first.
  const scheduler = (t: EcsTask) => (t.stopCode === 'ServiceSchedulerInitiated' ? 1 : 0);
  const lines = tasks
    .sort((a, b) => scheduler(a) - scheduler(b) || (b.stoppedAt?.valueOf() ?? 0) - (a.stoppedAt?.valueOf() ?? 0))
    .map((t) => {
      const id = (t.taskArn ?? '').split('/').pop();
      const containers = (t.containers ?? [])
        .filter((c) => c.exitCode !== undefined || c.reason)
        .map((c) => `${c.name} exit ${c.exitCode ?? '?'}${c.reason ? `: ${c.reason}` : ''}`);
      return `task ${id}: ${t.stopCode ?? 'stopped'}: ${t.stoppedReason ?? 'no reason given'}${containers.length ? ` (${containers.join('; ')})` : ''}`;
    });
  // The same crash repeated ten times reads better once, with a count.
  const counted = new Map<string, number>();
  const firstId = new Map<string, string>();
  for (const l of lines) {
    const key = l.replace(/^task \S+: /, '');
    counted.set(key, (counted.get(key) ?? 0) + 1);
    if (!firstId.has(key)) firstId.set(key, l.split(':')[0]);
  }
  return [...counted.entries()].slice(0, limit).map(([key, n]) => `${firstId.get(key)}${n > 1 ? ` (and ${n - 1} more like it)` : ''}: ${key}`);
}

export interface FailureReport {
  rolloutStateReason?: string;
  /** The deployment's stopped tasks as ECS described them (for their logs). */
  tasks?: EcsTask[];
  stoppedTasks: string[];
  events: string[];
}

export function formatFailure(r: FailureReport): string[] {
  return [
    ...(r.rolloutStateReason && !/ in progress\.?$/.test(r.rolloutStateReason) ? [`rollout: ${r.rolloutStateReason}`] : []),
    ...r.stoppedTasks.map((l) => `stopped ${l}`),
    ...r.events.slice(-8).map((e) => `event: ${e}`),
  ];
}

/** Stopped tasks started by `deploymentId` (tasks record their deployment in `startedBy`). */
export async function collectFailure(
  ecs: EcsPort,
  cluster: string,
  service: string,
  deployment: EcsDeployment | undefined,
  deploymentId: string,
  events: string[],
): Promise<FailureReport> {
  let stopped: EcsTask[] = [];
  try {
    const arns = await ecs.listTasks(cluster, service, 'STOPPED');
    if (arns.length) stopped = (await ecs.describeTasks(cluster, arns.slice(0, 100))).filter((t) => t.startedBy === deploymentId);
  } catch {
    // The reasons are a courtesy on top of the failure itself; never hide the failure behind them.
  }
  return { rolloutStateReason: deployment?.rolloutStateReason, tasks: [...stopped], stoppedTasks: describeStoppedTasks(stopped), events: failureEvents(events) };
}
