/**
 * verify (preflight): what would make a deploy of this app fail, found before anything is built.
 * The facts are read once through the ports (`gatherPreflightFacts`); the checks are pure functions
 * over them (`preflightChecks`), each problem one line with its fix, all reported at once.
 * deploy-app runs the same checks first in `aws` environments.
 */
import type { AppDeployConfig, EnvironmentConfig } from '@ferry/core';
import { FerryError, sessionPart } from '@ferry/core';
import { isNotFound, type EcrPort, type EcsPort, type ElbPort, type IdentityPort, type TargetGroupFacts } from '@ferry/aws';
import { requestsResourceLabel, requestsTargetGroup } from './autoscaling.ts';
import { describeCluster, readLive } from './live.ts';
import { executionRoleFix, executionRoleNeed, logGroupToEnsure, logsPlan, type LiveRoleFacts } from './logs.ts';
import { compatibilitiesFor, normaliseCpu, normaliseMemory } from './task-definition.ts';

/** What verify reads, once. A read that failed is recorded as its error message, to be reported with the rest. */
export interface PreflightFacts {
  /** The caller's account (STS), or why it could not be read. */
  caller: { account: string; arn: string } | { error: string };
  /** The cluster's status; null when DescribeClusters reports it missing. */
  cluster: { status?: string } | null | { error: string };
  /** Whether the ECR repository exists. */
  repository: boolean | { error: string };
  /** The service and the execution role of its live revision (the role a patched revision keeps). */
  live: LiveRoleFacts | { error: string };
  /** The configured target group as ELBv2 describes it (null: not found); undefined when none is configured. */
  targetGroup?: TargetGroupFacts | null | { error: string };
}

/** One thing that would fail, and how to fix it. */
export interface PreflightProblem {
  check: 'account' | 'cluster' | 'execution-role' | 'target-group' | 'fargate-size' | 'network' | 'autoscaling' | 'aws';
  message: string;
}

/** What verify found: the problems, and what is fine or will be done by deploy (said, not a problem). */
export interface PreflightReport {
  problems: PreflightProblem[];
  notes: string[];
}

/**
 * Valid Fargate task sizes: CPU units → memory (MiB) choices (Amazon ECS developer guide, "Task CPU
 * and memory" for Fargate: 256 → 512, 1024, 2048; 512 → 1–4 GB; 1024 → 2–8 GB; 2048 → 4–16 GB;
 * 4096 → 8–30 GB, in 1 GB steps; 8192 → 16–60 GB in 4 GB steps; 16384 → 32–120 GB in 8 GB steps).
 */
const range = (from: number, to: number, step: number) => Array.from({ length: (to - from) / step + 1 }, (_, i) => from + i * step);
export const FARGATE_SIZES: Readonly<Record<number, readonly number[]>> = {
  256: [512, 1024, 2048],
  512: range(1024, 4096, 1024),
  1024: range(2048, 8192, 1024),
  2048: range(4096, 16384, 1024),
  4096: range(8192, 30720, 1024),
  8192: range(16384, 61440, 4096),
  16384: range(32768, 122880, 8192),
};

/** The Fargate cpu/memory problem of an app, if any. Pure. */
export function fargateSizeProblem(app: Pick<AppDeployConfig, 'cpu' | 'memory' | 'launchType' | 'capacityProviderStrategy'>): string | undefined {
  if (!compatibilitiesFor(app).includes('FARGATE')) return undefined;
  const cpu = Number(normaliseCpu(app.cpu));
  const memory = Number(normaliseMemory(app.memory));
  const choices = FARGATE_SIZES[cpu];
  if (!choices) return `cpu ${app.cpu} is not a Fargate task size — fix: set "cpu" in deploy.json to one of ${Object.keys(FARGATE_SIZES).join(', ')}`;
  if (choices.includes(memory)) return undefined;
  const shown = choices.length > 6 ? `${choices[0]} to ${choices.at(-1)} in steps of ${choices[1] - choices[0]}` : choices.join(', ');
  return `Fargate cannot run cpu ${app.cpu} with memory ${app.memory} — fix: set "memory" in deploy.json to ${shown} (MiB) for cpu ${cpu}, or change "cpu"`;
}

const failed = (v: unknown): v is { error: string } => !!v && typeof v === 'object' && 'error' in v;

/** The checks, over facts read once. Pure: the same facts give the same report. */
export function preflightChecks(app: AppDeployConfig, env: EnvironmentConfig, f: PreflightFacts): PreflightReport {
  const problems: PreflightProblem[] = [];
  const notes: string[] = [];
  const problem = (check: PreflightProblem['check'], message: string) => problems.push({ check, message });

  if (failed(f.caller)) problem('aws', `cannot tell whose AWS credentials these are: ${f.caller.error}`);
  else if (env.accountId && f.caller.account !== env.accountId) {
    problem('account', `the credentials belong to account ${f.caller.account} (${f.caller.arn}), not to ${env.name}'s accountId ${env.accountId} — fix: use credentials of ${env.accountId} (AWS_PROFILE) or correct accountId in ferry.json`);
  } else notes.push(`account ${f.caller.account}${env.accountId ? ' as in ferry.json' : ''}`);

  if (failed(f.cluster)) problem('aws', `cannot read the cluster ${env.cluster}: ${f.cluster.error}`);
  else if (f.cluster?.status !== 'ACTIVE') {
    const state = f.cluster ? `is ${f.cluster.status}` : 'does not exist';
    // The sandbox creates its cluster on first deploy; ferry never creates an AWS cluster (live.ts requireCluster).
    if (env.kind === 'sandbox' && !f.cluster) notes.push(`cluster ${env.cluster} does not exist yet: deploy-app creates it in the sandbox`);
    else problem('cluster', `ECS cluster ${env.cluster} ${state} — fix: create it (Terraform, CDK or \`aws ecs create-cluster --cluster-name ${env.cluster}\`) or correct "cluster" for ${env.name} in ferry.json`);
  } else notes.push(`cluster ${env.cluster} ACTIVE`);

  if (failed(f.repository)) problem('aws', `cannot read the ECR repository ${app.repository}: ${f.repository.error}`);
  else notes.push(f.repository ? `ECR repository ${app.repository} exists` : `ECR repository ${app.repository} does not exist: push creates it (IMMUTABLE tags, scan on push)`);

  if (failed(f.live)) problem('aws', `cannot read the service ${app.service}: ${f.live.error}`);
  else {
    const need = executionRoleNeed(app, env, f.live);
    if (need) problem('execution-role', `${executionRoleFix(env, need).replace('. Set ', ' — fix: set ')}`);
    notes.push(f.live.exists ? `service ${app.service} exists: ferry changes only what deploy.json declares` : `service ${app.service} does not exist: deploy-app creates it`);
  }

  const tgArn = app.loadBalancer?.targetGroupArn;
  const port = app.loadBalancer?.containerPort ?? app.containerPort;
  if (tgArn && f.targetGroup !== undefined) {
    const tg = f.targetGroup;
    if (failed(tg)) problem('aws', `cannot read the target group ${tgArn}: ${tg.error}`);
    else if (!tg) problem('target-group', `target group ${tgArn} does not exist — fix: create it or correct loadBalancer.targetGroupArn in deploy.json`);
    else {
      if (port === undefined) problem('target-group', `target group ${tg.name} is configured but the app has no containerPort — fix: set "containerPort" (or loadBalancer.containerPort) in deploy.json`);
      else if (tg.port !== undefined && tg.port !== port) problem('target-group', `target group ${tg.name} forwards to port ${tg.port}, the app listens on ${port} — fix: set "containerPort" in deploy.json to ${tg.port}, or use a target group on port ${port}`);
      if (app.healthCheckPath && tg.protocol && tg.protocol !== 'HTTP' && tg.protocol !== 'HTTPS') problem('target-group', `target group ${tg.name} speaks ${tg.protocol}, but the app's health check is HTTP (healthCheckPath) — fix: use an HTTP target group of an Application Load Balancer`);
      if (env.kind === 'aws' && tg.targetType && tg.targetType !== 'ip') problem('target-group', `target group ${tg.name} has target type ${tg.targetType}; Fargate (awsvpc) tasks register by IP — fix: use a target group of target type ip`);
    }
  }

  const size = fargateSizeProblem(app);
  if (size) problem('fargate-size', size);

  // awsvpc (Fargate) services need subnets and security groups (CreateService networkConfiguration).
  if (env.kind === 'aws' && (!env.network?.subnets?.length || !env.network?.securityGroups?.length)) {
    problem('network', `environment ${env.name} has no network settings for awsvpc tasks — fix: set environments.${env.name}.network { "subnets": [...], "securityGroups": [...] } in ferry.json`);
  }

  const group = logGroupToEnsure(logsPlan(app, env));
  if (group && app.logs !== false) notes.push(`log group ${group.name}: deploy-app creates it if missing (retention ${group.retentionDays} days)`);

  if (app.autoscaling) {
    try {
      // In the sandbox an app with a port gets a target group ferry provisions (load-balancer.ts): requests count on it.
      if (env.kind === 'sandbox' && !tgArn && app.containerPort !== undefined) {
        notes.push(`autoscaling ${app.autoscaling.min}..${app.autoscaling.max} on ${app.autoscaling.targetTracking.map((t) => t.metric).join(', ')} (requests: on the target group ferry provisions)`);
        return { problems, notes };
      }
      const requestsTg = requestsTargetGroup(app, env);
      if (requestsTg && f.targetGroup !== undefined && !failed(f.targetGroup)) requestsResourceLabel(app, requestsTg, f.targetGroup);
      notes.push(`autoscaling ${app.autoscaling.min}..${app.autoscaling.max} on ${app.autoscaling.targetTracking.map((t) => t.metric).join(', ')}`);
    } catch (e) {
      if (!(e instanceof FerryError)) throw e;
      problem('autoscaling', e.message.replace(/^[^:]+: /, '').replace('. Set ', ' — fix: set ').replace('. Attach ', ' — fix: attach '));
    }
  }
  return { problems, notes };
}

/** The ports verify reads through (the run's, so deploy-app's later reads hit the same caches). */
export interface PreflightPorts {
  ecs: EcsPort;
  ecr: Pick<EcrPort, 'describeRepositories'>;
  elbv2: Pick<ElbPort, 'describeTargetGroup'>;
  identity: IdentityPort;
}

const why = (e: unknown) => ({ error: e instanceof Error ? e.message : String(e) });

/** Reads every fact verify needs, at once; a failed read becomes a fact (reported), not an exception. */
export async function gatherPreflightFacts(ports: PreflightPorts, app: AppDeployConfig, env: EnvironmentConfig): Promise<PreflightFacts> {
  const tgArn = app.loadBalancer?.targetGroupArn;
  const [caller, cluster, repository, live, targetGroup] = await Promise.all([
    ports.identity.caller().catch(why),
    describeCluster(ports.ecs, env.cluster).then((c) => (c ? { status: c.status } : null), why),
    ports.ecr.describeRepositories({ repositoryNames: [app.repository] }).then(
      (r) => (r.repositories?.length ?? 0) > 0,
      (e: unknown) => (isNotFound(e, 'RepositoryNotFoundException') ? false : why(e)),
    ),
    readLive(ports.ecs, app, env).then((l): LiveRoleFacts => ({ exists: !!l, ...(l?.taskDef?.taskDefinition.executionRoleArn && { executionRoleArn: l.taskDef.taskDefinition.executionRoleArn }) }), why),
    tgArn ? ports.elbv2.describeTargetGroup(tgArn).catch(why) : Promise.resolve(undefined),
  ]);
  return { caller, cluster, repository, live, ...(targetGroup !== undefined && { targetGroup }) };
}

/** Verify: the problems as one refusal (each line with its fix), or the notes of a good setup. */
export async function verifyApp(ports: PreflightPorts, app: AppDeployConfig, env: EnvironmentConfig): Promise<PreflightReport> {
  const report = preflightChecks(app, env, await gatherPreflightFacts(ports, app, env));
  if (report.problems.length > 0) {
    throw new FerryError('CONFIG_INVALID', `${app.project}: ${report.problems.length} problem(s) would make a deploy to ${env.name} fail; nothing was built or changed:`, {
      details: report.problems.map((p) => `✗ ${p.message}`),
    });
  }
  return report;
}

/**
 * One preflight per app and environment per run: build-image and deploy-app of an `aws` environment
 * both start with it, and a run's second asks get the first's answer (or its refusal).
 */
export const preflights = sessionPart('preflights', () => new Map<string, Promise<PreflightReport>>());

/** verifyApp, once per run for this app and environment (see `preflights`). */
export function verifyOnce(memo: Map<string, Promise<PreflightReport>>, ports: PreflightPorts, app: AppDeployConfig, env: EnvironmentConfig): Promise<PreflightReport> {
  const key = `${env.name}\u0000${app.project}`;
  let p = memo.get(key);
  if (!p) {
    p = verifyApp(ports, app, env);
    memo.set(key, p);
  }
  return p;
}
