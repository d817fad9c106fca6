// health-check: the ECS view of the service plus the app's HTTP health endpoint through the
// service URL, retried with backoff. Logic: libs/ferry/deploy/src/health.ts.
import { FerryError, resolveApp } from '@ferry/core';
import { LIVE_MAX_AGE_MS } from '@ferry/aws';
import { appPorts, CHAIN_HELP, CHAIN_OPTIONS, checkHealth, deployer, describeHealthCheck, rolloutPolls, lockWaitMs, revertFailedCheck, rolloutToVerify, timeoutMs, type ChainArgs } from '@ferry/deploy';
import type { TargetSpec } from '@ferry/ui';

export const healthCheckTarget: TargetSpec<ChainArgs & { attempts?: string }> = {
  target: 'health-check',
  summary: 'Check the running service: ECS (one COMPLETED deployment, all tasks running and healthy) and its HTTP health endpoint.',
  options: { ...CHAIN_OPTIONS, attempts: { type: 'string' } },
  describe: { ...CHAIN_HELP, attempts: 'how many times to check before giving up (default 6, with backoff)' },
  async main({ args, reporter, workspaceRoot, signal, session }) {
    const resolved = await resolveApp(workspaceRoot, args.project!, args.env, session);
    const project = resolved.app.project;
    if (args['dry-run']) {
      for (const message of describeHealthCheck(resolved)) reporter.emit({ kind: 'info', app: project, message });
      reporter.emit({ kind: 'result', app: project, target: 'health-check', ok: true, summary: 'dry run: nothing checked' });
      return 0;
    }
    const attempts = args.attempts === undefined ? 6 : Number(args.attempts);
    // The first look may judge what this run already read of the service and its tasks (deploy-app's
    // read, the watcher's last poll, the batch's cluster-wide task listing); a retry reads ECS.
    const ports = appPorts(session, resolved);
    let report;
    try {
      report = await checkHealth(ports.ecs, resolved, { reporter, signal, attempts, maxAgeMs: LIVE_MAX_AGE_MS, elb: ports.elbv2, targetHealth: !!rolloutToVerify(session, resolved) });
    } catch (e) {
      // Right after a rollout of this run, a failed health check is a failed deploy (verify.ts).
      if (!(e instanceof FerryError) || e.code !== 'UNHEALTHY') throw e;
      const rolled = rolloutToVerify(session, resolved);
      if (!rolled) throw e;
      const settings = { rollback: true, timeoutMs: timeoutMs(args, resolved.app), reporter, signal, deployedBy: deployer(), polls: session.use(rolloutPolls), clock: session.clock };
      const note = await revertFailedCheck(session, ports, resolved, rolled, 'health', settings, { waitMs: lockWaitMs(args), force: args['force-unlock'] });
      throw new FerryError('UNHEALTHY', `${e.message.replace(/ Next: .*$/, '')} ${note}`, { details: e.details });
    }
    reporter.emit({ kind: 'result', app: project, target: 'health-check', ok: true, summary: report.summary, data: { ...report } });
    return 0;
  },
};
