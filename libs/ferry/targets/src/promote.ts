// promote: deploy to --to the exact image digest that runs in --from, without rebuilding: find it
// in the source service's PRIMARY task definition, copy it to the target registry (a manifest
// retag in the same repository, the registry API across registries), deploy it pinned by digest,
// check the target runs that digest. Logic: libs/ferry/deploy/src/promote.ts, aws/registry-copy.ts.
import { FerryError, resolveApp } from '@ferry/core';
import { awsClients, checkAccount } from '@ferry/aws';
import { appPorts, applyCopy, assertRunsDigest, CHAIN_HELP, CHAIN_OPTIONS, formatPromotePlan, planPromote, readPromoteSource, readPromoteTarget, shortTaskDefinition } from '@ferry/deploy';
import type { TargetSpec } from '@ferry/ui';
import { deployWithImage, type DeployArgs } from './deploy-app.ts';

type PromoteArgs = DeployArgs & { from?: string; to?: string; tag?: string };

export const promoteTarget: TargetSpec<PromoteArgs> = {
  target: 'promote',
  summary: 'Deploy to --to the exact image digest that runs in --from (copied between registries when they differ); no build.',
  options: {
    from: { type: 'string' },
    to: { type: 'string' },
    tag: { type: 'string' },
    'dry-run': CHAIN_OPTIONS['dry-run'],
    'no-rollback': CHAIN_OPTIONS['no-rollback'],
    force: CHAIN_OPTIONS.force,
    timeout: CHAIN_OPTIONS.timeout,
    'lock-wait': CHAIN_OPTIONS['lock-wait'],
    'force-unlock': CHAIN_OPTIONS['force-unlock'],
    'allow-plaintext-secrets': CHAIN_OPTIONS['allow-plaintext-secrets'],
  },
  describe: {
    from: 'the environment whose running image is promoted (ferry.json)',
    to: 'the environment that gets it (default: --env, i.e. nx run <app>:promote:<env>)',
    tag: 'the tag the image gets in the target registry (default: its tag or content tag in the source)',
    'dry-run': 'show the copy and the deploy plan; change nothing',
    'no-rollback': CHAIN_HELP['no-rollback'],
    force: CHAIN_HELP.force,
    timeout: CHAIN_HELP.timeout,
    'lock-wait': CHAIN_HELP['lock-wait'],
    'force-unlock': CHAIN_HELP['force-unlock'],
    'allow-plaintext-secrets': CHAIN_HELP['allow-plaintext-secrets'],
  },
  async main(ctx) {
    const { reporter, workspaceRoot, session } = ctx;
    // `nx run api:promote:prod --from staging`: the configuration's --env is the target.
    const args = { ...ctx.args, to: ctx.args.to ?? ctx.args.env };
    if (!args.from || !args.to) throw new FerryError('USAGE', 'promote needs --from <environment> and --to <environment>, e.g. nx run api:promote --from staging --to prod');
    if (args.from === args.to) throw new FerryError('USAGE', `--from and --to are both ${args.from}: promote moves an image between two environments.`);
    if (ctx.args.to && ctx.args.env && ctx.args.env !== ctx.args.to) throw new FerryError('USAGE', `--env ${ctx.args.env} and --to ${ctx.args.to} disagree: give the target once (--to, or the configuration nx run <app>:promote:<env>).`);
    const source = await resolveApp(workspaceRoot, args.project!, args.from, session);
    const target = await resolveApp(workspaceRoot, args.project!, args.to, session);
    const project = target.app.project;
    const pool = session.use(awsClients);
    await checkAccount(source.env, pool.identity(source.env), session.env);
    await checkAccount(target.env, pool.identity(target.env), session.env);
    const sourcePorts = appPorts(session, source);
    const targetPorts = appPorts(session, target);
    const from = await readPromoteSource(sourcePorts, source);
    const plan = planPromote(from, await readPromoteTarget(targetPorts.ecr, target, from, args.tag));
    for (const message of formatPromotePlan(plan)) reporter.emit({ kind: 'info', app: project, message });
    const image = { tag: plan.target.tag, imageRef: plan.imageRef, gitSha: from.gitSha };
    const deployCtx = { ...ctx, args: { ...args, env: args.to } };
    if (args['dry-run']) {
      const outcome = await deployWithImage(deployCtx, target, async () => image, { promotedFrom: plan.promotedFrom });
      reporter.emit({ kind: 'result', app: project, target: 'promote', ok: true, summary: `dry run: copy ${plan.copy.kind}, deploy ${outcome.plan.kind}`, data: { dryRun: true, plan, deployPlan: outcome.plan } });
      return 0;
    }
    reporter.emit({ kind: 'step', app: project, step: 'copy', status: 'start', message: `copying ${from.digest} to ${plan.target.registry}/${plan.target.repository}:${plan.target.tag}` });
    const copied = await applyCopy({ source: sourcePorts.ecr, target: targetPorts.ecr }, plan, target, reporter);
    const copyText =
      copied.kind === 'blobs'
        ? `copied ${copied.blobsCopied} blob(s) (${copied.bytesCopied} bytes; ${copied.blobsPresent} already there) and ${copied.manifests} manifest(s)`
        : copied.kind === 'retag'
          ? copied.alreadyThere ? 'the tag already named this manifest' : 'tagged by PutImage (manifest copy)'
          : 'already there';
    reporter.emit({ kind: 'step', app: project, step: 'copy', status: 'done', message: copyText });
    const outcome = await deployWithImage(deployCtx, target, async () => image, { promotedFrom: plan.promotedFrom });
    if (outcome.kind !== 'deployed') return 0;
    const arn = await assertRunsDigest(targetPorts.ecs, target, from.digest);
    reporter.emit({
      kind: 'result',
      app: project,
      target: 'promote',
      ok: true,
      summary: `${args.to} ${shortTaskDefinition(arn)} runs ${from.digest.slice(0, 19)}… from ${args.from} ${shortTaskDefinition(from.taskDefinitionArn)} (${plan.target.tag})`,
      data: { from: from.env, to: target.env.name, digest: from.digest, source: from.taskDefinitionArn, taskDefinitionArn: arn, imageRef: plan.imageRef, tag: plan.target.tag, copy: copied, action: outcome.plan.kind, deploymentId: outcome.result.deploymentId },
    });
    return 0;
  },
};
