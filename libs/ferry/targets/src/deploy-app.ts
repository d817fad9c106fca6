// deploy-app: register a task-definition revision with the image for the checked-out code, update
// (or create) the ECS service, watch the rollout, explain and roll back on failure.
// Logic: libs/ferry/deploy/src/{plan,deploy,wait}.ts.
import { resolveApp } from '@ferry/core';
import { applyDeploy, appPorts, checkPlaintextSecrets, clearLiveRecord, deployer, lockWaitMs, withServiceLock, writeLiveRecord, CHAIN_OPTIONS, CHAIN_HELP, formatPlan, localImage, planFor, shortTaskDefinition, takePrimedService, timeoutMs, withPrimedRead, type ChainArgs } from '@ferry/deploy';
import type { TargetSpec } from '@ferry/ui';

export const deployAppTarget: TargetSpec<ChainArgs> = {
  target: 'deploy-app',
  summary: 'Register a task definition revision with the new image, update the ECS service, watch the rollout; roll back on failure.',
  options: CHAIN_OPTIONS,
  describe: CHAIN_HELP,
  async main({ args, reporter, workspaceRoot, signal }) {
    const resolved = await resolveApp(workspaceRoot, args.project!, args.env);
    const { app, env } = resolved;
    const secretsWarning = checkPlaintextSecrets(app.project, app.environment, args['allow-plaintext-secrets']);
    if (secretsWarning) reporter.emit({ kind: 'warn', app: app.project, message: secretsWarning });
    const waitMs = lockWaitMs(args);
    const ports = appPorts(resolved);
    const image = await localImage(resolved, ports.ecr, { tag: args.tag });
    // In a batch, the service was read for many apps at once (prefetch.ts): plan on that read.
    const primed = takePrimedService(resolved);
    const readAt = primed?.readAt ?? Date.now();
    const planned = await planFor(withPrimedRead(ports.ecs, env.cluster, app.service, primed), { app, env, imageRef: image.imageRef, contentTag: image.tag, gitSha: image.gitSha, force: args.force });
    let { plan, live } = planned;
    if (args['dry-run']) {
      for (const message of formatPlan(plan)) reporter.emit({ kind: 'info', app: app.project, message });
      reporter.emit({ kind: 'result', app: app.project, target: 'deploy-app', ok: true, summary: `dry run: ${plan.kind}`, data: { dryRun: true, plan } });
      return 0;
    }
    clearLiveRecord(resolved);
    const settings = { rollback: !args['no-rollback'], timeoutMs: timeoutMs(args, app), reporter, signal, deployedBy: deployer() };
    // Up to date: no write at all, so no lock. Anything else holds the service lock (lock.ts) from
    // before the first write to the end, and re-plans under it: the wait may have changed the service.
    const result =
      plan.kind === 'up-to-date' && !args['force-unlock']
        ? await applyDeploy(ports, plan, app, settings)
        : await withServiceLock(
            ports.ecs,
            { app: app.project, cluster: env.cluster, service: app.service, ensureCluster: plan.kind === 'create-service' && plan.ensureCluster },
            { waitMs, force: args['force-unlock'], signal, reporter },
            async (lock) => {
              ({ plan, live } = await planFor(ports.ecs, { app, env, imageRef: image.imageRef, contentTag: image.tag, gitSha: image.gitSha, force: args.force }));
              return applyDeploy(ports, plan, app, { ...settings, beforeWrite: lock ? () => lock.verify() : undefined });
            },
          );
    // Nothing changed: the steps after this one in the same Nx run can trust this read (live-record.ts).
    if (plan.kind === 'up-to-date' && live) writeLiveRecord(resolved, live, readAt);
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
