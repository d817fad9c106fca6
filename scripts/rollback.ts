// rollback: point the service back at the previous completed revision (or --to <tag|revision>),
// no rebuild; watch it like a deploy. Logic: libs/ferry/deploy/src/rollback.ts.
import { resolveApp } from '@ferry/core';
import { applyRollback, appPorts, CHAIN_HELP, formatRollbackPlan, planRollback, shortTaskDefinition, timeoutMs } from '@ferry/deploy';
import { runTarget } from '@ferry/ui';

await runTarget<{ to?: string; 'dry-run': boolean; 'no-rollback': boolean; timeout?: string }>({
  target: 'rollback',
  summary: 'Point the service back at the previous completed revision (or --to <tag|revision>) and wait for it.',
  options: { to: { type: 'string' }, 'dry-run': { type: 'boolean', default: false }, 'no-rollback': { type: 'boolean', default: false }, timeout: { type: 'string' } },
  describe: { to: 'a content tag or revision number to return to', 'dry-run': CHAIN_HELP['dry-run'], 'no-rollback': 'if this rollout fails, leave it instead of returning to where it started', timeout: CHAIN_HELP.timeout },
  async main({ args, reporter, workspaceRoot, signal }) {
    const resolved = await resolveApp(workspaceRoot, args.project!, args.env);
    const project = resolved.app.project;
    const ports = appPorts(resolved);
    const plan = await planRollback(ports, resolved, args.to);
    if (args['dry-run'] || plan.alreadyLive) {
      for (const message of formatRollbackPlan(plan)) reporter.emit({ kind: 'info', app: project, message });
      reporter.emit({ kind: 'result', app: project, target: 'rollback', ok: true, summary: plan.alreadyLive ? 'already live' : 'dry run: nothing changed', data: { dryRun: args['dry-run'], plan } });
      return 0;
    }
    const result = await applyRollback(ports, resolved, plan, { rollback: !args['no-rollback'], timeoutMs: timeoutMs(args, resolved.app), reporter, signal });
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
});
