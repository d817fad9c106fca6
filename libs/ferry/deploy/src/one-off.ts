/**
 * One-off tasks: a standalone ECS task (RunTask) of the app's task definition with another command
 * — `run`, and the migration of a deploy (migrate.ts). Started with the service's network and launch
 * settings, watched until it stops while its awslogs stream is tailed, stopped (StopTask) when the
 * run is interrupted or runs out of time. The verdict is the essential container's exit code
 * (ECS-SEMANTICS §3: stopCode EssentialContainerExited with `containers[].exitCode`).
 */
import { FerryError, redact, type Clock, type Reporter, type StepName } from '@ferry/core';
import type { EcsPort, EcsService, EcsTask, LogsPort, RunTaskInput } from '@ferry/aws';
import { taskLogStreams } from './logs.ts';
import { cleanLogLine } from './task-logs.ts';

/** Where and how the task runs: the service's launch type or capacity providers and its network. */
export type LaunchSettings = Pick<RunTaskInput, 'launchType' | 'capacityProviderStrategy' | 'platformVersion' | 'networkConfiguration'>;

export interface OneOffSpec {
  app: string;
  cluster: string;
  taskDefinitionArn: string;
  /** The container whose command is replaced and whose exit code is the verdict. */
  containerName: string;
  command: string[];
  /** Added to the container's environment (ContainerOverride.environment). */
  environment?: Record<string, string>;
  launch: LaunchSettings;
  /** RunTask `startedBy` (`ferry-run`, `ferry-migrate`): up to 128 letters, digits, - _ /. */
  startedBy: string;
}

export interface OneOffSettings {
  reporter: Reporter;
  /** Ctrl-C: the task is stopped (StopTask), then watched until STOPPED. */
  signal?: AbortSignal;
  /** The task is stopped when it runs longer. */
  timeoutMs: number;
  clock: Clock;
  /** Between two looks at the task and its log stream (default 2 s). */
  pollMs?: number;
  /** Each line the task writes, as it arrives (default: an info event). */
  onLine?: (line: string) => void;
  step?: StepName;
  /** How long to wait for the task to reach STOPPED after StopTask (default 120 s). */
  stopWaitMs?: number;
}

/** How a one-off task ended. */
export type OneOffOutcome =
  /** The essential container exited by itself; `exitCode` says how. */
  | 'exited'
  /** The task never ran its command (image pull, resources, logger): TaskFailedToStart. */
  | 'failed-to-start'
  /** ferry stopped it: the timeout was reached. */
  | 'timeout'
  /** ferry stopped it: the run was interrupted (Ctrl-C). */
  | 'interrupted'
  /** Someone or something else stopped it (StopTask elsewhere, a scale-in, a spot interruption). */
  | 'stopped';

export interface OneOffResult {
  taskArn: string;
  taskId: string;
  outcome: OneOffOutcome;
  exitCode?: number;
  stopCode?: string;
  stoppedReason?: string;
  /** The container's own reason (CannotPullContainerError…), when ECS gives one. */
  containerReason?: string;
  startedAt: number;
  durationMs: number;
  /** The task's last log lines (at most 20), cleaned and redacted. */
  lastLines: string[];
  /** Where its output is (awslogs group and stream), when known. */
  logStream?: { group: string; stream: string };
}

const LAST_LINES = 20;

/**
 * The launch settings a one-off task of `service` takes from it: its launch type or capacity
 * provider strategy, platform version and network (awsvpc subnets and security groups). Pure.
 */
export function launchOfService(service: Pick<EcsService, 'launchType' | 'capacityProviderStrategy' | 'platformVersion' | 'networkConfiguration'> | undefined): LaunchSettings {
  if (!service) return {};
  const out: LaunchSettings = {};
  if (service.capacityProviderStrategy?.length) out.capacityProviderStrategy = service.capacityProviderStrategy;
  else if (service.launchType) out.launchType = service.launchType;
  if (service.platformVersion && service.platformVersion !== 'LATEST') out.platformVersion = service.platformVersion;
  if (service.networkConfiguration) out.networkConfiguration = service.networkConfiguration;
  return out;
}

/** The RunTask request of a spec. Pure. */
export function runTaskInput(spec: OneOffSpec): RunTaskInput {
  const environment = Object.entries(spec.environment ?? {}).map(([name, value]) => ({ name, value }));
  return {
    cluster: spec.cluster,
    taskDefinition: spec.taskDefinitionArn,
    count: 1,
    startedBy: spec.startedBy,
    ...spec.launch,
    overrides: { containerOverrides: [{ name: spec.containerName, command: spec.command, ...(environment.length && { environment }) }] },
    // The revision's tags (app, content tag, git revision) travel with the task: a bill or an audit
    // can tell what ran.
    propagateTags: 'TASK_DEFINITION',
  };
}

/** The verdict of a STOPPED task for `container`. Pure. */
export function oneOffOutcome(task: EcsTask, container: string, stoppedBy?: 'timeout' | 'interrupted'): { outcome: OneOffOutcome; exitCode?: number; containerReason?: string } {
  const c = task.containers?.find((x) => x.name === container) ?? task.containers?.[0];
  const exitCode = c?.exitCode ?? undefined;
  const containerReason = c?.reason ?? undefined;
  const base = { ...(exitCode !== undefined && { exitCode }), ...(containerReason && { containerReason }) };
  if (stoppedBy) return { outcome: stoppedBy, ...base };
  if (task.stopCode === 'TaskFailedToStart' || (exitCode === undefined && task.startedAt === undefined)) return { outcome: 'failed-to-start', ...base };
  if (task.stopCode === 'EssentialContainerExited' && exitCode !== undefined) return { outcome: 'exited', ...base };
  return { outcome: exitCode !== undefined && task.stopCode === undefined ? 'exited' : 'stopped', ...base };
}

/** Starts the task, streams its output, waits until it stops (stopping it on abort or timeout). */
export async function runOneOff(ports: { ecs: EcsPort; logs?: LogsPort }, spec: OneOffSpec, s: OneOffSettings): Promise<OneOffResult> {
  const { ecs, logs } = ports;
  const step = s.step ?? 'run-task';
  const pollMs = s.pollMs ?? 2000;
  const emitLine = s.onLine ?? ((line: string) => s.reporter.emit({ kind: 'info', app: spec.app, message: line }));
  if (s.signal?.aborted) throw new FerryError('INTERRUPTED', `${spec.app}: interrupted before the task was started; nothing ran.`);

  const td = await ecs.describeTaskDefinition(spec.taskDefinitionArn).catch(() => undefined);
  const startedAt = s.clock.now();
  const task = await ecs.runTask(runTaskInput(spec));
  const taskArn = task.taskArn ?? '';
  const taskId = taskArn.split('/').pop() ?? '';
  const logStream = taskLogStreams(td?.taskDefinition.containerDefinitions, taskArn).find((x) => x.container === spec.containerName);
  s.reporter.emit({
    kind: 'step',
    app: spec.app,
    step,
    status: 'start',
    message: `task ${taskId} started (${shortArn(spec.taskDefinitionArn)})${logStream ? `, logs in ${logStream.group} ${logStream.stream}` : ', no awslogs stream to follow'}`,
    data: { taskArn },
  });

  const last: string[] = [];
  let token: string | undefined;
  const pump = async () => {
    if (!logStream || !logs) return;
    // Read until the stream has nothing more right now (a page is at most 10 000 events or 1 MB).
    for (let i = 0; i < 20; i++) {
      const r = await logs.readStream(logStream.group, logStream.stream, token).catch(() => undefined);
      if (!r) return;
      const same = r.nextToken === token;
      token = r.nextToken;
      for (const e of r.events) {
        const line = cleanLogLine(e.message, 2000);
        emitLine(line);
        last.push(line);
        if (last.length > LAST_LINES) last.shift();
      }
      if (same || r.events.length === 0) return;
    }
  };

  let stoppedBy: 'timeout' | 'interrupted' | undefined;
  let stopAsked = false;
  let stopDeadline = Infinity;
  const deadline = startedAt + s.timeoutMs;
  let current: EcsTask = task;
  const stop = async (why: 'timeout' | 'interrupted') => {
    stoppedBy = why;
    stopAsked = true;
    stopDeadline = s.clock.now() + (s.stopWaitMs ?? 120_000);
    const reason = why === 'timeout' ? `Stopped by ferry: the --timeout of ${Math.round(s.timeoutMs / 1000)} s was reached` : 'Stopped by ferry: the run was interrupted (Ctrl-C)';
    s.reporter.emit({ kind: 'warn', app: spec.app, message: `stopping task ${taskId}: ${why === 'timeout' ? `it ran longer than ${Math.round(s.timeoutMs / 1000)} s` : 'interrupted'}` });
    await ecs.stopTask(spec.cluster, taskArn, reason);
  };

  while (current.lastStatus !== 'STOPPED') {
    // After StopTask the run keeps watching (no second abort), until STOPPED or the stop wait is over.
    const slept = await s.clock.sleep(pollMs, stopAsked ? undefined : s.signal);
    if (!slept && !stopAsked) await stop('interrupted');
    else if (!stopAsked && s.clock.now() >= deadline) await stop('timeout');
    await pump();
    current = (await ecs.describeTasks(spec.cluster, [taskArn]))[0] ?? current;
    if (stopAsked && current.lastStatus !== 'STOPPED' && s.clock.now() > stopDeadline) {
      throw new FerryError('TASK_FAILED', `${spec.app}: task ${taskId} was asked to stop but is still ${current.lastStatus}; look at it in the ECS console (cluster ${spec.cluster}).`, { exitCode: stoppedBy === 'interrupted' ? 130 : 124 });
    }
  }
  // awslogs may deliver the last lines a moment after the task stopped.
  await pump();
  if (logStream && logs && last.length === 0) {
    await s.clock.sleep(Math.min(pollMs, 2000));
    await pump();
  }

  const verdict = oneOffOutcome(current, spec.containerName, stoppedBy);
  return {
    taskArn,
    taskId,
    ...verdict,
    ...(current.stopCode && { stopCode: current.stopCode }),
    ...(current.stoppedReason && { stoppedReason: redact(current.stoppedReason) }),
    startedAt,
    durationMs: s.clock.now() - startedAt,
    lastLines: last,
    ...(logStream && { logStream: { group: logStream.group, stream: logStream.stream } }),
  };
}

/** The lines of a failure report: how the task ended, then its last log lines. Pure. */
export function describeOneOff(r: OneOffResult): string[] {
  const out = [`task ${r.taskId}: ${outcomeText(r)}`];
  if (r.stopCode || r.stoppedReason) out.push(`stop: ${r.stopCode ?? '-'}: ${r.stoppedReason ?? '-'}`);
  if (r.containerReason) out.push(`container: ${r.containerReason}`);
  if (r.lastLines.length) {
    out.push(`last ${r.lastLines.length} line${r.lastLines.length === 1 ? '' : 's'}${r.logStream ? ` of ${r.logStream.group} ${r.logStream.stream}` : ''}:`);
    for (const l of r.lastLines) out.push(`  | ${l}`);
  } else if (r.logStream) out.push(`no output in ${r.logStream.group} ${r.logStream.stream}`);
  else out.push('no awslogs stream: the task definition has no awslogs log configuration with a stream prefix');
  return out;
}

export function outcomeText(r: Pick<OneOffResult, 'outcome' | 'exitCode' | 'durationMs'>): string {
  const took = `after ${(r.durationMs / 1000).toFixed(1)} s`;
  switch (r.outcome) {
    case 'exited':
      return `exited with code ${r.exitCode} ${took}`;
    case 'failed-to-start':
      return 'failed to start';
    case 'timeout':
      return `stopped by ferry at the timeout ${took}${r.exitCode !== undefined ? ` (exit code ${r.exitCode})` : ''}`;
    case 'interrupted':
      return `stopped by ferry on interrupt ${took}${r.exitCode !== undefined ? ` (exit code ${r.exitCode})` : ''}`;
    case 'stopped':
      return `stopped ${took}${r.exitCode !== undefined ? ` (exit code ${r.exitCode})` : ''}`;
  }
}

/**
 * ferry's exit code for a finished one-off task (docs/runbook.md, "Exit codes of run"): the
 * container's own exit code when it exited by itself; 124 when ferry stopped it at --timeout; 130
 * when interrupted; 125 when it could not start or was stopped by something else (docker run's
 * convention for "the container did not run your command to its end").
 */
export function oneOffExitCode(r: Pick<OneOffResult, 'outcome' | 'exitCode'>): number {
  switch (r.outcome) {
    case 'exited':
      return r.exitCode ?? 125;
    case 'timeout':
      return 124;
    case 'interrupted':
      return 130;
    default:
      return 125;
  }
}

const shortArn = (arn: string) => arn.replace(/^.*task-definition\//, '');
