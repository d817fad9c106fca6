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

/**
 * On AWS, the awslogs driver of a Fargate task writes with the task's execution role: without
 * `executionRoleArn` ECS refuses the task definition. Checked before anything is built or written.
 * The sandbox needs no role.
 */
export function checkLogsPrerequisites(app: Pick<AppDeployConfig, 'logs' | 'service' | 'project'>, env: EnvironmentConfig): void {
  if (env.kind !== 'aws' || env.executionRoleArn) return;
  const plan = logsPlan(app, env);
  const driver = plan.kind === 'awslogs' ? 'awslogs' : plan.kind === 'custom' ? plan.logConfiguration.logDriver : undefined;
  if (driver !== 'awslogs' && driver !== 'awsfirelens' && driver !== 'splunk') return;
  throw new FerryError(
    'CONFIG_INVALID',
    `${app.project}: environment '${env.name}' has no executionRoleArn in ferry.json, and the ${driver} log driver ${plan.kind === 'awslogs' ? "(ferry's default for logs) " : ''}needs the task execution role to ship the container's logs. ` +
      `Set environments.${env.name}.executionRoleArn in ferry.json (a role with the AmazonECSTaskExecutionRolePolicy: logs:CreateLogStream, logs:PutLogEvents), ` +
      `or set "logs": false in deploy.json to deploy without logs. See docs/aws.md.`,
  );
}

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
