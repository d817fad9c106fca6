// build-image: tag the app by content, skip when that image already exists, else build it.
// Logic: libs/ferry/docker/src/build-image.ts.
import { resolveApp } from '@ferry/core';
import { createAwsClients, ecrPort } from '@ferry/aws';
import { applyBuildImage, describeBuildPlan, gatherBuildFacts, planBuildImage } from '@ferry/docker';
import { runTarget } from '@ferry/ui';

await runTarget<{ 'dry-run': boolean; 'allow-dirty': boolean }>({
  target: 'build-image',
  summary: 'Build the app image tagged with its content tag; nothing to do when the registry or the engine already has it.',
  options: { 'dry-run': { type: 'boolean', default: false }, 'allow-dirty': { type: 'boolean', default: false } },
  describe: { 'dry-run': 'print the plan (the exact docker command) and build nothing', 'allow-dirty': 'allow a tag with uncommitted changes for an AWS environment' },
  async main({ args, reporter, workspaceRoot, signal }) {
    const resolved = await resolveApp(workspaceRoot, args.project!, args.env);
    const ports = { ecr: ecrPort(createAwsClients(resolved.env).ecr), reporter, signal };
    const facts = await gatherBuildFacts(resolved, ports, { dryRun: args['dry-run'] });
    const plan = planBuildImage(facts, { allowDirty: args['allow-dirty'] });
    const project = resolved.app.project;
    if (args['dry-run']) {
      const { lines, data } = describeBuildPlan(plan, resolved);
      for (const message of lines) reporter.emit({ kind: 'info', app: project, message });
      reporter.emit({ kind: 'result', app: project, target: 'build-image', ok: true, summary: `dry run: ${plan.action}`, data: { dryRun: true, ...data } });
      return 0;
    }
    const record = await applyBuildImage(resolved, plan, ports, facts.builder);
    const summary = plan.action === 'skip' ? plan.message : `built ${record.imageRef}`;
    reporter.emit({ kind: 'result', app: project, target: 'build-image', ok: true, summary, data: { ...record, action: plan.action } });
    return 0;
  },
});
