/**
 * deploy-app: read the live service, plan, apply, watch the rollout, explain and roll back on
 * failure, keep the newest revisions. The plan is data (plan.ts); this file performs it.
 *
 * Interrupted deploys (SIGINT/SIGTERM while watching) are left running: ECS carries on with the
 * rollout and its circuit breaker still protects the service. ferry stops watching, prints the
 * deployments and exits 130; running deploy-app again resumes watching (plan kind `watch`), and
 * `rollback` puts the previous revision back.
 */
import { FerryError, type AppDeployConfig, type EnvironmentConfig, type Reporter } from '@ferry/core';
import { isNotFound, toFerryError, type EcsDeployment, type EcsPort, type EcsService, type TaskDefinitionWithTags } from '@ferry/aws';
import { collectFailure, formatFailure } from './failure.ts';
import { needsLiveTaskDefinition, planDeploy, type DeployPlan, type LiveState } from './plan.ts';
import { revisionsOfFamily, revisionsToDeregister, type RevisionInfo } from './revisions.ts';
import { describeDeployments, deploymentViews, rolloutDurationMs, shortTaskDefinition, TAG_ROLLOUT_MS } from './rollout.ts';
import { formatSpecTag, matchSpec, primaryTaskDefinition, TAG_SPEC } from './spec.ts';
import { containerImage, desiredTaskDefinition, specFingerprint, TAG_COMPLETED_AT, TAG_CONTENT, TAG_DEPLOYED_AT, TAG_DEPLOYED_BY, TAG_GIT_SHA, TAG_RESULT, TAG_STATUS, tagValue } from './task-definition.ts';
import { latestEventTime, primaryDeploymentId, watchRollout, type WatchOutcome, type WatchResult } from './wait.ts';

/** The side effects deploy-app needs: the ECS port and an ECR image lookup. */
export interface DeployPorts {
  ecs: EcsPort;
  /** Whether `repository:tag` exists in ECR (imageExists from @ferry/aws over the ECR port). */
  imageExists(repository: string, tag: string): Promise<boolean>;
}

export interface RolloutSettings {
  /** Roll back automatically when the rollout fails or times out (default true; `--no-rollback`). */
  rollback: boolean;
  timeoutMs: number;
  intervalMs?: number;
  signal?: AbortSignal;
  reporter: Reporter;
  /** Called right before each write that starts or changes a rollout (the lock's verify()). */
  beforeWrite?: () => Promise<void>;
  /** Who deploys, recorded on the revision (`ferry:deployed-by`). */
  deployedBy?: string;
  /** How long the service's last rollout took (expectedRolloutMs of its live view): the watcher polls faster around then. */
  expectedRolloutMs?: number;
}

export interface ReadLiveOptions {
  /**
   * The specFingerprint of the config about to be planned: when the service's spec tag vouches for
   * its PRIMARY revision under this fingerprint, the task definition is not read (spec.ts).
   */
  spec?: string;
}

/**
 * The service and the task definition of its PRIMARY deployment; null when the service (or
 * cluster) is missing. With `o.spec` matching the service's spec tag: the service only, `taskDef`
 * null and `spec` set (one ECS read instead of two).
 */
export async function readLive(ecs: EcsPort, app: AppDeployConfig, env: EnvironmentConfig, o: ReadLiveOptions = {}): Promise<LiveState | null> {
  let service: EcsService | undefined;
  try {
    const r = await ecs.describeServices(env.cluster, [app.service]);
    service = r.services.find((s) => s.serviceName === app.service);
  } catch (e) {
    if (isNotFound(e, 'ClusterNotFoundException')) return null;
    throw toFerryError(e, `describe service ${app.service} in cluster ${env.cluster}`);
  }
  if (!service || service.status === 'INACTIVE') return null;
  // Revisions are immutable per ARN: a spec tag naming the PRIMARY ARN and this fingerprint proves
  // the definition still is what this config produced, so reading it again would tell nothing new.
  const spec = o.spec ? matchSpec(service, o.spec) : undefined;
  if (spec) return { service, taskDef: null, spec };
  return { service, taskDef: await readTaskDefinition(ecs, primaryTaskDefinition(service)) };
}

/** The live state completed with the PRIMARY's task definition (a spec-only state read in full). */
export async function withLiveTaskDefinition(ecs: EcsPort, live: LiveState): Promise<LiveState> {
  return { service: live.service, taskDef: await readTaskDefinition(ecs, primaryTaskDefinition(live.service)) };
}

async function readTaskDefinition(ecs: EcsPort, arn: string | undefined): Promise<TaskDefinitionWithTags | null> {
  if (!arn) return null;
  try {
    return await ecs.describeTaskDefinition(arn);
  } catch (e) {
    throw toFerryError(e, `describe task definition ${arn}`);
  }
}

export interface DeployInput {
  app: AppDeployConfig;
  env: EnvironmentConfig;
  /** `<registry>/<repository>:<contentTag>`. */
  imageRef: string;
  contentTag: string;
  gitSha?: string;
  force?: boolean;
}

/**
 * Reads the live state and plans. Used by deploy-app (both `--dry-run` and real) and by diff.
 * An up-to-date app whose spec tag matches costs one DescribeServices; any other plan reads the
 * live task definition and is made exactly as from a full read.
 */
export async function planFor(ecs: EcsPort, input: DeployInput): Promise<{ plan: DeployPlan; live: LiveState | null }> {
  const fingerprint = specFingerprint(input.app, input.imageRef, input.contentTag);
  const planOn = (live: LiveState | null): DeployPlan => {
    const registerInput = desiredTaskDefinition(live?.taskDef ?? null, input.app, input.env, input.imageRef, {
      contentTag: input.contentTag,
      gitSha: input.gitSha,
    });
    return planDeploy(live, { app: input.app, env: input.env, imageRef: input.imageRef, contentTag: input.contentTag, registerInput, fingerprint }, { force: input.force });
  };
  let live = await readLive(ecs, input.app, input.env, { spec: fingerprint });
  let plan = planOn(live);
  if (live && needsLiveTaskDefinition(live, plan)) {
    live = await withLiveTaskDefinition(ecs, live);
    plan = planOn(live);
  }
  return { plan, live };
}

export interface DeployResult {
  plan: DeployPlan;
  /** What ended up live. */
  taskDefinitionArn: string;
  deploymentId?: string;
  /** Revisions deregistered after the deploy. */
  deregistered: string[];
}

/** Runs the plan: writes, watch, failure explanation and rollback, revision cleanup. */
export async function applyDeploy(ports: DeployPorts, plan: DeployPlan, app: AppDeployConfig, s: RolloutSettings): Promise<DeployResult> {
  const { ecs } = ports;
  const r = s.reporter;
  const emitStep = (step: Parameters<typeof stepEvent>[1], status: 'start' | 'done' | 'skip' | 'fail', message: string, data?: Record<string, unknown>) =>
    r.emit(stepEvent(plan.app, step, status, message, data));

  if (plan.kind === 'up-to-date') {
    emitStep('update-service', 'skip', `up to date: ${shortTaskDefinition(plan.taskDefinitionArn)} runs ${plan.contentTag}`);
    return { plan, taskDefinitionArn: plan.taskDefinitionArn, deregistered: [] };
  }
  if (plan.kind === 'watch') {
    emitStep('rollout', 'start', `${plan.deploymentId} (${shortTaskDefinition(plan.taskDefinitionArn)}) is already rolling out; watching it`);
    const since = Date.now() - 60_000;
    const w = await watch(ecs, plan, plan.deploymentId, since, s);
    if (w.outcome.kind === 'completed') return finish(ports, plan, app, plan.taskDefinitionArn, plan.deploymentId, s, w.service?.serviceArn, w.lastSeen);
    return fail(ports, plan, app, { deploymentId: plan.deploymentId, taskDefinitionArn: plan.taskDefinitionArn, previousArn: plan.previousTaskDefinitionArn }, w, s);
  }

  const tag = plan.contentTag;
  if (!(await ports.imageExists(app.repository, tag))) {
    throw new FerryError('NOT_FOUND', `${plan.imageRef} is not in ECR. Push it first: nx run ${plan.app}:push (deploy-app never builds).`);
  }

  if (plan.kind === 'create-service' && plan.ensureCluster) await ensureCluster(ecs, plan.cluster);
  await s.beforeWrite?.();

  emitStep('register-task-definition', 'start', `registering ${plan.registerInput.family} with ${plan.imageRef}`);
  let registered;
  try {
    registered = await ecs.registerTaskDefinition(plan.registerInput);
  } catch (e) {
    throw toFerryError(e, `register task definition ${plan.registerInput.family}`);
  }
  const arn = registered.taskDefinitionArn ?? '';
  emitStep('register-task-definition', 'done', `registered ${shortTaskDefinition(arn)}`, { taskDefinitionArn: arn });

  let svc: EcsService;
  let previousArn: string | undefined;
  const since = Date.now() - 1000;
  if (plan.kind === 'create-service') {
    emitStep('create-service', 'start', `creating service ${plan.service} in ${plan.cluster}`);
    await s.beforeWrite?.();
    try {
      svc = await ecs.createService({ ...plan.createInput, taskDefinition: arn });
    } catch (e) {
      throw toFerryError(e, `create service ${plan.service} in cluster ${plan.cluster}`);
    }
    emitStep('create-service', 'done', `created service ${plan.service}`);
  } else {
    previousArn = plan.previousTaskDefinitionArn;
    emitStep('update-service', 'start', `updating ${plan.service}: ${shortTaskDefinition(previousArn)} -> ${shortTaskDefinition(arn)}`);
    await s.beforeWrite?.();
    try {
      svc = await ecs.updateService({ ...plan.updateInput, taskDefinition: arn });
    } catch (e) {
      throw toFerryError(e, `update service ${plan.service} in cluster ${plan.cluster}`);
    }
    emitStep('update-service', 'done', `service ${plan.service} now targets ${shortTaskDefinition(arn)}`);
  }
  const deploymentId = primaryDeploymentId(svc);
  const w = await watch(ecs, plan, deploymentId, Math.max(since, latestEventTime(svc) - 1), s);
  if (w.outcome.kind === 'completed') return finish(ports, plan, app, arn, deploymentId, s, svc.serviceArn ?? w.service?.serviceArn, w.lastSeen);
  return fail(ports, plan, app, { deploymentId, taskDefinitionArn: arn, previousArn }, w, s);
}

async function watch(ecs: EcsPort, plan: { app: string; cluster: string; service: string }, deploymentId: string, since: number, s: RolloutSettings, timeoutMs = s.timeoutMs): Promise<WatchResult> {
  s.reporter.emit(stepEvent(plan.app, 'rollout', 'start', `watching deployment ${deploymentId}`));
  return watchRollout(ecs, { app: plan.app, cluster: plan.cluster, service: plan.service, deploymentId, timeoutMs, intervalMs: s.intervalMs, since, signal: s.signal, reporter: s.reporter, expectedRolloutMs: s.expectedRolloutMs });
}

async function ensureCluster(ecs: EcsPort, cluster: string): Promise<void> {
  try {
    const r = await ecs.describeClusters([cluster]);
    if (r.clusters.some((c) => c.clusterName === cluster && c.status === 'ACTIVE')) return;
    await ecs.createCluster(cluster);
  } catch (e) {
    throw toFerryError(e, `ensure cluster ${cluster}`);
  }
}

/** A successful rollout: mark the revision completed, then deregister revisions beyond keepRevisions. */
async function finish(ports: DeployPorts, plan: DeployPlan, app: AppDeployConfig, arn: string, deploymentId: string, s: RolloutSettings, serviceArn?: string, completed?: EcsDeployment): Promise<DeployResult> {
  s.reporter.emit(stepEvent(plan.app, 'rollout', 'done', `deployment ${deploymentId} COMPLETED: ${shortTaskDefinition(arn)} runs ${plan.imageRef}`));
  // The new revision is live whatever happens to this tag: a tag write that failed after all
  // retries (throttling) must not turn a good deploy into a failed one. It only costs rollback a
  // candidate, which the warning says.
  // The three records are independent (other keys, other resources): one round trip, not three.
  await Promise.all([
    markCompleted(ports.ecs, arn).catch((e: unknown) =>
      s.reporter.emit({ kind: 'warn', app: plan.app, message: `${(e as Error).message}. The rollout COMPLETED; \`rollback\` will not offer ${shortTaskDefinition(arn)} as a completed revision until it is tagged.` }),
    ),
    recordResult(ports.ecs, arn, 'completed', s),
    recordSpec(ports.ecs, plan, arn, serviceArn, s, rolloutDurationMs(completed)),
  ]);
  const deregistered = await pruneRevisions(ports.ecs, app, arn, s.reporter);
  return { plan, taskDefinitionArn: arn, deploymentId, deregistered };
}

export async function markCompleted(ecs: EcsPort, arn: string): Promise<void> {
  try {
    await ecs.tagResource(arn, [
      { key: TAG_STATUS, value: 'completed' },
      { key: TAG_COMPLETED_AT, value: String(Date.now()) },
    ]);
  } catch (e) {
    throw toFerryError(e, `tag ${shortTaskDefinition(arn)} as completed`);
  }
}

/** Every ACTIVE revision of the app's family with ferry's tags. */
export async function listRevisions(ecs: EcsPort, family: string): Promise<RevisionInfo[]> {
  return describeRevisions(ecs, await familyRevisions(ecs, family));
}

/** The family's ACTIVE revisions (ListTaskDefinitions), newest first, without reading them. */
async function familyRevisions(ecs: EcsPort, family: string): Promise<{ arn: string; revision: number }[]> {
  let arns: string[];
  try {
    arns = await ecs.listTaskDefinitions(family);
  } catch (e) {
    throw toFerryError(e, `list task definitions of ${family}`);
  }
  return revisionsOfFamily(arns, family);
}

/** DescribeTaskDefinition of each revision, DESCRIBE_CONCURRENCY at a time, in the given order. */
const DESCRIBE_CONCURRENCY = 4;
async function describeRevisions(ecs: EcsPort, revisions: { arn: string; revision: number }[]): Promise<RevisionInfo[]> {
  const out: RevisionInfo[] = new Array(revisions.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < revisions.length; i = next++) out[i] = await describeRevision(ecs, revisions[i]);
  };
  await Promise.all(Array.from({ length: Math.min(DESCRIBE_CONCURRENCY, revisions.length) }, worker));
  return out;
}

async function describeRevision(ecs: EcsPort, r: { arn: string; revision: number }): Promise<RevisionInfo> {
  try {
    const { taskDefinition, tags } = await ecs.describeTaskDefinition(r.arn);
    return {
      arn: r.arn,
      revision: r.revision,
      image: containerImage(taskDefinition),
      contentTag: tagValue(tags, TAG_CONTENT),
      status: tagValue(tags, TAG_STATUS),
      completedAt: Number(tagValue(tags, TAG_COMPLETED_AT)) || undefined,
      gitSha: tagValue(tags, TAG_GIT_SHA),
      deployedBy: tagValue(tags, TAG_DEPLOYED_BY),
      deployedAt: Number(tagValue(tags, TAG_DEPLOYED_AT)) || undefined,
      result: tagValue(tags, TAG_RESULT),
      registeredAt: taskDefinition.registeredAt ? new Date(taskDefinition.registeredAt).getTime() : undefined,
    };
  } catch (e) {
    throw toFerryError(e, `describe task definition ${r.arn}`);
  }
}

async function pruneRevisions(ecs: EcsPort, app: AppDeployConfig, liveArn: string, reporter: Reporter): Promise<string[]> {
  // Only revisions beyond the newest keepRevisions can go: with no more than that, nothing to read.
  const family = await familyRevisions(ecs, app.family);
  if (family.length <= Math.max(0, app.keepRevisions)) return [];
  const revisions = await describeRevisions(ecs, family);
  const drop = revisionsToDeregister(revisions, app.keepRevisions, liveArn);
  const done: string[] = [];
  for (const r of drop) {
    try {
      await ecs.deregisterTaskDefinition(r.arn);
      done.push(r.arn);
    } catch (e) {
      // Cleanup failing must not turn a good deploy into a failed one.
      reporter.emit({ kind: 'warn', app: app.project, message: `could not deregister ${shortTaskDefinition(r.arn)}: ${(e as Error).message}` });
    }
  }
  if (done.length) reporter.emit(stepEvent(app.project, 'cleanup', 'done', `deregistered ${done.length} old revision(s): ${done.map(shortTaskDefinition).join(', ')}`));
  return done;
}

interface Attempt {
  deploymentId: string;
  taskDefinitionArn: string;
  /** What ran before: the automatic rollback target (absent for a new service). */
  previousArn?: string;
}

/**
 * The rollout did not complete: say why (rollout reason, stopped tasks, events), roll back unless
 * told not to, and throw a FerryError that names the next step. Never returns.
 */
async function fail(ports: DeployPorts, plan: DeployPlan, app: AppDeployConfig, a: Attempt, w: WatchResult, s: RolloutSettings): Promise<never> {
  const { ecs } = ports;
  const r = s.reporter;
  const name = plan.app;
  const ours = w.service?.deployments?.find((d) => d.id === a.deploymentId);

  if (w.outcome.kind === 'interrupted') {
    await recordResult(ecs, a.taskDefinitionArn, 'interrupted', s);
    // One last look so the user sees where the rollout stands, not where it stood a second ago.
    const now = await ecs.describeServices(plan.cluster, [plan.service]).then((r) => r.services[0], () => undefined);
    const state = describeDeployments(deploymentViews((now ?? w.service)?.deployments));
    // The top-level handler shows only "interrupted": say here what was left behind and what to run.
    r.emit({ kind: 'warn', app: name, message: `interrupted: stopped watching deployment ${a.deploymentId} (${shortTaskDefinition(a.taskDefinitionArn)}); ECS carries on with the rollout` });
    for (const line of state) r.emit({ kind: 'info', app: name, message: `  ${line}` });
    r.emit({ kind: 'info', app: name, message: `next: nx run ${name}:deploy-app (watch it again) | nx run ${name}:health-check | nx run ${name}:rollback (previous revision)` });
    throw new FerryError(
      'INTERRUPTED',
      `${name}: interrupted while watching deployment ${a.deploymentId} (${shortTaskDefinition(a.taskDefinitionArn)}). The rollout was left running in ECS. ` +
        `Run \`nx run ${name}:deploy-app\` to watch it again, \`nx run ${name}:health-check\` to check it, or \`nx run ${name}:rollback\` to return to the previous revision.`,
      { exitCode: 130, details: state },
    );
  }

  if (w.outcome.kind === 'superseded') {
    r.emit(stepEvent(name, 'rollout', 'fail', `deployment ${a.deploymentId} was superseded: ${w.outcome.reason}`));
    throw new FerryError(
      'DEPLOY_FAILED',
      `${name}: ${w.outcome.reason}. ferry stops watching and does not roll back (that would undo the other deploy). Next: \`nx run ${name}:health-check\` once it settles, or \`nx run ${name}:diff\` to see what runs now.`,
      { details: describeDeployments(deploymentViews(w.service?.deployments)) },
    );
  }

  // With the breaker set to roll back, ECS may show our deployment FAILED for a moment before it
  // makes the rollback target PRIMARY: give it a short while rather than racing it.
  let outcome: WatchOutcome = w.outcome;
  let result = w;
  if (outcome.kind === 'failed' && app.deployment.circuitBreaker.enable && app.deployment.circuitBreaker.rollback && a.previousArn) {
    result = await watchRollout(ecs, { app: name, cluster: plan.cluster, service: plan.service, deploymentId: a.deploymentId, timeoutMs: 15_000, intervalMs: s.intervalMs, since: Date.now(), signal: s.signal, reporter: s.reporter });
    if (result.outcome.kind === 'rolled-back') outcome = result.outcome;
    result = { ...result, events: [...w.events, ...result.events] };
  }

  const lastSeen = result.lastSeen ?? w.lastSeen ?? ours;
  const failure = await collectFailure(ecs, plan.cluster, plan.service, lastSeen, a.deploymentId, result.events);
  const details = formatFailure(failure);
  const reason = (lastSeen?.rolloutStateReason && !/in progress\.?$/.test(lastSeen.rolloutStateReason) ? lastSeen.rolloutStateReason : '').replace(/\.$/, '');
  const what =
    outcome.kind === 'timeout'
      ? `did not complete within ${s.timeoutMs / 1000}s`
      : outcome.kind === 'rolled-back'
        ? `failed${reason ? ` (${reason})` : ''} and ECS's circuit breaker rolled the service back to ${outcome.to} (${shortTaskDefinition(outcome.toTaskDefinition)})`
        : outcome.kind === 'failed'
          ? `failed: ${outcome.reason.replace(/\.$/, '')}`
          : 'failed';
  r.emit(stepEvent(name, 'rollout', 'fail', `deployment ${a.deploymentId} (${shortTaskDefinition(a.taskDefinitionArn)}) ${what}`, { details }));
  await tagQuietly(ecs, a.taskDefinitionArn, [{ key: TAG_STATUS, value: 'failed' }]);
  await recordResult(ecs, a.taskDefinitionArn, outcome.kind === 'timeout' ? 'timeout' : 'failed', s);

  // A rollback must get its chance to finish even when --timeout cut the deploy short.
  const rollbackTimeout = Math.max(s.timeoutMs, app.deployment.timeoutSeconds * 1000);
  let rollbackNote: string;
  if (outcome.kind === 'rolled-back') {
    // ECS's circuit breaker already rolled back: wait for that deployment to complete.
    r.emit(stepEvent(name, 'rollback', 'start', `ECS rolled back to ${outcome.to} (${shortTaskDefinition(outcome.toTaskDefinition)}); waiting for it to complete`));
    const back = await watch(ecs, plan, outcome.to, Date.now(), s, rollbackTimeout);
    rollbackNote = await rollbackVerdict(ecs, name, back, outcome.toTaskDefinition, s);
  } else if (!s.rollback) {
    rollbackNote = `Not rolled back (--no-rollback): the service still targets ${shortTaskDefinition(a.taskDefinitionArn)}.`;
  } else if (!a.previousArn) {
    rollbackNote = 'No previous revision to roll back to (the service was just created).';
  } else {
    r.emit(stepEvent(name, 'rollback', 'start', `rolling back to ${shortTaskDefinition(a.previousArn)}`));
    try {
      await s.beforeWrite?.();
      const svc = await ecs.updateService({ cluster: plan.cluster, service: plan.service, taskDefinition: a.previousArn });
      const back = await watch(ecs, plan, primaryDeploymentId(svc), Date.now() - 1000, s, rollbackTimeout);
      rollbackNote = await rollbackVerdict(ecs, name, back, a.previousArn, s);
    } catch (e) {
      rollbackNote = `Automatic rollback to ${shortTaskDefinition(a.previousArn)} failed: ${(e as Error).message}.`;
    }
  }

  const code = outcome.kind === 'timeout' ? 'ROLLOUT_TIMEOUT' : 'DEPLOY_FAILED';
  throw new FerryError(
    code,
    `${name}: deployment ${a.deploymentId} of ${shortTaskDefinition(a.taskDefinitionArn)} (${plan.imageRef}) ${what}. ${rollbackNote} ` +
      `Next: read the reasons below and the container logs, compare with \`nx run ${name}:diff\`, fix and deploy again, or \`nx run ${name}:rollback --to <tag|revision>\`.`,
    { details },
  );
}

async function rollbackVerdict(ecs: EcsPort, name: string, back: WatchResult, arn: string | undefined, s: RolloutSettings): Promise<string> {
  if (back.outcome.kind === 'completed') {
    if (arn) await markCompleted(ecs, arn).catch(() => undefined);
    s.reporter.emit(stepEvent(name, 'rollback', 'done', `rolled back: ${shortTaskDefinition(arn)} is live again`));
    return `Rolled back: ${shortTaskDefinition(arn)} is live again.`;
  }
  if (back.outcome.kind === 'interrupted') return `Interrupted while the rollback to ${shortTaskDefinition(arn)} was in progress (it continues in ECS).`;
  s.reporter.emit(stepEvent(name, 'rollback', 'fail', `the rollback to ${shortTaskDefinition(arn)} did not complete (${back.outcome.kind})`));
  return `The rollback to ${shortTaskDefinition(arn)} did not complete either (${back.outcome.kind === 'failed' || back.outcome.kind === 'rolled-back' ? back.outcome.reason : back.outcome.kind}); the service needs attention.`;
}

/**
 * The deployment history on the AWS side: who rolled this revision out, when, and how it ended
 * (`completed`, `failed`, `timeout`, `interrupted`). history.ts reads it back. Best effort: a
 * missing history tag must not turn a good deploy into a failed one.
 */
async function recordResult(ecs: EcsPort, arn: string, result: string, s: RolloutSettings): Promise<void> {
  await tagQuietly(ecs, arn, [
    { key: TAG_RESULT, value: result },
    { key: TAG_DEPLOYED_BY, value: s.deployedBy ?? 'unknown' },
    { key: TAG_DEPLOYED_AT, value: String(Date.now()) },
  ]);
}

/**
 * Tags the service with the spec of the revision that just COMPLETED (spec.ts), so the next no-op
 * deploy needs no DescribeTaskDefinition. Only other keys than the lock's (TagResource merges by
 * key), after the lock re-check; best effort: without the tag the next plan just reads in full.
 */
async function recordSpec(ecs: EcsPort, plan: DeployPlan, arn: string, serviceArn: string | undefined, s: RolloutSettings, rolloutMs?: number): Promise<void> {
  if (!plan.spec || !serviceArn || !arn) return;
  const value = formatSpecTag({ taskDefinitionArn: arn, fingerprint: plan.spec.fingerprint, contentTag: plan.contentTag, gitSha: plan.spec.gitSha });
  if (!value) return;
  try {
    await s.beforeWrite?.();
    // The rollout's duration rides along in the same call: the next deploy's watcher uses it.
    await ecs.tagResource(serviceArn, [{ key: TAG_SPEC, value }, ...(rolloutMs !== undefined ? [{ key: TAG_ROLLOUT_MS, value: String(rolloutMs) }] : [])]);
  } catch (e) {
    s.reporter.emit({ kind: 'warn', app: plan.app, message: `could not record the spec tag on ${plan.service} (${(e as Error).message}); the next deploy reads the task definition` });
  }
}

async function tagQuietly(ecs: EcsPort, arn: string, tags: { key: string; value: string }[]): Promise<void> {
  await ecs.tagResource(arn, tags).catch(() => undefined);
}

/** Rolls the service to an existing revision (rollback command): UpdateService, watch, mark completed. */
export async function rolloutExisting(
  ports: DeployPorts,
  target: { app: AppDeployConfig; cluster: string; arn: string; previousArn?: string; imageRef: string },
  s: RolloutSettings,
): Promise<DeployResult> {
  const plan: DeployPlan = {
    kind: 'up-to-date',
    app: target.app.project,
    cluster: target.cluster,
    service: target.app.service,
    imageRef: target.imageRef,
    contentTag: '',
    taskDefinitionDiff: '',
    taskDefinitionArn: target.arn,
  };
  s.reporter.emit(stepEvent(plan.app, 'rollback', 'start', `rolling ${plan.service} to ${shortTaskDefinition(target.arn)} (${target.imageRef})`));
  let svc: EcsService;
  await s.beforeWrite?.();
  try {
    svc = await ports.ecs.updateService({ cluster: target.cluster, service: plan.service, taskDefinition: target.arn });
  } catch (e) {
    throw toFerryError(e, `update service ${plan.service} to ${shortTaskDefinition(target.arn)}`);
  }
  const deploymentId = primaryDeploymentId(svc);
  const w = await watch(ports.ecs, plan, deploymentId, Date.now() - 1000, s);
  if (w.outcome.kind === 'completed') {
    s.reporter.emit(stepEvent(plan.app, 'rollback', 'done', `${shortTaskDefinition(target.arn)} is live`));
    await markCompleted(ports.ecs, target.arn);
    await recordResult(ports.ecs, target.arn, 'completed', s);
    return { plan, taskDefinitionArn: target.arn, deploymentId, deregistered: [] };
  }
  return fail(ports, plan, target.app, { deploymentId, taskDefinitionArn: target.arn, previousArn: target.previousArn }, w, s);
}


function stepEvent(
  app: string,
  step: 'register-task-definition' | 'update-service' | 'create-service' | 'rollout' | 'rollback' | 'cleanup',
  status: 'start' | 'done' | 'skip' | 'fail',
  message: string,
  data?: Record<string, unknown>,
) {
  return { kind: 'step' as const, app, step, status, message, ...(data && { data }) };
}

