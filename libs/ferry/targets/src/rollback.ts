// rollback: point the service back at the previous completed revision (or --to <tag|revision>),
// no rebuild; watch it like a deploy. Logic: libs/ferry/deploy/src/rollback.ts.
import { resolveApp } from '@ferry/core';
import { applyRollback, appPorts, checkMigrationsUnread, checkRollbackPastMigration, CHAIN_HELP, CHAIN_OPTIONS, deployer, rolloutPolls, formatRollbackPlan, lockWaitMs, planRollback, shortTaskDefinition, timeoutMs, withServiceLock } from '@ferry/deploy';
import type { TargetSpec } from '@ferry/ui';

export const rollbackTarget: TargetSpec<{ to?: string; force: boolean; 'dry-run': boolean; 'no-rollback': boolean; timeout?: string; 'lock-wait'?: string; 'force-unlock': boolean }> = {
  target: 'rollback',
  summary: 'Point the service back at the previous completed revision (or --to <tag|revision>) and wait for it.',
  options: { to: { type: 'string' }, force: { type: 'boolean', default: false }, 'dry-run': { type: 'boolean', default: false }, 'no-rollback': { type: 'boolean', default: false }, timeout: { type: 'string' }, 'lock-wait': CHAIN_OPTIONS['lock-wait'], 'force-unlock': CHAIN_OPTIONS['force-unlock'] },
  describe: { to: 'a content tag or revision number to return to', force: 'roll back even to a revision older than the last successful migration', 'dry-run': CHAIN_HELP['dry-run'], 'no-rollback': 'if this rollout fails, leave it instead of returning to where it started', timeout: CHAIN_HELP.timeout, 'lock-wait': CHAIN_HELP['lock-wait'], 'force-unlock': CHAIN_HELP['force-unlock'] },
  async main({ args, reporter, workspaceRoot, signal, session }) {
    const resolved = await resolveApp(workspaceRoot, args.project!, args.env, session);
    const project = resolved.app.project;
    const ports = appPorts(session, resolved);
    let plan = await planRollback(ports, resolved, args.to);
    if (args['dry-run'] || plan.alreadyLive) {
      for (const message of formatRollbackPlan(plan)) reporter.emit({ kind: 'info', app: project, message });
      reporter.emit({ kind: 'result', app: project, target: 'rollback', ok: true, summary: plan.alreadyLive ? 'already live' : 'dry run: nothing changed', data: { dryRun: args['dry-run'], plan } });
      return 0;
    }
    const pastMigration = () => {
      const unread = checkMigrationsUnread(plan, args.force);
      if (unread) reporter.emit({ kind: 'warn', app: project, message: unread });
      if (!plan.pastMigration) return;
      const note = checkRollbackPastMigration(plan.target, [plan.pastMigration], args.force, project);
      if (note) reporter.emit({ kind: 'warn', app: project, message: note });
    };
    pastMigration();
    const settings = { rollback: !args['no-rollback'], timeoutMs: timeoutMs(args, resolved.app), reporter, signal, deployedBy: deployer(), polls: session.use(rolloutPolls), clock: session.clock };
    const result = await withServiceLock(
      ports.ecs,
      { app: project, cluster: resolved.env.cluster, service: resolved.app.service },
      { waitMs: lockWaitMs(args), force: args['force-unlock'], signal, reporter },
      async (lock) => {
        // Re-plan under the lock: while we waited, another deploy may have changed what is live.
        plan = await planRollback(ports, resolved, args.to);
        pastMigration();
        return applyRollback(ports, resolved, plan, { ...settings, beforeWrite: lock ? () => lock.verify() : undefined });
      },
    );
    reporter.emit({
      kind: 'result',
      app: project,
      target: 'rollback',
      ok: true,
      summary: `${shortTaskDefinition(plan.target.arn)} (${plan.target.contentTag ?? plan.target.image}) is live`,
      data: { from: plan.fromArn, to: plan.target.arn, deploymentId: result?.deploymentId },
    });
    return 0;
  },
};
