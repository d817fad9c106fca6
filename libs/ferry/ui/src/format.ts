/**
 * How each event kind reads as text. One record keyed by kind: add a kind to FerryEvent and the
 * compiler points here. The plain (CI) renderer prints these lines as they are; the TTY renderer
 * prints the same lines for finished steps and uses spinners for the running ones.
 */
import type { ChalkInstance } from 'chalk';
import type { FerryEvent, RolloutDeploymentView } from '@ferry/core';
import { renderSummaryTable, renderTimelineText } from './summary.ts';

export interface FormatContext {
  c: ChalkInstance;
  verbose: boolean;
}

type Formatters = { [K in FerryEvent['kind']]: (event: Extract<FerryEvent, { kind: K }>, ctx: FormatContext) => string[] };

const prefix = (app: string | undefined, ctx: FormatContext) => (app ? `${ctx.c.cyan(`[${app}]`)} ` : '');

const STEP_WORD = { start: '', done: 'done', skip: 'skipped', fail: 'failed' } as const;

/** `PRIMARY api:7 running 2/2, pending 0` (running/desired) */
export function formatDeployment(d: RolloutDeploymentView): string {
  const td = d.taskDefinition.replace(/^arn:[^:]+:ecs:[^:]*:[^:]*:task-definition\//, '');
  const state = d.rolloutState ? ` ${d.rolloutState}${d.rolloutStateReason ? ` (${d.rolloutStateReason})` : ''}` : '';
  const failed = d.failed ? `, ${d.failed} failed` : '';
  return `${d.status} ${td} running ${d.running}/${d.desired}, pending ${d.pending}${failed}${state}`;
}

export const formatters: Formatters = {
  step: (e, ctx) => {
    const { c } = ctx;
    const word = STEP_WORD[e.status];
    const color = e.status === 'fail' ? c.red : e.status === 'skip' ? c.yellow : e.status === 'done' ? c.green : (s: string) => s;
    const head = `${prefix(e.app, ctx)}${c.bold(e.step)}:`;
    if (!word) return [`${head} ${e.message}`];
    return [`${head} ${color(word)}${e.message ? ` — ${e.message}` : ''}`];
  },
  progress: (e, ctx) => (ctx.verbose ? [`${prefix(e.app, ctx)}${ctx.c.bold(e.step)}: ${ctx.c.dim(e.message)}`] : []),
  rollout: (e, ctx) => [
    ...e.deployments.map((d) => `${prefix(e.app, ctx)}${ctx.c.bold('rollout')}: ${formatDeployment(d)}`),
    ...e.newEvents.map((m) => `${prefix(e.app, ctx)}${ctx.c.bold('rollout')}: ${ctx.c.dim('event')} ${m}`),
  ],
  info: (e, ctx) => [`${prefix(e.app, ctx)}${e.message}`],
  warn: (e, ctx) => [`${prefix(e.app, ctx)}${ctx.c.yellow('warning:')} ${e.message}`],
  result: (e, ctx) => [`${prefix(e.app, ctx)}${ctx.c.bold(e.target)}: ${e.ok ? ctx.c.green('ok') : ctx.c.red('FAILED')}${e.summary ? ` — ${e.summary}` : ''}`],
  summary: (e) => (e.summary.rows.length ? ['', ...renderSummaryTable(e.summary), ...renderTimelineText(e.summary)] : []),
};

type StepEvent = Extract<FerryEvent, { kind: 'step' }>;

/**
 * One line per step and outcome. A finished step is held back until the next event: when that is
 * the target's result saying the same thing, only one of the two is printed: the step's line when
 * the step is the target itself (`build-image: skipped — …`, `push: done — …`), else the result's
 * line when it repeats the step's words (`deploy-app: ok — up to date: …` over `update-service:
 * skipped — up to date: …`). Text renderers without --verbose use this; JSON keeps every event.
 */
export class OutcomeFolder {
  private pending: StepEvent | undefined;
  push(e: FerryEvent): FerryEvent[] {
    const p = this.pending;
    this.pending = undefined;
    if (e.kind === 'step' && (e.status === 'done' || e.status === 'skip')) {
      this.pending = e;
      return p ? [p] : [];
    }
    if (p && e.kind === 'result' && e.ok && e.app === p.app) {
      if (p.step === e.target) return [p];
      if (p.message === e.summary) return [e];
    }
    return p ? [p, e] : [e];
  }
  /** The held-back line, if any (at the end of the task). */
  flush(): FerryEvent[] {
    const p = this.pending;
    this.pending = undefined;
    return p ? [p] : [];
  }
}

/** Steps whose "nothing to do" is not worth a line without --verbose (set-up checks). */
export const QUIET_SKIPS = new Set(['ensure-repository']);

/** Steps whose completion is not worth a line without --verbose (the next line says it: the tag is in build-image's). */
export const QUIET_DONES = new Set(['tag']);

/** Steps whose start is worth a line in a CI log without --verbose: the slow ones. */
export const STARTS_SHOWN = new Set(['build-image', 'push', 'rollout', 'rollback']);

/** Lines for one event (not yet redacted). */
export function formatEvent(event: FerryEvent, ctx: FormatContext): string[] {
  return (formatters[event.kind] as (e: FerryEvent, c: FormatContext) => string[])(event, ctx);
}
