// deploy: the composite's own step. Nx has already run build-image -> push -> deploy-app ->
// health-check -> smoke-test (dependsOn); this prints one line per app: URL, tag, revision.
import { resolveApp } from '@ferry/core';
import { LIVE_MAX_AGE_MS } from '@ferry/aws';
import { appPorts, CHAIN_HELP, CHAIN_OPTIONS, deploySummary, readLive, type ChainArgs } from '@ferry/deploy';
import type { TargetSpec } from '@ferry/ui';

export const deployTarget: TargetSpec<ChainArgs> = {
  target: 'deploy',
  summary: 'Build, push, deploy, health-check and smoke-test this app (the whole chain); prints where it runs.',
  options: CHAIN_OPTIONS,
  describe: CHAIN_HELP,
  async main({ args, reporter, workspaceRoot, session }) {
    const resolved = await resolveApp(workspaceRoot, args.project!, args.env, session);
    const project = resolved.app.project;
    if (args['dry-run']) {
      reporter.emit({ kind: 'result', app: project, target: 'deploy', ok: true, summary: 'dry run: every step above printed its plan; nothing was changed' });
      return 0;
    }
    const live = await readLive(appPorts(session, resolved).ecs, resolved.app, resolved.env, { maxAgeMs: LIVE_MAX_AGE_MS, anySpec: true });
    const s = deploySummary(live, resolved);
    reporter.emit({ kind: 'result', app: project, target: 'deploy', ok: true, summary: s.line, data: { ...s } });
    return 0;
  },
};
