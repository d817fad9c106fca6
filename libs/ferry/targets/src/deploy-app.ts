// deploy-app: register a task-definition revision with the image for the checked-out code, update
// (or create) the ECS service, watch the rollout, explain and roll back on failure.
// Logic: libs/ferry/deploy/src/{live,plan,apply,roll,recover}.ts; the lock: lock.ts, lock-ahead.ts.
import { resolveApp, type ResolvedApp } from '@ferry/core';
import { awsClients, checkAccount, LIVE_MAX_AGE_MS, type EcrPort } from '@ferry/aws';
import {
  applyDeploy,
  requireImage,
  appPorts,
  checkLogsPrerequisites,
  checkPlaintextSecrets,
  checkTemplateSecrets,
  CHAIN_HELP,
  CHAIN_OPTIONS,
  deployer,
  deregistrations,
  expectedRolloutMs,
  rolloutPolls,
  formatPlan,
  localImage,
  locksAhead,
  lockWaitMs,
  planFor,
  describeTiming,
  recordRolloutToVerify,
  rolloutTimeoutMs,
  sandboxTargetGroup,
  type DeployPlan,
  shortTaskDefinition,
  timeoutMs,
  withServiceLock,
  withResolvedAppUrls,
  type ChainArgs,
  type DeployResult,
  type LocalImage,
  type HeldLock,
} from '@ferry/deploy';
import type { TargetContext, TargetSpec } from '@ferry/ui';
import { preflightOnce } from './verify.ts';

export const deployAppTarget: TargetSpec<ChainArgs> = {
  target: 'deploy-app',
  summary: 'Register a task definition revision with the new image, update the ECS service, watch the rollout; roll back on failure.',
  options: CHAIN_OPTIONS,
  describe: CHAIN_HELP,
  async main(ctx) {
    const { args, reporter, workspaceRoot, session } = ctx;
    const resolved0 = await resolveApp(workspaceRoot, args.project!, args.env, session);
    // `${app:<project>.url}` in the environment becomes that app's URL (deployed before this one).
    const resolved = { ...resolved0, app: await withResolvedAppUrls(session, workspaceRoot, resolved0) };
    const { app } = resolved;
    const outcome = await deployWithImage(ctx, resolved, (ecr) => localImage(session, resolved, ecr, { tag: args.tag }));
    if (outcome.kind === 'dry-run') {
      reporter.emit({ kind: 'result', app: app.project, target: 'deploy-app', ok: true, summary: `dry run: ${outcome.plan.kind}`, data: { dryRun: true, plan: outcome.plan } });
      return 0;
    }
    const { plan, result, image } = outcome;
    const summary =
      plan.kind === 'up-to-date'
        ? `up to date: ${shortTaskDefinition(result.taskDefinitionArn)} runs ${image.tag}`
        : `${shortTaskDefinition(result.taskDefinitionArn)} runs ${image.tag} (deployment ${result.deploymentId} COMPLETED)`;
    reporter.emit({
      kind: 'result',
      app: app.project,
      target: 'deploy-app',
      ok: true,
      summary,
      data: { action: plan.kind, taskDefinitionArn: result.taskDefinitionArn, deploymentId: result.deploymentId, imageRef: image.imageRef, tag: image.tag, deregistered: result.deregistered },
    });
    return 0;
  },
};

export type DeployArgs = Pick<ChainArgs, 'dry-run' | 'no-rollback' | 'force' | 'timeout' | 'lock-wait' | 'force-unlock' | 'allow-plaintext-secrets'> & { project?: string; env?: string };

/** What deployWithImage did: printed a dry-run plan, or rolled out (or found up to date) the image. */
export type DeployOutcome = { kind: 'dry-run'; plan: DeployPlan; image: LocalImage } | { kind: 'deployed'; plan: DeployPlan; result: DeployResult; image: LocalImage };

/**
 * deploy-app's work for one resolved app and an image: plan (the `--dry-run` output), take the
 * lock, apply, watch. deploy-app passes the workspace's image (its content tag); promote passes the
 * image it copied, pinned by digest, and records where it came from (`extra.promotedFrom`).
 */
export async function deployWithImage(
  { args, reporter, signal, session }: Pick<TargetContext<DeployArgs>, 'args' | 'reporter' | 'signal' | 'session'>,
  resolved: ResolvedApp,
  imageFor: (ecr: EcrPort) => Promise<LocalImage>,
  extra: { promotedFrom?: string } = {},
): Promise<DeployOutcome> {
  const { app, env } = resolved;
  // aws: the preflight first (account, cluster, execution role, target group, size, network: every
  // problem at once, verify.ts); it already ran in this run's build-image when there was one.
  if (env.kind === 'aws') await preflightOnce(session, resolved);
  await checkAccount(env, session.use(awsClients).identity(env), session.env);
  // The lock may have been taken while the image was built and pushed (lock-ahead.ts).
  const ahead = session.use(locksAhead).take({ env: env.name, cluster: env.cluster, service: app.service }, reporter, signal);
  let aheadLock: HeldLock | undefined;
  let aheadSettled = false;
  try {
    // deploy.json's environment, then (template mode) what the template's containers write themselves.
    for (const check of [() => checkPlaintextSecrets(app.project, app.environment, args['allow-plaintext-secrets'], app.template?.shown), () => checkTemplateSecrets(app, env, args['allow-plaintext-secrets'])]) {
      const secretsWarning = check();
      if (secretsWarning) reporter.emit({ kind: 'warn', app: app.project, message: secretsWarning });
    }
    const waitMs = lockWaitMs(args);
    const ports = appPorts(session, resolved);
    const image = await imageFor(ports.ecr);
    const input = {
      app,
      env,
      imageRef: image.imageRef,
      contentTag: image.tag,
      gitSha: image.gitSha,
      promotedFrom: extra.promotedFrom,
      force: args.force,
      targetGroup: sandboxTargetGroup(ports.elbv2, app, env, { dryRun: args['dry-run'] }),
      urlOf: (arn: string) => ports.elbv2.url(arn),
    };
    const settings = { rollback: !args['no-rollback'], timeoutMs: timeoutMs(args, app), reporter, signal, deployedBy: deployer(), polls: session.use(rolloutPolls), deregistrations: session.use(deregistrations), clock: session.clock };
    // A rollout behind a target group waits for its health checks and deregistration delay: the
    // default timeout grows by them (read only when something rolls out: a no-op reads no ELBv2).
    const rolloutSettings = async (p: DeployPlan | undefined) => {
      const tg = p?.kind === 'create-service' ? p.createInput.loadBalancers?.find((l) => l.targetGroupArn)?.targetGroupArn : p?.kind === 'update' ? (p.updateInput.loadBalancers ?? live?.service?.loadBalancers)?.find((l) => l.targetGroupArn)?.targetGroupArn : undefined;
      if (!tg || p?.kind === 'up-to-date') return settings;
      const timing = await ports.elbv2.timing(tg);
      return { ...settings, timeoutMs: args.timeout === undefined ? rolloutTimeoutMs(app, settings.timeoutMs, timing) : settings.timeoutMs, timeoutHint: describeTiming(timing) };
    };
    // A lock taken ahead was taken because the batch's first read planned an update: plan under
    // it straight away, on a fresh read. Without one, the first plan may rest on a read of the
    // service this run already has (the batch reads many services at once); anything it decides
    // to change is planned again on a fresh read under the lock.
    if (ahead && !args['dry-run']) {
      aheadSettled = true;
      aheadLock = await ahead;
      if (aheadLock && args['force-unlock']) {
        await aheadLock.release();
        aheadLock = undefined;
      }
      if (aheadLock) reporter.emit({ kind: 'info', app: app.project, message: `lock: holding the lock of ${app.service}, taken ahead while the image was built and pushed` });
    }
    let { plan, live } = aheadLock ? { plan: undefined, live: undefined } : await planFor(ports.ecs, input, { maxAgeMs: LIVE_MAX_AGE_MS, scaling: ports.scaling, elb: ports.elbv2 });
    // A revision that needs an execution role it would not have (awslogs, secrets) is refused before any write.
    const requireRole = (p: DeployPlan | undefined, l: typeof live) => {
      if (p?.kind === 'create-service' || p?.kind === 'update') checkLogsPrerequisites(app, env, { exists: !!l, executionRoleArn: l?.taskDef?.taskDefinition.executionRoleArn });
    };
    requireRole(plan, live);
    if (plan && args['dry-run']) {
      for (const message of formatPlan(plan)) reporter.emit({ kind: 'info', app: app.project, message });
      return { kind: 'dry-run', plan, image };
    }
    // Anything but up to date writes: the image must be in ECR before the lock is taken. A lock
    // taken ahead is already held: applyDeploy checks under it, and withServiceLock releases it.
    if (!aheadLock && plan?.kind !== 'up-to-date') await requireImage(ports, app, image.imageRef, image.tag);
    // Up to date: no write at all, so no lock. Anything else holds the service lock (lock.ts) from
    // before the first write to the end, and re-plans under it: the wait may have changed the service.
    const result =
      plan?.kind === 'up-to-date' && !args['force-unlock']
        ? await applyDeploy(ports, plan, app, settings)
        : await withServiceLock(
            ports.ecs,
            { app: app.project, cluster: env.cluster, service: app.service, ensureCluster: plan?.kind === 'create-service' && plan.ensureCluster },
            { waitMs, force: args['force-unlock'], signal, reporter },
            async (lock) => {
              ({ plan, live } = await planFor(ports.ecs, input, { scaling: ports.scaling, elb: ports.elbv2 }));
              requireRole(plan, live);
              return applyDeploy(ports, plan!, app, { ...(await rolloutSettings(plan)), expectedRolloutMs: expectedRolloutMs(live?.service), beforeWrite: lock ? () => lock.verify() : undefined });
            },
            aheadLock,
          );
    // The checks after this step (health-check, smoke-test) may undo this rollout if they fail (verify.ts).
    const previous = plan!.kind === 'update' || plan!.kind === 'watch' ? plan!.previousTaskDefinitionArn : undefined;
    if (previous && result.deploymentId && previous !== result.taskDefinitionArn) {
      recordRolloutToVerify(session, resolved, { app: app.project, cluster: env.cluster, service: app.service, from: previous, to: result.taskDefinitionArn });
    }
    return { kind: 'deployed', plan: plan!, result, image };
  } finally {
    // Taken ahead but not needed (up to date after all, dry run, a refusal before any write).
    if (ahead && !aheadSettled) await ahead.then((l) => l?.release(), () => undefined);
  }
}
