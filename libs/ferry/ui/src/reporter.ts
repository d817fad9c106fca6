/**
 * The renderers behind `createReporter`: TTY (ora spinners, colour, a live rollout view), plain
 * lines for CI and pipes, and `--json` (silent during the run, one document at `finish()`).
 * Every message goes through the reporter's `redactor` before it is written: the run's secrets
 * (`redactorFor(session)`) and the patterns of `redact`.
 */
import { Chalk, type ChalkInstance } from 'chalk';
import ora, { type Ora } from 'ora';
import { redactDeep, type FerryEvent, type Redactor, type Reporter, type RolloutDeploymentView, type RunSummary } from '@ferry/core';
import { formatDeployment, formatEvent, OutcomeFolder, QUIET_DONES, QUIET_SKIPS, STARTS_SHOWN, type FormatContext } from './format.ts';
import type { Narration } from './narration.ts';

export interface ReporterOptions {
  json: boolean;
  /**
   * Masks every string before it is written: `redactorFor(session)` of the run this output belongs
   * to (its secrets and the patterns), `patternRedactor` only where there is no run.
   */
  redactor: Redactor;
  /** Default: the output stream is a TTY and CI is not set. */
  tty?: boolean;
  /** Default: NO_COLOR off, FORCE_COLOR, else `tty`. */
  color?: boolean;
  verbose?: boolean;
  /** Default process.stdout. */
  out?: NodeJS.WritableStream;
  /** Where errors go in the text modes; default process.stderr. */
  err?: NodeJS.WritableStream;
  /**
   * The text output of the run so far, shared by the tasks of a batch (narration.ts), with the
   * target and app this reporter speaks for. Without it every outcome is printed.
   */
  narration?: { memory: Narration; target: string; app: string };
}

/** An error as shown to the user and put into the `--json` document. */
export interface ReportedError {
  code: string;
  message: string;
  details: string[];
  exitCode: number;
}

/** The `--json` document. */
export interface JsonReport {
  results: Extract<FerryEvent, { kind: 'result' }>[];
  events: FerryEvent[];
  /** The run summary, when this task ended the run (a run of one task) or this is the run's end. */
  summary?: RunSummary;
  error?: ReportedError;
}

export type UiReporter = Reporter & {
  /** Shows an error (text modes: on `err` in red; JSON: in the document). */
  reportError(error: ReportedError): void;
  /** Stops spinners; in JSON mode writes the document. Call once at the end. */
  finish(): void;
};

/** Colour decision: explicit option, then NO_COLOR, then FORCE_COLOR, then whether we draw on a TTY. */
export function colorEnabled(opt: boolean | undefined, tty: boolean, env: NodeJS.ProcessEnv = process.env): boolean {
  if (opt !== undefined) return opt;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined) return env.FORCE_COLOR !== '0' && env.FORCE_COLOR !== 'false';
  return tty;
}

export function createReporter(opts: ReporterOptions): UiReporter {
  const out = opts.out ?? process.stdout;
  const err = opts.err ?? process.stderr;
  // A pseudo-terminal without a size (some CI runners, `script`) makes cursor-based redrawing loop
  // on zero columns: treat it as a pipe.
  const ws = out as NodeJS.WriteStream;
  const tty = opts.tty ?? (!process.env.CI && !!ws.isTTY && (ws.columns ?? 0) > 0);
  const c = new Chalk({ level: colorEnabled(opts.color, tty) ? 2 : 0 });
  const ctx: FormatContext = { c, verbose: !!opts.verbose };
  const r = opts.redactor;
  if (opts.json) return new JsonReporter(out, r);
  const story = opts.verbose ? undefined : opts.narration;
  return tty ? new TtyReporter(out, err, ctx, r, story) : new PlainReporter(out, err, ctx, r, story);
}


function errorLines(e: ReportedError, c: ChalkInstance, r: Redactor): string[] {
  return [c.red(`error: ${r.redact(e.message)}`), ...e.details.map((d) => `  ${r.redact(d)}`)];
}

function summaryOf(events: FerryEvent[]): { summary?: RunSummary } {
  const e = events.find((x): x is Extract<FerryEvent, { kind: 'summary' }> => x.kind === 'summary');
  return e ? { summary: e.summary } : {};
}

class JsonReporter implements UiReporter {
  private readonly events: FerryEvent[] = [];
  private error: ReportedError | undefined;
  private done = false;
  constructor(
    private readonly out: NodeJS.WritableStream,
    private readonly redactor: Redactor,
  ) {}
  emit(event: FerryEvent): void {
    this.events.push(redactDeep(event, this.redactor));
  }
  reportError(error: ReportedError): void {
    this.error = redactDeep(error, this.redactor);
  }
  finish(): void {
    if (this.done) return;
    this.done = true;
    // Masked again when written: a secret the run obtained after an event was emitted is masked in it too.
    const events = redactDeep(this.events, this.redactor);
    const doc: JsonReport = {
      results: events.filter((e): e is Extract<FerryEvent, { kind: 'result' }> => e.kind === 'result'),
      events,
      ...summaryOf(events),
      ...(this.error ? { error: redactDeep(this.error, this.redactor) } : {}),
    };
    this.out.write(`${JSON.stringify(doc, null, 2)}\n`);
  }
}

/** Whether an event is worth no line of its own without --verbose. */
function quiet(event: FerryEvent): boolean {
  if (event.kind === 'progress') return true;
  if (event.kind !== 'step') return false;
  // The start of a quick step: its outcome follows.
  if (event.status === 'start') return !STARTS_SHOWN.has(event.step);
  return (event.status === 'skip' && QUIET_SKIPS.has(event.step)) || (event.status === 'done' && QUIET_DONES.has(event.step));
}

type Story = NonNullable<ReporterOptions['narration']>;

/** The folded events through the run's narration (if any): what to print now. */
const told = (events: FerryEvent[], story: Story | undefined): FerryEvent[] => (story ? events.flatMap((e) => story.memory.shape(e, story.target)) : events);

/** At the end of a task: the folder's held-back line and the lines the narration held for this task's app and target. */
const atEnd = (folder: OutcomeFolder, story: Story | undefined): FerryEvent[] => {
  const own = told(folder.flush(), story);
  const held = story?.target === 'smoke-test' ? story.memory.take(story.app) : undefined;
  return held ? [...own, held] : own;
};

class PlainReporter implements UiReporter {
  /** Last line per app and deployment, so only a deployment whose state changed is printed again. */
  private readonly lastRollout = new Map<string, string>();
  private readonly folder = new OutcomeFolder();
  constructor(
    private readonly out: NodeJS.WritableStream,
    private readonly err: NodeJS.WritableStream,
    private readonly ctx: FormatContext,
    private readonly redactor: Redactor,
    private readonly story?: Story,
  ) {}
  emit(event: FerryEvent): void {
    if (this.ctx.verbose) return this.write(event);
    if (quiet(event)) return;
    for (const e of told(this.folder.push(event), this.story)) this.write(e);
  }
  private write(event: FerryEvent): void {
    let e = event;
    if (e.kind === 'rollout') {
      const app = e.app;
      const changed = e.deployments.filter((d) => {
        const key = `${app}\0${d.id}`;
        const line = formatDeployment(d);
        if (this.lastRollout.get(key) === line) return false;
        this.lastRollout.set(key, line);
        return true;
      });
      e = { ...e, deployments: changed };
    }
    for (const line of formatEvent(e, this.ctx)) this.out.write(`${this.redactor.redact(line)}\n`);
  }
  reportError(error: ReportedError): void {
    for (const e of atEnd(this.folder, this.story)) this.write(e);
    for (const line of errorLines(error, this.ctx.c, this.redactor)) this.err.write(`${line}\n`);
  }
  finish(): void {
    for (const e of atEnd(this.folder, this.story)) this.write(e);
  }
}

/**
 * One ora spinner whose (multi-line) text lists what is running now: active steps and, per app,
 * the rollout view. Finished steps, warnings and results are printed above it as permanent lines.
 */
class TtyReporter implements UiReporter {
  private readonly spinner: Ora;
  private readonly active = new Map<string, string>();
  private readonly rollouts = new Map<string, RolloutDeploymentView[]>();
  private readonly folder = new OutcomeFolder();
  constructor(
    private readonly out: NodeJS.WritableStream,
    private readonly err: NodeJS.WritableStream,
    private readonly ctx: FormatContext,
    private readonly redactor: Redactor,
    private readonly story?: Story,
  ) {
    // ora measures lines with the stream's width; a stream without one (tests, forced tty) gets 80.
    const stream = out as NodeJS.WriteStream;
    if (!stream.columns) Object.defineProperty(stream, 'columns', { value: 80, configurable: true });
    this.spinner = ora({ stream: out, isEnabled: true, discardStdin: false, hideCursor: false, color: ctx.c.level > 0 ? 'cyan' : false });
  }
  /** Writes permanent lines above the live area, then redraws the live area from the current state. */
  private print(lines: string[], stream: NodeJS.WritableStream = this.out): void {
    if (lines.length) {
      if (this.spinner.isSpinning) this.spinner.clear();
      for (const line of lines) stream.write(`${this.redactor.redact(line)}\n`);
    }
    this.refresh();
  }
  private refresh(): void {
    const { c } = this.ctx;
    const lines: string[] = [];
    for (const [key, message] of this.active) {
      const [app, step] = key.split('\0');
      if (step === 'rollout' && this.rollouts.has(app)) continue;
      lines.push(`${c.cyan(`[${app}]`)} ${c.bold(step)}: ${message}`);
    }
    for (const [app, deployments] of this.rollouts) {
      lines.push(`${c.cyan(`[${app}]`)} ${c.bold('rollout')}`);
      for (const d of deployments) lines.push(`    ${formatDeployment(d)}`);
    }
    if (!lines.length) {
      if (this.spinner.isSpinning) this.spinner.stop();
      return;
    }
    const text = this.redactor.redact(lines.join('\n'));
    if (this.spinner.isSpinning) {
      this.spinner.text = text;
      this.spinner.render();
    } else this.spinner.start(text);
  }
  emit(event: FerryEvent): void {
    if (event.kind === 'step') {
      const key = `${event.app}\0${event.step}`;
      if (event.status === 'start') {
        this.active.set(key, event.message);
        this.refresh();
        return;
      }
      this.active.delete(key);
      if (event.step === 'rollout') this.rollouts.delete(event.app);
    }
    if (event.kind === 'progress') {
      if (this.ctx.verbose) this.print(formatEvent(event, this.ctx));
      else if (this.active.has(`${event.app}\0${event.step}`)) {
        this.active.set(`${event.app}\0${event.step}`, event.message);
        this.refresh();
      }
      return;
    }
    if (event.kind === 'rollout') {
      // The live view redraws in place; only the service's new events become permanent lines.
      this.rollouts.set(event.app, event.deployments);
      const { c } = this.ctx;
      this.print(event.newEvents.map((m) => `${c.cyan(`[${event.app}]`)} ${c.dim('event')} ${m}`));
      return;
    }
    if (!this.ctx.verbose && quiet(event)) return;
    const shown = this.ctx.verbose ? [event] : told(this.folder.push(event), this.story);
    this.print(shown.flatMap((e) => this.lines(e)));
  }
  /** The permanent lines of a finished step, warning, info, result or summary. */
  private lines(event: FerryEvent): string[] {
    const { c } = this.ctx;
    switch (event.kind) {
      case 'step': {
        const symbol = event.status === 'done' ? c.green('✔') : event.status === 'skip' ? c.yellow('↷') : c.red('✖');
        return formatEvent(event, this.ctx).map((l) => `${symbol} ${l}`);
      }
      case 'warn':
        return formatEvent(event, this.ctx).map((l) => `${c.yellow('⚠')} ${l}`);
      default:
        return formatEvent(event, this.ctx);
    }
  }
  reportError(error: ReportedError): void {
    this.print(atEnd(this.folder, this.story).flatMap((e) => this.lines(e)));
    this.print(errorLines(error, this.ctx.c, this.redactor), this.err);
  }
  finish(): void {
    this.print(atEnd(this.folder, this.story).flatMap((e) => this.lines(e)));
    this.active.clear();
    this.rollouts.clear();
    if (this.spinner.isSpinning) this.spinner.stop();
  }
}
