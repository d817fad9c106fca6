// diff: the local content tag against the live one, the normalised task-definition diff and what
// deploy would do. Exit 0 whatever the answer (the diff itself succeeded, and Nx shows it as a
// succeeded task); with --exit-code, 2 when something would change (as `git diff --exit-code`).
// Logic: libs/ferry/deploy/src/{diff,plan,task-definition}.ts.
import { resolveApp } from '@ferry/core';
import { LIVE_MAX_AGE_MS } from '@ferry/aws';
import { appPorts, diffReport, explainDiff, liveTagOf, localImage, planFor, sandboxTargetGroup, withResolvedAppUrls } from '@ferry/deploy';
import type { TargetSpec } from '@ferry/ui';

export const diffTarget: TargetSpec<{ explain: boolean; tag?: string; 'exit-code': boolean }> = {
  target: 'diff',
  summary: 'Show what deploy would change (image, task definition, service), without changing anything. Exit 0; with --exit-code, 2 when something would change.',
  options: { explain: { type: 'boolean', default: false }, tag: { type: 'string' }, 'exit-code': { type: 'boolean', default: false } },
  describe: {
    explain: 'say why the content tag differs (input files changed since the live image was built)',
    tag: 'compare this image tag instead of the local content tag',
    'exit-code': 'exit 2 when something would change (through Nx: a failed task), 0 when nothing would',
  },
  async main({ args, reporter, workspaceRoot, session }) {
    const resolved0 = await resolveApp(workspaceRoot, args.project!, args.env, session);
    const resolved = { ...resolved0, app: await withResolvedAppUrls(session, workspaceRoot, resolved0) };
    const { app, env } = resolved;
    const ports = appPorts(session, resolved);
    const image = await localImage(session, resolved, ports.ecr, { tag: args.tag });
    const { plan, live } = await planFor(
      ports.ecs,
      { app, env, imageRef: image.imageRef, contentTag: image.tag, gitSha: image.gitSha, targetGroup: sandboxTargetGroup(ports.elbv2, app, env, { dryRun: true }) },
      { maxAgeMs: LIVE_MAX_AGE_MS, scaling: ports.scaling, elb: ports.elbv2 },
    );
    const liveTag = liveTagOf(live, app);
    const report = diffReport({ plan, localTag: image.tag, liveTag: liveTag.tag, liveGitSha: liveTag.gitSha, imagePushed: await ports.imageExists(app.repository, image.tag) });
    for (const message of report.lines) reporter.emit({ kind: 'info', app: app.project, message });
    if (args.explain) for (const message of await explainDiff(resolved, image, liveTag, session)) reporter.emit({ kind: 'info', app: app.project, message });
    if (report.next) reporter.emit({ kind: 'info', app: app.project, message: `next: ${report.next}` });
    reporter.emit({
      kind: 'result',
      app: app.project,
      target: 'diff',
      ok: !(report.changed && args['exit-code']),
      summary: report.changed ? `would change (${plan.kind})${args['exit-code'] ? ' — exit 2 (--exit-code)' : ''}` : 'no changes',
      data: { changed: report.changed, action: plan.kind, localTag: image.tag, liveTag: liveTag.tag, next: report.next, taskDefinitionDiff: plan.taskDefinitionDiff },
    });
    return report.changed && args['exit-code'] ? 2 : 0;
  },
};
