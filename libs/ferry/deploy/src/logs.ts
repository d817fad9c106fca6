/**
 * Container logs as config turns them into a task definition: the awslogs driver to a CloudWatch
 * Logs group ferry creates (default), a logConfiguration passed through, or nothing from ferry.
 * Also where a failed task's own log lines are: the awslogs stream `<prefix>/<container>/<task id>`
 * (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/using_awslogs.html). All pure.
 */
import { FerryError, type AppDeployConfig, type EnvironmentConfig, type LogConfiguration } from '@ferry/core';

export const DEFAULT_RETENTION_DAYS = 30;

/** What ferry does about an app's logs in one environment. */
export type LogsPlan =
  /** `logs: false`: the container keeps whatever log configuration it has (none when bootstrapped). */
  | { kind: 'off' }
  /** `logs.logConfiguration`: that configuration as written; no group created by ferry. */
  | { kind: 'custom'; logConfiguration: LogConfiguration }
  /** The awslogs driver; ferry creates `group` with `retentionDays` before registering. */
  | { kind: 'awslogs'; group: string; streamPrefix: string; retentionDays: number; region: string };

/** The default group: one per cluster and service, so two environments in one account never mix. */
export const defaultLogGroup = (app: Pick<AppDeployConfig, 'service'>, env: Pick<EnvironmentConfig, 'cluster'>) => `/ferry/${env.cluster}/${app.service}`;

export function logsPlan(app: Pick<AppDeployConfig, 'logs' | 'service' | 'project'>, env: Pick<EnvironmentConfig, 'cluster' | 'region'>): LogsPlan {
  if (app.logs === false) return { kind: 'off' };
  if (app.logs.logConfiguration) return { kind: 'custom', logConfiguration: structuredClone(app.logs.logConfiguration) };
  return {
    kind: 'awslogs',
    group: app.logs.group ?? defaultLogGroup(app, env),
    streamPrefix: app.logs.streamPrefix ?? app.project,
    retentionDays: app.logs.retentionDays ?? DEFAULT_RETENTION_DAYS,
    region: env.region,
  };
}

/** The container's logConfiguration for a plan; undefined: leave the container's own. */
export function containerLogConfiguration(plan: LogsPlan): LogConfiguration | undefined {
  switch (plan.kind) {
    case 'off':
      return undefined;
    case 'custom':
      return plan.logConfiguration;
    case 'awslogs':
      // No awslogs-create-group: ferry creates the group (with its retention) before registering,
      // so the execution role needs no logs:CreateLogGroup.
      return { logDriver: 'awslogs', options: { 'awslogs-group': plan.group, 'awslogs-region': plan.region, 'awslogs-stream-prefix': plan.streamPrefix } };
  }
}

/** The group ferry must create before registering, if any. */
export const logGroupToEnsure = (plan: LogsPlan): { name: string; retentionDays: number } | undefined =>
  plan.kind === 'awslogs' ? { name: plan.group, retentionDays: plan.retentionDays } : undefined;

/** What deploy-app knows of the live task definition when it checks the execution role. */
export interface LiveRoleFacts {
  /** Whether the service (and so a task definition ferry patches) exists. */
  exists: boolean;
  /** The live task definition's execution role, which a patched revision keeps. */
  executionRoleArn?: string;
}

/**
 * What needs a task execution role that the registered revision would not have, or undefined.
 * On AWS the awslogs driver (ferry's default for logs) ships logs with the task's execution role, and
 * ECS resolves `secrets` with it: ECS refuses such a task definition without one. ferry writes logs
 * and secrets into a revision only when deploy.json declares them, or on the first registration
 * (a new service: logs default to awslogs); a live revision's own log configuration and secrets are
 * kept as they are, with its own role. The role comes from deploy.json, ferry.json or the live
 * revision. `live` undefined: not known yet, so only what deploy.json declares counts. The sandbox
 * needs no role. Pure.
 */
export function executionRoleNeed(
  app: Pick<AppDeployConfig, 'logs' | 'service' | 'project' | 'declared' | 'secrets' | 'executionRoleArn'>,
  env: EnvironmentConfig,
  live?: LiveRoleFacts,
): string | undefined {
  if (env.kind !== 'aws' || app.executionRoleArn || env.executionRoleArn || live?.executionRoleArn) return undefined;
  const fresh = live?.exists === false;
  if (fresh || app.declared.includes('logs')) {
    const plan = logsPlan(app, env);
    const driver = plan.kind === 'awslogs' ? 'awslogs' : plan.kind === 'custom' ? plan.logConfiguration.logDriver : undefined;
    if (driver === 'awslogs' || driver === 'awsfirelens' || driver === 'splunk') return `the ${driver} log driver ${plan.kind === 'awslogs' ? "(ferry's default for logs) " : ''}needs the task execution role to ship the container's logs`;
  }
  if ((fresh || app.declared.includes('secrets')) && Object.keys(app.secrets).length > 0) return `the app's secrets need the task execution role (ECS resolves valueFrom with it)`;
  return undefined;
}

/** Refuses, before anything is written, a revision that needs an execution role it would not have (executionRoleNeed). */
export function checkLogsPrerequisites(app: Parameters<typeof executionRoleNeed>[0], env: EnvironmentConfig, live?: LiveRoleFacts): void {
  const need = executionRoleNeed(app, env, live);
  if (!need) return;
  throw new FerryError('CONFIG_INVALID', `${app.project}: ${executionRoleFix(env, need)}`);
}

/** The refusal's text: what is missing and how to fix it. */
export const executionRoleFix = (env: Pick<EnvironmentConfig, 'name'>, need: string): string =>
  `environment '${env.name}' has no executionRoleArn in ferry.json, and ${need}. ` +
  `Set environments.${env.name}.executionRoleArn in ferry.json (a role with the AmazonECSTaskExecutionRolePolicy: logs:CreateLogStream, logs:PutLogEvents; secretsmanager:GetSecretValue or ssm:GetParameters for secrets), ` +
  `or set "logs": false in deploy.json to deploy without logs. See docs/aws.md.`;

/** The awslogs stream of one container of one task: `<prefix>/<container>/<task id>`. */
export interface TaskLogStream {
  container: string;
  group: string;
  stream: string;
}

interface ContainerLike {
  name?: string;
  logConfiguration?: { logDriver?: string; options?: Record<string, string | undefined> };
}

/** The awslogs streams of a task (its id from the ARN) under a task definition's containers. */
export function taskLogStreams(containers: ContainerLike[] | undefined, taskArn: string): TaskLogStream[] {
  const taskId = taskArn.split('/').pop() ?? '';
  const out: TaskLogStream[] = [];
  for (const c of containers ?? []) {
    const o = c.logConfiguration?.logDriver === 'awslogs' ? c.logConfiguration.options : undefined;
    const group = o?.['awslogs-group'];
    const prefix = o?.['awslogs-stream-prefix'];
    // Without a prefix awslogs names streams by the Docker container id, which ECS does not return.
    if (!c.name || !group || !prefix || !taskId) continue;
    out.push({ container: c.name, group, stream: `${prefix}/${c.name}/${taskId}` });
  }
  return out;
}
