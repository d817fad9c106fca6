// build-image: tag the app by content, skip when that image already exists, else build it.
// Logic: libs/ferry/docker/src/build-image.ts.
import { getProjectGraph, resolveApp } from '@ferry/core';
import { awsClients, checkAccount } from '@ferry/aws';
import { applyBuildImage, describeBuildPlan, gatherBuildFacts, planBuildImage } from '@ferry/docker';
import { CHAIN_HELP, CHAIN_OPTIONS, type ChainArgs } from '@ferry/deploy';
import type { TargetSpec } from '@ferry/ui';
import { APP_BUILD_TARGET, appBuilds, type AppBuildRun } from './app-builds.ts';
import { preflightOnce } from './verify.ts';

/** `api:build ready after 0.4s (nx run-many -t build, 2 apps: 1.4s)`: the wait, then the Nx run that built it. Pure. */
export function appBuildDone(project: string, waitedMs: number, run: AppBuildRun): string {
  const apps = run.projects.length === 1 ? '1 app' : `${run.projects.length} apps`;
  return `${project}:${APP_BUILD_TARGET} ready after ${(waitedMs / 1000).toFixed(1)}s (nx run-many -t ${APP_BUILD_TARGET}, ${apps}: ${(run.ms / 1000).toFixed(1)}s)`;
}

export const buildImageTarget: TargetSpec<ChainArgs> = {
  target: 'build-image',
  summary: 'Build the app image tagged with its content tag; nothing to do when the registry or the engine already has it.',
  // The whole chain's flag set: `nx run api:deploy --timeout 300` forwards --timeout here too.
  options: CHAIN_OPTIONS,
  describe: { ...CHAIN_HELP, 'dry-run': 'print the plan (the exact docker command) and build nothing' },
  async main({ args, reporter, workspaceRoot, signal, session }) {
    const resolved = await resolveApp(workspaceRoot, args.project!, args.env, session);
    // aws: a deploy that could not succeed (cluster, execution role, target group, size, network…) stops before anything is built.
    await preflightOnce(session, resolved);
    // Credentials of another account than the environment's: stop before building anything.
    await checkAccount(resolved.env, session.use(awsClients).identity(resolved.env), session.env);
    const ports = { ecr: session.use(awsClients).ecr(resolved.env), reporter, signal, session };
    const facts = await gatherBuildFacts(resolved, ports, { dryRun: args['dry-run'] });
    const plan = planBuildImage(facts, { allowDirty: args['allow-dirty'] });
    const project = resolved.app.project;
    if (args['dry-run']) {
      const { lines, data } = describeBuildPlan(plan, resolved);
      for (const message of lines) reporter.emit({ kind: 'info', app: project, message });
      reporter.emit({ kind: 'result', app: project, target: 'build-image', ok: true, summary: `dry run: ${plan.action}`, data: { dryRun: true, ...data } });
      return 0;
    }
    if (plan.action === 'build' && (await getProjectGraph(workspaceRoot, session)).nodes[project]?.targetNames.includes(APP_BUILD_TARGET)) {
      // The app's own bundle, built now rather than as an Nx dependency (app-builds.ts says why).
      const started = Date.now();
      reporter.emit({ kind: 'step', app: project, step: APP_BUILD_TARGET, status: 'start', message: `nx run ${project}:${APP_BUILD_TARGET}` });
      const run = await session.use(appBuilds).ensure(project);
      const waitedMs = Date.now() - started;
      reporter.emit({ kind: 'step', app: project, step: APP_BUILD_TARGET, status: 'done', message: appBuildDone(project, waitedMs, run), data: { waitedMs, nxMs: run.ms, projects: run.projects } });
    }
    const record = await applyBuildImage(resolved, plan, ports);
    const summary = plan.action === 'skip' ? plan.message : `built ${record.imageRef}`;
    reporter.emit({ kind: 'result', app: project, target: 'build-image', ok: true, summary, data: { ...record, action: plan.action } });
    return 0;
  },
};
