// deploy-app: register a task-definition revision with the image for the checked-out code, update
// (or create) the ECS service, watch the rollout, explain and roll back on failure.
// Logic: libs/ferry/deploy/src/{plan,deploy,wait}.ts.
import { resolveApp } from '@ferry/core';
import { applyDeploy, appPorts, expectedRolloutMs, checkPlaintextSecrets, clearLiveRecord, deployer, lockWaitMs, takeLockAhead, withServiceLock, writeLiveRecord, CHAIN_OPTIONS, CHAIN_HELP, formatPlan, localImage, planFor, shortTaskDefinition, takePrimedService, timeoutMs, withPrimedRead, type ChainArgs, type HeldLock } from '@ferry/deploy';
import type { TargetSpec } from '@ferry/ui';

export const deployAppTarget: TargetSpec<ChainArgs> = {
  target: 'deploy-app',
  summary: 'Register a task definition revision with the new image, update the ECS service, watch the rollout; roll back on failure.',
  options: CHAIN_OPTIONS,
  describe: CHAIN_HELP,
  async main({ args, reporter, workspaceRoot, signal }) {
    const resolved = await resolveApp(workspaceRoot, args.project!, args.env);
    const { app, env } = resolved;
    // In a batch, the lock may have been taken while the image was built and pushed (lock-ahead.ts).
    const ahead = takeLockAhead({ env: env.name, cluster: env.cluster, service: app.service }, reporter, signal);
    let aheadLock: HeldLock | undefined;
    let aheadSettled = false;
    try {
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
      // A lock taken ahead was taken for exactly this plan kind (on the same read); it is awaited
      // only here, right before the writes, and given back for any other plan before acquiring.
      if (ahead && plan.kind !== 'up-to-date') {
        aheadSettled = true;
        aheadLock = await ahead;
        if (aheadLock && (plan.kind !== 'update' || args['force-unlock'])) {
          await aheadLock.release();
          aheadLock = undefined;
        }
        if (aheadLock) reporter.emit({ kind: 'info', app: app.project, message: `lock: holding the lock of ${app.service}, taken ahead while the image was built and pushed` });
      }
      const result =
        plan.kind === 'up-to-date' && !args['force-unlock']
          ? await applyDeploy(ports, plan, app, settings)
          : await withServiceLock(
              ports.ecs,
              { app: app.project, cluster: env.cluster, service: app.service, ensureCluster: plan.kind === 'create-service' && plan.ensureCluster },
              { waitMs, force: args['force-unlock'], signal, reporter },
              async (lock) => {
                ({ plan, live } = await planFor(ports.ecs, { app, env, imageRef: image.imageRef, contentTag: image.tag, gitSha: image.gitSha, force: args.force }));
                return applyDeploy(ports, plan, app, { ...settings, expectedRolloutMs: expectedRolloutMs(live?.service), beforeWrite: lock ? () => lock.verify() : undefined });
              },
              aheadLock,
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
    } finally {
      // Taken ahead but not needed (up to date after all, dry run, a refusal before any write).
      if (ahead && !aheadSettled) await ahead.then((l) => l?.release(), () => undefined);
    }
  },
};
