/**
 * The failed tasks' own words: the last lines each stopped task wrote to its awslogs stream
 * (`<prefix>/<container>/<task id>`), appended to a failure report. Bounded (a few tasks, the last
 * lines of each, every line cut short) and redacted: logs are the app's output, and apps print
 * secrets more often than anyone would like.
 */
import { redact } from '@ferry/core';
import type { EcsPort, EcsTask, LogsPort } from '@ferry/aws';
import { taskLogStreams } from './logs.ts';

export interface TaskLogOptions {
  /** Lines per stream, default 20. */
  lines?: number;
  /** Distinct stopped tasks read, default 3. */
  tasks?: number;
  /** Characters kept of each line, default 300. */
  lineLength?: number;
}

/** The last lines of one container of one task. */
export interface TaskLogExcerpt {
  taskId: string;
  container: string;
  group: string;
  stream: string;
  lines: string[];
}

const DEFAULTS = { lines: 20, tasks: 3, lineLength: 300 };

/** One printable line: control characters dropped, cut to `max` characters, secrets masked. */
export function cleanLogLine(message: string, max: number): string {
  // Redact first: cutting could leave half a secret that no longer matches a pattern.
  const flat = redact(message.replace(/\r?\n$/, '')).replace(/\u001b\[[0-9;]*[A-Za-z]|[\u0000-\u0008\u000b-\u001f\u007f]/g, '').replace(/\t/g, '  ');
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** The report lines: a heading per stream, then its lines indented. Pure. */
export function formatTaskLogs(excerpts: TaskLogExcerpt[]): string[] {
  const out: string[] = [];
  for (const x of excerpts) {
    if (!x.lines.length) {
      out.push(`logs of task ${x.taskId} (${x.container}): nothing in ${x.group} ${x.stream}`);
      continue;
    }
    out.push(`logs of task ${x.taskId} (${x.container}), last ${x.lines.length} line${x.lines.length === 1 ? '' : 's'} of ${x.group} ${x.stream}:`);
    for (const l of x.lines) out.push(`  | ${l}`);
  }
  return out;
}

/** The tasks worth reading: those that failed on their own first, newest first, one per task. */
export function tasksToRead(tasks: EcsTask[], max: number): EcsTask[] {
  const scheduler = (t: EcsTask) => (t.stopCode === 'ServiceSchedulerInitiated' ? 1 : 0);
  return [...tasks]
    .filter((t) => t.taskArn)
    .sort((a, b) => scheduler(a) - scheduler(b) || (b.stoppedAt?.valueOf() ?? 0) - (a.stoppedAt?.valueOf() ?? 0))
    .slice(0, max);
}

/**
 * Reads the last lines of the stopped tasks' awslogs streams. Never throws: logs are a courtesy on
 * top of the failure, and a missing permission (logs:GetLogEvents) becomes one line saying so.
 */
export async function collectTaskLogs(ecs: EcsPort, logs: LogsPort, tasks: EcsTask[], o: TaskLogOptions = {}): Promise<string[]> {
  const opt = { ...DEFAULTS, ...o };
  const defs = new Map<string, Promise<Awaited<ReturnType<EcsPort['describeTaskDefinition']>> | undefined>>();
  const excerpts: TaskLogExcerpt[] = [];
  const problems: string[] = [];
  for (const t of tasksToRead(tasks, opt.tasks)) {
    const arn = t.taskDefinitionArn;
    if (!arn) continue;
    if (!defs.has(arn)) defs.set(arn, ecs.describeTaskDefinition(arn).catch(() => undefined));
    const td = await defs.get(arn);
    const taskId = (t.taskArn ?? '').split('/').pop() ?? '';
    for (const s of taskLogStreams(td?.taskDefinition.containerDefinitions, t.taskArn ?? '')) {
      try {
        const events = await logs.lastEvents(s.group, s.stream, opt.lines);
        excerpts.push({ taskId, ...s, lines: events.slice(-opt.lines).map((e) => cleanLogLine(e.message, opt.lineLength)) });
      } catch (e) {
        problems.push(`logs of task ${taskId} (${s.container}): could not be read: ${cleanLogLine((e as Error).message, opt.lineLength)}`);
      }
    }
  }
  return [...formatTaskLogs(excerpts), ...problems];
}
