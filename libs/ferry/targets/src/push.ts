// push: ensure the ECR repository, then push the image build-image recorded (skipped when the tag
// is already there). Logic: libs/ferry/docker/src/push-image.ts.
import { resolveApp } from '@ferry/core';
import { awsClients } from '@ferry/aws';
import { describePushPlan, pushImage } from '@ferry/docker';
import { CHAIN_HELP, CHAIN_OPTIONS, type ChainArgs } from '@ferry/deploy';
import type { TargetSpec } from '@ferry/ui';

export const pushTarget: TargetSpec<ChainArgs> = {
  target: 'push',
  summary: 'Push the image to the environment registry (ECR); skipped when the tag is already there.',
  // The whole chain's flag set: `nx run api:deploy --timeout 300` forwards --timeout here too.
  options: CHAIN_OPTIONS,
  describe: { ...CHAIN_HELP, 'dry-run': 'print what would be created and pushed; change nothing' },
  async main({ args, reporter, workspaceRoot, signal, session }) {
    const resolved = await resolveApp(workspaceRoot, args.project!, args.env, session);
    const ports = { ecr: session.use(awsClients).ecr(resolved.env), reporter, signal, session };
    const project = resolved.app.project;
    if (args['dry-run']) {
      const { lines, data } = await describePushPlan(resolved, ports);
      for (const message of lines) reporter.emit({ kind: 'info', app: project, message });
      reporter.emit({ kind: 'result', app: project, target: 'push', ok: true, summary: `dry run: ${data.action}`, data: { dryRun: true, ...data } });
      return 0;
    }
    const record = await pushImage(resolved, ports);
    reporter.emit({ kind: 'result', app: project, target: 'push', ok: true, summary: `${record.imageRef}@${record.digest}`, data: { ...record } });
    return 0;
  },
};
