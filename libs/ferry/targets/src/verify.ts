// verify: the preflight of a deploy. Reads the environment once (account, cluster, ECR repository,
// service, target group) and reports every problem at once, each with its fix, before any build.
// deploy-app runs the same checks first in `aws` environments. Logic: libs/ferry/deploy/src/preflight.ts.
import { resolveApp, type ResolvedApp, type RunSession } from '@ferry/core';
import { awsClients } from '@ferry/aws';
import { appPorts, preflights, verifyApp, verifyOnce, withResolvedAppUrls, type PreflightReport } from '@ferry/deploy';
import type { TargetSpec } from '@ferry/ui';

/** The preflight of an `aws` environment, once per run (build-image and deploy-app start with it); nothing for the sandbox. */
export async function preflightOnce(session: RunSession, resolved: Pick<ResolvedApp, 'app' | 'env'>): Promise<PreflightReport | undefined> {
  if (resolved.env.kind !== 'aws') return undefined;
  const ports = appPorts(session, resolved);
  return verifyOnce(session.use(preflights), { ...ports, identity: session.use(awsClients).identity(resolved.env) }, resolved.app, resolved.env);
}

export const verifyTarget: TargetSpec<Record<string, never>> = {
  target: 'verify',
  summary: 'Check that a deploy of this app to the environment can succeed (account, cluster, repository, execution role, target group, Fargate size, network), before anything is built.',
  options: {},
  describe: {},
  async main({ args, reporter, workspaceRoot, session }) {
    const resolved0 = await resolveApp(workspaceRoot, args.project!, args.env, session);
    const resolved = { ...resolved0, app: await withResolvedAppUrls(session, workspaceRoot, resolved0) };
    const { app, env } = resolved;
    const ports = appPorts(session, resolved);
    const report = await verifyApp({ ...ports, identity: session.use(awsClients).identity(env) }, app, env);
    for (const message of report.notes) reporter.emit({ kind: 'info', app: app.project, message: `✓ ${message}` });
    reporter.emit({ kind: 'result', app: app.project, target: 'verify', ok: true, summary: `ready to deploy to ${env.name}`, data: { notes: report.notes } });
    return 0;
  },
};
