// logs: the app's container output from CloudWatch Logs, every task at once, each line prefixed by
// its task; --follow keeps reading (tasks of a rollout or a one-off task join in).
// Logic: libs/ferry/deploy/src/app-logs.ts.
import { FerryError, resolveApp } from '@ferry/core';
import { appLogSource, appPorts, parseSince, readAppLogs } from '@ferry/deploy';
import type { TargetSpec } from '@ferry/ui';

interface LogsArgs {
  since?: string;
  follow: boolean;
  task?: string;
  filter?: string;
}

export const logsTarget: TargetSpec<LogsArgs> = {
  target: 'logs',
  summary: "Show the app's container logs (CloudWatch Logs), every task's lines prefixed by its task; --follow keeps reading.",
  options: { since: { type: 'string' }, follow: { type: 'boolean', default: false }, task: { type: 'string' }, filter: { type: 'string' } },
  describe: {
    since: 'from how long ago: 30s, 15m, 2h, 1d, or an ISO time (default 15m)',
    follow: 'keep reading new lines, from running tasks and tasks that start later, until Ctrl-C',
    task: "only this task's lines (its id or ARN)",
    filter: 'a CloudWatch Logs filter pattern, e.g. ERROR or "connection refused"',
  },
  async main({ args, reporter, workspaceRoot, signal, session }) {
    const resolved = await resolveApp(workspaceRoot, args.project!, args.env, session);
    const project = resolved.app.project;
    const source = appLogSource(resolved, args.task);
    const since = parseSince(args.since ?? '15m', session.clock.now());
    const { logs } = appPorts(session, resolved);
    if (!logs) throw new FerryError('USAGE', `${project}: no CloudWatch Logs client for environment ${resolved.env.name}.`);
    const count = await readAppLogs(logs, source, {
      since,
      pattern: args.filter,
      follow: args.follow,
      signal,
      clock: session.clock,
      onLine: (message) => reporter.emit({ kind: 'info', app: project, message }),
    });
    reporter.emit({
      kind: 'result',
      app: project,
      target: 'logs',
      ok: true,
      summary: `${count} line${count === 1 ? '' : 's'} from ${source.group} ${source.streamPrefix}*${args.filter ? ` matching ${args.filter}` : ''}`,
      data: { group: source.group, streamPrefix: source.streamPrefix, since, lines: count },
    });
    return 0;
  },
};
