/**
 * `logs`: an app's container output from CloudWatch Logs, every task's stream of the app's
 * container at once (`<prefix>/<container>/<task id>`, using_awslogs.html), oldest first, each line
 * prefixed by its task; `--follow` keeps reading, so tasks that start later (a rollout, a one-off
 * task) join in. The stream names come from the app's log configuration (logs.ts).
 */
import { FerryError, type Clock, type ResolvedApp } from '@ferry/core';
import type { LogsPort, StreamLogLine } from '@ferry/aws';
import { logsPlan } from './logs.ts';
import { cleanLogLine } from './task-logs.ts';

/** Where an app's container logs are: the group and the stream prefix of its container's streams. */
export interface AppLogSource {
  group: string;
  /** `<prefix>/<container>/` — or with a task id, that task's stream. */
  streamPrefix: string;
}

/** The app's awslogs group and stream prefix, from its logs configuration. Pure. */
export function appLogSource(resolved: Pick<ResolvedApp, 'app' | 'env'>, taskId?: string): AppLogSource {
  const { app, env } = resolved;
  const plan = logsPlan(app, env);
  let group: string | undefined;
  let prefix: string | undefined;
  if (plan.kind === 'awslogs') {
    group = plan.group;
    prefix = plan.streamPrefix;
  } else if (plan.kind === 'custom' && plan.logConfiguration.logDriver === 'awslogs') {
    group = plan.logConfiguration.options?.['awslogs-group'];
    prefix = plan.logConfiguration.options?.['awslogs-stream-prefix'];
  }
  if (!group || !prefix) {
    const why = plan.kind === 'off' ? 'logs is false in its deploy.json (ferry adds no log configuration)' : 'its logConfiguration is not awslogs with a group and a stream prefix';
    throw new FerryError('USAGE', `${app.project}: its container logs are not in CloudWatch Logs streams ferry can name: ${why}. Read them where its log driver sends them.`);
  }
  const id = taskId?.split('/').pop();
  return { group, streamPrefix: `${prefix}/${app.containerName}/${id ?? ''}` };
}

/** `--since`: `30s`, `15m`, `2h`, `1d`, or an ISO date/time; the epoch ms to read from. Pure. */
export function parseSince(value: string, now: number): number {
  const m = /^(\d+(?:\.\d+)?)\s*(s|m|h|d)$/i.exec(value.trim());
  if (m) return now - Number(m[1]) * { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2].toLowerCase() as 's' | 'm' | 'h' | 'd'];
  const t = Date.parse(value);
  if (/^\d{4}-\d{2}-\d{2}/.test(value) && Number.isFinite(t)) return t;
  throw new FerryError('USAGE', `--since takes a duration such as 15m, 2h, 1d or 30s, or an ISO time such as 2026-01-31T09:00:00Z (got ${JSON.stringify(value)}).`);
}

/** One printed line: the task (first 8 characters of its id) and the message. Pure. */
export function formatLogLine(e: Pick<StreamLogLine, 'stream' | 'message'>): string {
  const task = e.stream.split('/').pop() ?? e.stream;
  return `${task.slice(0, 8)} | ${cleanLogLine(e.message, 4000)}`;
}

export interface AppLogsOptions {
  since: number;
  pattern?: string;
  follow: boolean;
  signal?: AbortSignal;
  clock: Clock;
  /** Between two reads when following (default 2 s). */
  pollMs?: number;
  onLine(line: string): void;
}

/** Prints what the streams hold since `since`; with `follow`, keeps reading until aborted. Returns the line count. */
export async function readAppLogs(logs: LogsPort, source: AppLogSource, o: AppLogsOptions): Promise<number> {
  let from = o.since;
  // Events at the last timestamp read may be read again (startTime is inclusive): skip those seen.
  let seenAtFrom = new Set<string>();
  let count = 0;
  for (;;) {
    const events = await logs.filterEvents(source.group, { streamPrefix: source.streamPrefix, startTime: from, ...(o.pattern && { pattern: o.pattern }) });
    for (const e of events) {
      if (e.timestamp === from && seenAtFrom.has(e.id)) continue;
      if (e.timestamp > from) {
        from = e.timestamp;
        seenAtFrom = new Set();
      }
      seenAtFrom.add(e.id);
      o.onLine(formatLogLine(e));
      count++;
    }
    if (!o.follow) return count;
    if (!(await o.clock.sleep(o.pollMs ?? 2000, o.signal))) return count;
  }
}
