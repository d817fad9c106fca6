// history: who deployed which tag and git revision of this app, when, and how it ended — read
// from the task-definition revisions' tags in ECS, so every machine sees the same history.
// Logic: libs/ferry/deploy/src/history.ts.
import { FerryError, resolveApp } from '@ferry/core';
import { appPorts, HISTORY_MARGIN, historyEntries, historyRevisions, historyRows, readLive, revisionFromDescribe } from '@ferry/deploy';
import type { TargetSpec } from '@ferry/ui';

export const historyTarget: TargetSpec<{ limit?: string; all: boolean }> = {
  target: 'history',
  summary: 'Show the deployment history of the service: revision, tag, git revision, who, when, result.',
  options: { limit: { type: 'string' }, all: { type: 'boolean', default: false } },
  describe: {
    limit: `how many rows (default 20); reads the newest limit + ${HISTORY_MARGIN} revisions and the live one`,
    all: 'read every ACTIVE revision of the family (one DescribeTaskDefinition each); with --limit, still that many rows',
  },
  async main({ args, reporter, workspaceRoot, session }) {
    const resolved = await resolveApp(workspaceRoot, args.project!, args.env, session);
    const { app, env } = resolved;
    const limit = args.limit === undefined ? 20 : Number(args.limit);
    if (!Number.isInteger(limit) || limit < 1) throw new FerryError('USAGE', `--limit must be a whole number >= 1 (got ${JSON.stringify(args.limit)}). Example: --limit 5`);
    const { ecs } = appPorts(session, resolved);
    const live = await readLive(ecs, app, env);
    const liveArn = live?.service.deployments?.find((d) => d.status === 'PRIMARY')?.taskDefinition ?? live?.service.taskDefinition;
    // readLive read the live revision already (its task definition with tags): not described again.
    const liveRevision = live?.taskDef ? revisionFromDescribe(live.taskDef) : undefined;
    const revisions = await historyRevisions(ecs, app.family, liveArn, { limit, all: args.all, ...(liveRevision && { known: [liveRevision] }) });
    const entries = historyEntries(revisions, liveArn, args.all && args.limit === undefined ? revisions.length : limit);
    const rows = historyRows(entries);
    const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
    for (const row of rows) reporter.emit({ kind: 'info', app: app.project, message: row.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd() });
    reporter.emit({ kind: 'result', app: app.project, target: 'history', ok: true, summary: `${entries.length} revision(s) of ${app.family}`, data: { entries } });
    return 0;
  },
};
