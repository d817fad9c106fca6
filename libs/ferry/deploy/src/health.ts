/**
 * health-check: the ECS view (service ACTIVE, one COMPLETED deployment, running == desired, tasks
 * healthy) and the app's HTTP health endpoint through the service URL, retried with backoff.
 */
import { FerryError, type AppDeployConfig, type EnvironmentConfig, type Reporter, type ResolvedApp } from '@ferry/core';
import { isNotFound, type EcsPort, type EcsService, type EcsTask, type ElbPort, type TargetHealthRow } from '@ferry/aws';
import { liveTargetGroup } from './load-balancer.ts';
import { sleep } from './wait.ts';
import { httpRequest } from './http.ts';

/**
 * Service tag keys under which the sandbox publishes its per-service load balancer URL. The first
 * is the one the sandbox writes; any tag whose key ends in `url` and whose value is an http URL is
 * accepted too, so the lookup survives a rename.
 */
export const SANDBOX_URL_TAG_KEYS = ['ferry:sandbox-url', 'ferry:url', 'sandbox:url'];

/** Where the service answers: the sandbox LB URL (service tag) or the app's `url` for the environment. */
export function serviceUrl(service: Pick<EcsService, 'tags'> | undefined, env: EnvironmentConfig, app: AppDeployConfig): string | undefined {
  if (app.url) return app.url.replace(/\/+$/, '');
  const tags = service?.tags ?? [];
  // Recorded by ferry when it created the service behind a target group (plan.ts, TAG_URL).
  const recorded = tags.find((t) => t.key === 'ferry:url')?.value;
  if (recorded) return recorded.replace(/\/+$/, '');
  if (env.kind !== 'sandbox') return undefined;
  const known = tags.find((t) => SANDBOX_URL_TAG_KEYS.includes(t.key ?? ''));
  const any = known ?? tags.find((t) => /url$/i.test(t.key ?? '') && /^https?:\/\//.test(t.value ?? ''));
  return any?.value?.replace(/\/+$/, '');
}

/** A URL for messages when none is known. */
export function requireServiceUrl(url: string | undefined, env: EnvironmentConfig, app: AppDeployConfig): string {
  if (url) return url;
  throw new FerryError(
    'CONFIG_MISSING',
    env.kind === 'sandbox'
      ? `${app.project}: the sandbox reports no load balancer URL for service ${app.service}. It gets one when created with a containerPort; check deploy.json's containerPort and redeploy.`
      : `${app.project}: no URL for environment '${env.name}'. Add "environments": {"${env.name}": {"url": "https://…"}} to ${app.project}'s deploy.json.`,
  );
}

export interface EcsHealth {
  ok: boolean;
  problems: string[];
  summary: string;
}

/**
 * The ECS half of health, pure. Tasks must be HEALTHY when the task definition has a container
 * health check; without one ECS reports UNKNOWN and RUNNING is all there is to know.
 */
export function evaluateEcsHealth(service: EcsService | undefined, tasks: EcsTask[] | undefined, expectHealthCheck: boolean): EcsHealth {
  if (!service) return { ok: false, problems: ['the service does not exist'], summary: 'missing' };
  const problems: string[] = [];
  if (service.status !== 'ACTIVE') problems.push(`service status is ${service.status}`);
  const deps = service.deployments ?? [];
  if (deps.length !== 1) problems.push(`${deps.length} deployments (${deps.map((d) => `${d.status} ${d.id} ${d.rolloutState ?? ''}`.trim()).join(', ')}): a rollout is in progress or stuck`);
  const primary = deps.find((d) => d.status === 'PRIMARY');
  if (primary && primary.rolloutState && primary.rolloutState !== 'COMPLETED') problems.push(`deployment ${primary.id} is ${primary.rolloutState}${primary.rolloutStateReason ? ` (${primary.rolloutStateReason})` : ''}`);
  if ((service.runningCount ?? 0) !== (service.desiredCount ?? 0)) problems.push(`running ${service.runningCount}/${service.desiredCount} tasks`);
  // undefined: the tasks were not listed (a recorded service view without container health checks).
  const running = (tasks ?? []).filter((t) => t.lastStatus === 'RUNNING');
  if (tasks && running.length !== (service.desiredCount ?? 0) && (service.runningCount ?? 0) === (service.desiredCount ?? 0)) {
    problems.push(`${running.length} RUNNING task(s) listed, ${service.desiredCount} desired`);
  }
  if (expectHealthCheck) {
    const bad = running.filter((t) => t.healthStatus !== 'HEALTHY');
    if (bad.length) problems.push(`${bad.length} task(s) not HEALTHY: ${bad.map((t) => `${(t.taskArn ?? '').split('/').pop()} ${t.healthStatus ?? 'with no health status (UNKNOWN)'}`).join(', ')}`);
  }
  const summary = `${service.status} ${service.runningCount}/${service.desiredCount} running, ${deps.length} deployment(s)${primary?.rolloutState ? `, ${primary.rolloutState}` : ''}`;
  return { ok: problems.length === 0, problems, summary };
}

export interface HttpProbe {
  ok: boolean;
  status?: number;
  latencyMs: number;
  error?: string;
  attempts: number;
}

export interface HttpCheckOptions {
  expectStatus: number;
  attempts?: number;
  /** First retry delay; doubles each time. */
  delayMs?: number;
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** GET url until it answers `expectStatus`, retrying with backoff. */
export async function probeHttp(url: string, o: HttpCheckOptions): Promise<HttpProbe> {
  const attempts = o.attempts ?? 5;
  let delay = o.delayMs ?? 500;
  let last: HttpProbe = { ok: false, latencyMs: 0, attempts: 0 };
  for (let i = 1; i <= attempts; i++) {
    const started = performance.now();
    try {
      const res = await httpRequest(url, { signal: AbortSignal.any([AbortSignal.timeout(o.timeoutMs ?? 5000), ...(o.signal ? [o.signal] : [])]) });
      last = { ok: res.status === o.expectStatus, status: res.status, latencyMs: Math.round(performance.now() - started), attempts: i };
    } catch (e) {
      last = { ok: false, latencyMs: Math.round(performance.now() - started), error: (e as Error).message, attempts: i };
    }
    if (last.ok || o.signal?.aborted || i === attempts) return last;
    if (!(await sleep(delay, o.signal))) return last;
    delay = Math.min(delay * 2, 8000);
  }
  return last;
}

export interface HealthReport {
  summary: string;
  url?: string;
  ecs: EcsHealth;
  http?: HttpProbe;
  /** DescribeTargetHealth of the service's target group, when read. */
  targets?: TargetHealthRow[];
}

/** The target-group half of health, pure: at least desiredCount targets `healthy`. */
export function evaluateTargetHealth(rows: TargetHealthRow[], desired: number): { ok: boolean; summary: string; problem?: string } {
  const by = new Map<string, number>();
  for (const r of rows) by.set(r.state, (by.get(r.state) ?? 0) + 1);
  const healthy = by.get('healthy') ?? 0;
  const summary = `targets: ${[...by].map(([state, n]) => `${n} ${state}`).join(', ') || 'none registered'}`;
  if (healthy >= desired) return { ok: true, summary };
  const bad = rows.filter((r) => r.state !== 'healthy' && r.state !== 'draining').map((r) => `${r.id}:${r.port} ${r.state}${r.description ? ` (${r.description})` : ''}`);
  return { ok: false, summary, problem: `${healthy}/${desired} targets healthy in the target group${bad.length ? `: ${bad.join(', ')}` : ''}` };
}

/** What health-check would look at (for `--dry-run`). */
export function describeHealthCheck(resolved: ResolvedApp): string[] {
  const { app, env } = resolved;
  return [
    `would check ECS: service ${app.service} in ${env.cluster} ACTIVE, one COMPLETED deployment, ${app.desiredCount} task(s) running${app.containerHealthCheck ? ' and HEALTHY' : ''}`,
    app.healthCheckPath
      ? `would GET <service URL>${app.healthCheckPath} and expect ${app.healthCheckStatus}`
      : 'no healthCheckPath: ECS view only (worker)',
  ];
}

/**
 * The whole health check, retried with backoff until healthy or out of attempts. Throws
 * FerryError('UNHEALTHY') naming what is wrong and what to run next.
 */
export async function checkHealth(
  ecs: EcsPort,
  resolved: ResolvedApp,
  o: {
    reporter: Reporter;
    signal?: AbortSignal;
    attempts?: number;
    delayMs?: number;
    /** The first attempt may judge a read of the service (and tasks) this run already has, no older (live-ecs.ts); later attempts read ECS. */
    maxAgeMs?: number;
    /** The ELBv2 port: the URL of a service behind a target group without a recorded URL, and target health. */
    elb?: ElbPort;
    /** Read target health on the first attempt too (after a rollout of this run); retries always read it. */
    targetHealth?: boolean;
  },
): Promise<HealthReport> {
  const { app, env } = resolved;
  const attempts = Math.max(1, o.attempts ?? 6);
  let delay = o.delayMs ?? 1000;
  let last: HealthReport | undefined;
  o.reporter.emit({ kind: 'step', app: app.project, step: 'health', status: 'start', message: `checking ${app.service} in ${env.cluster}` });
  for (let i = 1; i <= attempts; i++) {
    last = await checkOnce(ecs, resolved, o.signal, i === 1 ? o.maxAgeMs : undefined, o.elb, i > 1 || !!o.targetHealth);
    const ok = last.ecs.ok && (last.http?.ok ?? true);
    if (ok) {
      o.reporter.emit({ kind: 'step', app: app.project, step: 'health', status: 'done', message: last.summary });
      return last;
    }
    if (i < attempts) {
      o.reporter.emit({ kind: 'progress', app: app.project, step: 'health', message: `attempt ${i}/${attempts}: ${problems(last).join('; ')}; retrying in ${delay / 1000}s` });
      if (!(await sleep(delay, o.signal))) break;
      delay = Math.min(delay * 2, 10_000);
    }
  }
  const why = problems(last!);
  o.reporter.emit({ kind: 'step', app: app.project, step: 'health', status: 'fail', message: why.join('; ') });
  throw new FerryError('UNHEALTHY', `${app.project} is unhealthy in ${env.name}: ${why.join('; ')}. Next: \`nx run ${app.project}:deploy-app\` to see the rollout, the container logs, or \`nx run ${app.project}:rollback\`.`, {
    details: [last!.summary, ...why],
  });
}

function problems(r: HealthReport): string[] {
  const out = [...r.ecs.problems];
  if (r.http && !r.http.ok) out.push(`GET ${r.url} ${r.http.status !== undefined ? `answered ${r.http.status}` : `failed (${r.http.error})`}`);
  return out;
}

async function checkOnce(ecs: EcsPort, resolved: ResolvedApp, signal?: AbortSignal, maxAgeMs?: number, elb?: ElbPort, readTargets = false): Promise<HealthReport> {
  const { app, env } = resolved;
  let service: EcsService | undefined;
  let tasks: EcsTask[] | undefined = [];
  try {
    service = (await ecs.describeServices(env.cluster, [app.service], { maxAgeMs })).services.find((s) => s.serviceName === app.service && s.status !== 'INACTIVE');
    // Task health is not in DescribeServices: with a container health check the tasks are always
    // read; without one, the first look judges the service's running count, which is the same fact.
    if (maxAgeMs && !app.containerHealthCheck) tasks = undefined;
    else if (service) {
      const arns = await ecs.listTasks(env.cluster, app.service, 'RUNNING', { maxAgeMs });
      tasks = arns.length ? await ecs.describeTasks(env.cluster, arns, { maxAgeMs }) : [];
    }
  } catch (e) {
    if (!isNotFound(e, 'ClusterNotFoundException')) throw e;
  }
  if (!service) {
    throw new FerryError('UNHEALTHY', `${app.project}: service ${app.service} does not exist in cluster ${env.cluster}. Deploy it first: nx run ${app.project}:deploy`);
  }
  const ecsView = evaluateEcsHealth(service, tasks, !!app.containerHealthCheck);
  // Target health beside the ECS view (DescribeTargetHealth): after a rollout of this run, and on every retry.
  const tg = liveTargetGroup(service);
  let targets: TargetHealthRow[] | undefined;
  let targetLine = '';
  if (tg && elb && readTargets) {
    targets = await elb.targetHealth(tg);
    const t = evaluateTargetHealth(targets, service.desiredCount ?? 0);
    targetLine = `; ${t.summary}`;
    if (t.problem) {
      ecsView.problems.push(t.problem);
      ecsView.ok = false;
    }
  }
  if (!app.healthCheckPath) return { summary: `ECS: ${ecsView.summary}${targetLine} (no HTTP health endpoint)`, ecs: ecsView, targets };
  const base = requireServiceUrl(serviceUrl(service, env, app) ?? (tg && elb && !tg.startsWith('<') ? await elb.url(tg) : undefined), env, app);
  const url = base + app.healthCheckPath;
  const http = await probeHttp(url, { expectStatus: app.healthCheckStatus, attempts: 1, signal });
  return { summary: `ECS: ${ecsView.summary}${targetLine}; GET ${url} -> ${http.status ?? http.error} in ${http.latencyMs} ms`, url, ecs: ecsView, http, targets };
}
