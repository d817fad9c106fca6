// history: who deployed which tag and git revision of this app, when, and how it ended — read
// from the task-definition revisions' tags in ECS, so every machine sees the same history.
// Logic: libs/ferry/deploy/src/history.ts.
import { FerryError, resolveApp } from '@ferry/core';
import { appPorts, historyEntries, historyRows, listRevisions, readLive } from '@ferry/deploy';
import type { TargetSpec } from '@ferry/ui';

export const historyTarget: TargetSpec<{ limit?: string }> = {
  target: 'history',
  summary: 'Show the deployment history of the service: revision, tag, git revision, who, when, result.',
  options: { limit: { type: 'string' } },
  describe: { limit: 'how many rows (default 20)' },
  async main({ args, reporter, workspaceRoot, session }) {
    const resolved = await resolveApp(workspaceRoot, args.project!, args.env, session);
    const { app, env } = resolved;
    const limit = args.limit === undefined ? 20 : Number(args.limit);
    if (!Number.isInteger(limit) || limit < 1) throw new FerryError('USAGE', `--limit must be a whole number >= 1 (got ${JSON.stringify(args.limit)}). Example: --limit 5`);
    const { ecs } = appPorts(session, resolved);
    const live = await readLive(ecs, app, env);
    const liveArn = live?.service.deployments?.find((d) => d.status === 'PRIMARY')?.taskDefinition ?? live?.service.taskDefinition;
    const entries = historyEntries(await listRevisions(ecs, app.family), liveArn, limit);
    const rows = historyRows(entries);
    const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
    for (const row of rows) reporter.emit({ kind: 'info', app: app.project, message: row.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd() });
    reporter.emit({ kind: 'result', app: app.project, target: 'history', ok: true, summary: `${entries.length} revision(s) of ${app.family}`, data: { entries } });
    return 0;
  },
};
