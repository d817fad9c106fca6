/**
 * The run summary: what each task of a run did is recorded in the run's session (`runRecord`), and
 * at the end of the run it becomes one row per app and environment (`buildSummary`), rendered as
 * a table in the terminal, Markdown for GitHub's job summary (with a Mermaid gantt timeline when
 * several apps ran), and a `summary` event in `--json` (docs/output.md).
 */
import Table from 'cli-table3';
import { sessionPart, type FerryEvent, type RunOutcome, type RunPhase, type RunSummary, type RunSummaryRow } from '@ferry/core';

/** The targets whose runs are summed up (diff, history and the like print their own answer). */
export const SUMMARY_TARGETS = new Set(['build-image', 'push', 'deploy-app', 'health-check', 'smoke-test', 'deploy', 'rollback']);

const PHASE_OF: Record<string, RunPhase['name']> = { 'build-image': 'build', push: 'push', 'deploy-app': 'rollout', rollback: 'rollout' };

type ResultEvent = Extract<FerryEvent, { kind: 'result' }>;

/** One task of the run, as the summary needs it. */
export interface TaskRun {
  app: string;
  target: string;
  /** The environment the task named (--env or FERRY_ENV); undefined: the workspace default. */
  env?: string;
  start: number;
  end?: number;
  status: 'running' | 'success' | 'failure' | 'skipped';
  results: ResultEvent[];
  /** The task found nothing to do (its own step was skipped, or deploy-app was up to date): no phase in the timeline. */
  idle?: boolean;
  /** Whether a rollback completed / failed during the task. */
  rolledBack: boolean;
  rollbackFailed: boolean;
}

/** What the run's tasks did, in the order they started. */
export class RunRecord {
  readonly tasks: TaskRun[] = [];
  constructor(readonly startedAt: number) {}

  begin(t: { app: string; target: string; env?: string }, now: number): TaskRun {
    const run: TaskRun = { ...t, start: now, status: 'running', results: [], rolledBack: false, rollbackFailed: false };
    this.tasks.push(run);
    return run;
  }

  /** A task that never ran (its dependency failed, or the run was interrupted). */
  skipped(t: { app: string; target: string; env?: string }, now: number): void {
    this.tasks.push({ ...t, start: now, end: now, status: 'skipped', results: [], rolledBack: false, rollbackFailed: false });
  }
}

/** Notes an event of a running task. */
export function noteEvent(task: TaskRun, e: FerryEvent): void {
  if (e.kind === 'result') {
    task.results.push(e);
    if (e.target === 'deploy-app' && e.data?.action === 'up-to-date') task.idle = true;
  } else if (e.kind === 'step' && e.status === 'skip' && e.step === task.target) task.idle = true;
  if (e.kind === 'step' && e.step === 'rollback') {
    if (e.status === 'done') task.rolledBack = true;
    if (e.status === 'fail') task.rollbackFailed = true;
  }
}

export function endTask(task: TaskRun, code: number, now: number): void {
  task.end = now;
  task.status = code === 0 ? 'success' : 'failure';
}

/** The run's record: one per session. */
export const runRecord = sessionPart('run record', (session) => new RunRecord(session.clock.now()));

const str = (v: unknown): string | undefined => (typeof v === 'string' && v ? v : undefined);
const shortTd = (arn: string | undefined) => arn?.replace(/^arn:[^:]+:ecs:[^:]*:[^:]*:task-definition\//, '');

/** The rows of the run, in the order apps first started. Pure. */
export function buildSummary(record: RunRecord, o: { run: string; defaultEnv: string; now: number }): RunSummary {
  const groups = new Map<string, TaskRun[]>();
  for (const t of record.tasks) {
    if (!t.app || !SUMMARY_TARGETS.has(t.target)) continue;
    const key = `${t.app}\0${t.env ?? o.defaultEnv}`;
    groups.set(key, [...(groups.get(key) ?? []), t]);
  }
  const rows: RunSummaryRow[] = [];
  for (const [key, tasks] of groups) {
    const [app, environment] = key.split('\0');
    const result = (target: string) => tasks.flatMap((t) => t.results).filter((r) => r.target === target && r.app === app).pop();
    const deployApp = result('deploy-app');
    const deploy = result('deploy');
    const failed = tasks.filter((t) => t.status === 'failure').map((t) => t.target);
    const rolledBack = tasks.some((t) => (t.rolledBack && !t.rollbackFailed) || (t.target === 'rollback' && t.status === 'success' && !result('rollback')?.data?.dryRun));
    const action = str(deployApp?.data?.action);
    let outcome: RunOutcome;
    if (rolledBack) outcome = 'rolled back';
    else if (failed.length) outcome = 'failed';
    else if (tasks.every((t) => t.status === 'skipped')) outcome = 'skipped';
    else if (deployApp?.data?.dryRun) outcome = 'done';
    else if (action === 'up-to-date') outcome = 'up to date';
    else if (action) outcome = 'deployed';
    else outcome = 'done';
    const data = (r: ResultEvent | undefined, k: string) => str(r?.data?.[k]);
    const tag = data(deploy, 'tag') ?? data(deployApp, 'tag') ?? data(result('push'), 'tag') ?? data(result('build-image'), 'tag');
    const revision = data(deploy, 'revision') ?? shortTd(data(deployApp, 'taskDefinitionArn'));
    const url = data(deploy, 'url') ?? data(result('health-check'), 'url');
    const start = Math.min(...tasks.map((t) => t.start));
    const end = Math.max(...tasks.map((t) => t.end ?? o.now));
    const phases: RunPhase[] = tasks
      .filter((t) => PHASE_OF[t.target] && t.status !== 'skipped' && !t.idle)
      .map((t) => ({ name: PHASE_OF[t.target], start: t.start, end: t.end ?? o.now }));
    rows.push({ app, environment, result: outcome, ...(tag && { tag }), ...(revision && { revision }), durationMs: Math.max(0, end - start), ...(url && { url }), ...(failed.length && { failed }), phases });
  }
  return {
    run: o.run,
    startedAt: new Date(record.startedAt).toISOString(),
    durationMs: Math.max(0, o.now - record.startedAt),
    ok: rows.every((r) => r.result !== 'failed' && r.result !== 'rolled back' && r.result !== 'skipped'),
    rows,
  };
}

/** `850ms`, `12.3s`, `2m05s`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}

const COLUMNS = ['app', 'environment', 'result', 'tag', 'revision', 'duration', 'URL'] as const;
const cells = (r: RunSummaryRow) => [r.app, r.environment, r.result, r.tag ?? '-', r.revision ?? '-', formatDuration(r.durationMs), r.url ?? '-'];

/** How many apps, and how many of each result: `3 apps: 2 deployed, 1 up to date`. */
export function summaryHeadline(s: RunSummary): string {
  const counts = new Map<string, number>();
  for (const r of s.rows) counts.set(r.result, (counts.get(r.result) ?? 0) + 1);
  const n = s.rows.length;
  return `${n} app${n === 1 ? '' : 's'}: ${[...counts].map(([k, v]) => `${v} ${k}`).join(', ')} in ${formatDuration(s.durationMs)}`;
}

/** The terminal table: borderless columns, one header rule; no colour (the renderer adds none). */
export function renderSummaryTable(s: RunSummary): string[] {
  const blank = { top: '', 'top-mid': '', 'top-left': '', 'top-right': '', bottom: '', 'bottom-mid': '', 'bottom-left': '', 'bottom-right': '', left: '', 'left-mid': '', mid: '', 'mid-mid': '', right: '', 'right-mid': '', middle: '  ' };
  const table = new Table({ head: [...COLUMNS], chars: blank, style: { head: [], border: [], 'padding-left': 0, 'padding-right': 0 } });
  for (const r of s.rows) table.push(cells(r));
  const lines = table.toString().split('\n').map((l) => l.trimEnd());
  const width = Math.max(...lines.map((l) => l.length));
  return [`summary: ${summaryHeadline(s)}`, lines[0], '-'.repeat(width), ...lines.slice(1)];
}

/**
 * A text timeline of the phases, one bar per app over the run's span: `b` build, `p` push,
 * `r` rollout, `.` waiting or other steps. Only when several apps have phases.
 */
export function renderTimelineText(s: RunSummary, width = 50): string[] {
  const rows = s.rows.filter((r) => r.phases.length);
  if (rows.length < 2) return [];
  const t0 = Math.min(...rows.flatMap((r) => r.phases.map((p) => p.start)));
  const t1 = Math.max(...rows.flatMap((r) => r.phases.map((p) => p.end)));
  const span = Math.max(1, t1 - t0);
  const at = (t: number) => Math.min(width - 1, Math.floor(((t - t0) / span) * width));
  const pad = Math.max(...rows.map((r) => r.app.length));
  const lines = [`timeline: b build, p push, r rollout; ${width} columns = ${formatDuration(span)}`];
  for (const r of rows) {
    const bar = Array.from({ length: width }, () => ' ');
    for (const p of r.phases) for (let i = at(p.start); i <= at(Math.max(p.start, p.end - 1)); i++) bar[i] = p.name[0];
    const first = bar.findIndex((ch) => ch !== ' ');
    const last = width - 1 - [...bar].reverse().findIndex((ch) => ch !== ' ');
    for (let i = first; i <= last; i++) if (bar[i] === ' ') bar[i] = '.';
    const slow = r.phases.reduce((a, b) => (b.end - b.start > a.end - a.start ? b : a));
    lines.push(`  ${r.app.padEnd(pad)} |${bar.join('')}| ${slow.name} ${formatDuration(slow.end - slow.start)}`.trimEnd());
  }
  return lines;
}

const md = (v: string) => v.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** The Markdown for `$GITHUB_STEP_SUMMARY`: a heading, the table, and the gantt with several apps. */
export function renderSummaryMarkdown(s: RunSummary): string {
  const lines = [`### ferry: ${md(summaryHeadline(s))}`, '', `| ${COLUMNS.map((c) => c[0].toUpperCase() + c.slice(1)).join(' | ')} |`, `|${COLUMNS.map(() => '---').join('|')}|`];
  for (const r of s.rows) {
    const [app, env, result, tag, revision, duration, url] = cells(r);
    const mark = r.result === 'failed' || r.result === 'rolled back' ? '❌ ' : r.result === 'skipped' ? '⏭️ ' : '✅ ';
    lines.push(`| ${[md(app), md(env), `${mark}${result}`, tag === '-' ? '-' : `\`${md(tag)}\``, md(revision), duration, url === '-' ? '-' : md(url)].join(' | ')} |`);
  }
  const gantt = renderGantt(s);
  return `${[...lines, ...(gantt.length ? ['', ...gantt] : [])].join('\n')}\n\n`;
}

/** A Mermaid gantt of the phases (GitHub renders ```mermaid blocks); none with fewer than two apps. */
export function renderGantt(s: RunSummary): string[] {
  const rows = s.rows.filter((r) => r.phases.length);
  if (rows.length < 2) return [];
  const t0 = Math.min(...rows.flatMap((r) => r.phases.map((p) => p.start)));
  // dateFormat x: milliseconds; times are relative to the first phase, so the axis reads mm:ss.
  const lines = ['```mermaid', 'gantt', '  title ferry run timeline', '  dateFormat x', '  axisFormat %M:%S'];
  rows.forEach((r, i) => {
    lines.push(`  section ${r.app.replace(/[:;#]/g, '_')}`);
    r.phases.forEach((p, j) => {
      const start = p.start - t0;
      const end = Math.max(start + 1, p.end - t0);
      const crit = r.result === 'failed' || r.result === 'rolled back' ? 'crit, ' : '';
      lines.push(`    ${p.name} :${crit}a${i}p${j}, ${start}, ${end}`);
    });
  });
  lines.push('```');
  return lines;
}
