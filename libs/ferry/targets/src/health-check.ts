// health-check: the ECS view of the service plus the app's HTTP health endpoint through the
// service URL, retried with backoff. Logic: libs/ferry/deploy/src/health.ts.
import { resolveApp } from '@ferry/core';
import { appPorts, CHAIN_HELP, CHAIN_OPTIONS, checkHealth, readLiveRecord, describeHealthCheck, withPrimedTasks, type ChainArgs } from '@ferry/deploy';
import type { TargetSpec } from '@ferry/ui';

export const healthCheckTarget: TargetSpec<ChainArgs & { attempts?: string }> = {
  target: 'health-check',
  summary: 'Check the running service: ECS (one COMPLETED deployment, all tasks running and healthy) and its HTTP health endpoint.',
  options: { ...CHAIN_OPTIONS, attempts: { type: 'string' } },
  describe: { ...CHAIN_HELP, attempts: 'how many times to check before giving up (default 6, with backoff)' },
  async main({ args, reporter, workspaceRoot, signal }) {
    const resolved = await resolveApp(workspaceRoot, args.project!, args.env);
    const project = resolved.app.project;
    if (args['dry-run']) {
      for (const message of describeHealthCheck(resolved)) reporter.emit({ kind: 'info', app: project, message });
      reporter.emit({ kind: 'result', app: project, target: 'health-check', ok: true, summary: 'dry run: nothing checked' });
      return 0;
    }
    const attempts = args.attempts === undefined ? 6 : Number(args.attempts);
    // deploy-app found the app up to date in this run: judge its view, and in a batch the tasks
    // listed for the whole cluster at the start (prefetch.ts), instead of reading them again.
    const recorded = readLiveRecord(resolved)?.service;
    const { ecs } = appPorts(resolved);
    const report = await checkHealth(recorded ? withPrimedTasks(ecs, resolved) : ecs, resolved, { reporter, signal, attempts, recorded });
    reporter.emit({ kind: 'result', app: project, target: 'health-check', ok: true, summary: report.summary, data: { ...report } });
    return 0;
  },
};
