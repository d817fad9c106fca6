/**
 * What the sandbox console shows (`GET /_sandbox/console/state`): clusters, services with their
 * deployments, events, load balancer and targets, tasks with their last log lines, and the ECR
 * repositories with their tags. Pure: derived from the in-memory ECS, ECR and Logs state, so it is
 * table-tested without a sandbox. Times are ISO strings; lists are newest first.
 */
import type { ImageEntry } from '../ecr/images.ts';
import type { EcsState, TaskRecord } from '../ecs/model.ts';
import { taskDefinitionByArn } from '../ecs/model.ts';
import { countsHealthy } from '../ecs/scheduler/task-events.ts';
import { isLive, serviceView } from '../ecs/views.ts';
import { awslogsTargets } from '../logs/awslogs.ts';
import type { LogsState } from '../logs/index.ts';

/** How much the console shows of lists that grow. */
export const CONSOLE_LIMITS = { events: 8, stoppedTasks: 10, logLines: 20, images: 10 } as const;

/** What the view is built from. `ecs` is absent when the sandbox serves no ECS part. */
export interface ConsoleSources {
  /** Epoch milliseconds. */
  now: number;
  ecs?: EcsState;
  logs: LogsState;
  repositories: { name: string; uri: string; images: ImageEntry[] }[];
}

export interface ConsoleDeployment {
  id: string;
  status: string;
  taskDefinition: string;
  rolloutState: string;
  rolloutStateReason: string;
  desired: number;
  running: number;
  pending: number;
  failed: number;
  createdAt: string;
}

export interface ConsoleService {
  cluster: string;
  name: string;
  status: string;
  taskDefinition: string;
  desired: number;
  running: number;
  pending: number;
  /** The sandbox load balancer of the service, when it has loadBalancers. */
  url?: string;
  /** Tasks the load balancer sends requests to (RUNNING and healthy), with their host ports. */
  targets: { task: string; address: string }[];
  deployments: ConsoleDeployment[];
  events: { at: string; message: string }[];
}

export interface ConsoleTask {
  id: string;
  cluster: string;
  /** Owning service name, absent for a standalone task. */
  service?: string;
  taskDefinition: string;
  startedBy?: string;
  lastStatus: string;
  desiredStatus: string;
  health: string;
  createdAt: string;
  stoppedAt?: string;
  stopCode?: string;
  stoppedReason?: string;
  containers: { name: string; lastStatus: string; health: string; exitCode?: number; reason?: string }[];
  /** The newest lines of each awslogs container's stream (oldest first). */
  logs: { container: string; group: string; stream: string; lines: { at: string; message: string }[] }[];
}

export interface ConsoleState {
  generatedAt: string;
  ecs: boolean;
  clusters: { name: string; status: string; services: number; runningTasks: number }[];
  services: ConsoleService[];
  tasks: ConsoleTask[];
  repositories: { name: string; uri: string; images: { digest: string; tags: string[]; pushedAt: string }[] }[];
}

const iso = (ms: number) => new Date(ms).toISOString();
/** ECS records hold epoch seconds (the wire's timestamps). */
const isoSeconds = (s: number) => iso(Math.round(s * 1000));
/** `arn:…:task-definition/web:3` -> `web:3`. */
export const shortTaskDefinition = (arn: string) => arn.replace(/^arn:[^/]*:task-definition\//, '');

function taskView(ecs: EcsState, logs: LogsState, t: TaskRecord): ConsoleTask {
  const containers = taskDefinitionByArn(ecs, t.taskDefinitionArn)?.containerDefinitions ?? [];
  return {
    id: t.id,
    cluster: t.clusterName,
    ...(t._service ? { service: t._service.slice(t.clusterName.length + 1) } : {}),
    taskDefinition: shortTaskDefinition(t.taskDefinitionArn),
    ...(t.startedBy ? { startedBy: t.startedBy } : {}),
    lastStatus: t.lastStatus,
    desiredStatus: t.desiredStatus,
    health: t.healthStatus,
    createdAt: isoSeconds(t.createdAt),
    ...(t.stoppedAt !== undefined ? { stoppedAt: isoSeconds(t.stoppedAt) } : {}),
    ...(t.stopCode ? { stopCode: t.stopCode } : {}),
    ...(t.stoppedReason ? { stoppedReason: t.stoppedReason } : {}),
    containers: t.containers.map((c) => ({
      name: c.name,
      lastStatus: c.lastStatus,
      health: c.healthStatus,
      ...(c.exitCode !== undefined ? { exitCode: c.exitCode } : {}),
      ...(c.reason ? { reason: c.reason } : {}),
    })),
    logs: awslogsTargets(containers, t.id).map((target) => ({
      ...target,
      lines: (logs.groups[target.group]?.streams[target.stream]?.events ?? []).slice(-CONSOLE_LIMITS.logLines).map((e) => ({ at: iso(e.timestamp), message: e.message })),
    })),
  };
}

/** The console's state: every value as the page prints it, nothing internal (no `_` fields). */
export function consoleView(src: ConsoleSources): ConsoleState {
  const ecs = src.ecs;
  const tasks = ecs ? Object.values(ecs.tasks).sort((a, b) => b.createdAt - a.createdAt || a.id.localeCompare(b.id)) : [];
  const services = ecs ? Object.values(ecs.services).filter((s) => s.status !== 'INACTIVE') : [];
  const live = tasks.filter(isLive);
  const shown = [...live, ...tasks.filter((t) => !isLive(t)).slice(0, CONSOLE_LIMITS.stoppedTasks)].sort((a, b) => b.createdAt - a.createdAt || a.id.localeCompare(b.id));
  return {
    generatedAt: iso(src.now),
    ecs: !!ecs,
    clusters: ecs
      ? Object.values(ecs.clusters)
          .sort((a, b) => a.name.localeCompare(b.name))
          .map((c) => ({
            name: c.name,
            status: c.status,
            services: services.filter((s) => s.clusterName === c.name).length,
            runningTasks: live.filter((t) => t.clusterName === c.name && t.lastStatus === 'RUNNING').length,
          }))
      : [],
    services: services
      .sort((a, b) => a.clusterName.localeCompare(b.clusterName) || a.serviceName.localeCompare(b.serviceName))
      .map((svc) => {
        const v = serviceView(ecs!, svc, false);
        const key = `${svc.clusterName}/${svc.serviceName}`;
        return {
          cluster: svc.clusterName,
          name: svc.serviceName,
          status: svc.status,
          taskDefinition: shortTaskDefinition(svc.taskDefinition),
          desired: v.desiredCount,
          running: v.runningCount,
          pending: v.pendingCount,
          // The service's URL: the URL tag of its target group's load balancer.
          ...(urlTag(svc) ? { url: urlTag(svc) } : {}),
          targets: urlTag(svc)
            ? live.filter((t) => t._service === key && countsHealthy(t) && t._port !== undefined).map((t) => ({ task: t.id, address: `127.0.0.1:${t._port}` }))
            : [],
          deployments: v.deployments.map((d) => ({
            id: d.id,
            status: d.status,
            taskDefinition: shortTaskDefinition(d.taskDefinition),
            rolloutState: d.rolloutState,
            rolloutStateReason: d.rolloutStateReason,
            desired: d.desiredCount,
            running: d.runningCount,
            pending: d.pendingCount,
            failed: d.failedTasks,
            createdAt: isoSeconds(d.createdAt),
          })),
          // ECS keeps events newest first.
          events: svc.events.slice(0, CONSOLE_LIMITS.events).map((e) => ({ at: isoSeconds(e.createdAt), message: e.message })),
        };
      }),
    tasks: ecs ? shown.map((t) => taskView(ecs, src.logs, t)) : [],
    repositories: [...src.repositories]
      .sort((a, b) => a.name.localeCompare(b.name))
      .map((r) => ({
        name: r.name,
        uri: r.uri,
        images: r.images.slice(0, CONSOLE_LIMITS.images).map((i) => ({ digest: i.digest, tags: i.tags, pushedAt: iso(i.pushedAt) })),
      })),
  };
}

/** The load balancer URL the sandbox tags a service with (SANDBOX_URL_TAG of ecs/index.ts). */
function urlTag(svc: { tags?: { key?: string; value?: string }[] }): string | undefined {
  return svc.tags?.find((t) => t.key === 'ferry:sandbox-url')?.value;
}
