/**
 * The top-level handler of every `scripts/<target>.ts`: parses flags, picks the renderer, runs
 * `main` with an AbortSignal, and turns its outcome into output and an exit code CI can trust:
 *   0..n  what main returned          2   usage error (unknown flag, missing --project)
 *   FerryError.exitCode for FerryErrors (1 unless the error says otherwise)
 *   130   interrupted (SIGINT/SIGTERM)  70  internal error (a bug: printed with its stack)
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { FerryError, findWorkspaceRoot, isFerryError, redactorFor, RunSession, type Redactor, type Reporter } from '@ferry/core';
import { narration } from './narration.ts';
import { createReporter, type UiReporter } from './reporter.ts';
import { endTask, noteEvent, runRecord, type TaskRun } from './summary.ts';

type ParseArgsOptionsConfig = NonNullable<ParseArgsConfig['options']>;

/** Flags every target accepts. */
export interface CommonArgs {
  project?: string;
  env?: string;
  json: boolean;
  verbose: boolean;
  'no-color': boolean;
  help: boolean;
}

export interface TargetContext<T> {
  /** Parsed flags: the target's own plus the common ones; `project` is set unless `projectOptional`. */
  args: T & CommonArgs;
  reporter: Reporter;
  workspaceRoot: string;
  /** Aborted on SIGINT/SIGTERM: stop waiting, clean up, return or throw. */
  signal: AbortSignal;
  /** The run this task belongs to: clients, caches, locks and clock shared with the run's other tasks. */
  session: RunSession;
}

export interface TargetSpec<T> {
  /** Target name, used in usage text and results (`deploy`, `build-image`…). */
  target: string;
  /** The target's own flags, as node:util parseArgs takes them. */
  options: ParseArgsOptionsConfig;
  /** One-line description for `--help`. */
  summary?: string;
  /** Help text per flag name for `--help`. */
  describe?: Record<string, string>;
  /** When true, `--project` is not required. */
  projectOptional?: boolean;
  main: (ctx: TargetContext<T>) => Promise<number>;
  /** For tests: argv (default process.argv.slice(2)), streams, exit, and signal source. */
  argv?: string[];
  out?: NodeJS.WritableStream;
  err?: NodeJS.WritableStream;
  exit?: (code: number) => void;
  cwd?: string;
  /** How long main may take to clean up after an interrupt before ferry exits anyway (ms). Default 10000. */
  interruptGraceMs?: number;
  /** Process-like object to take SIGINT/SIGTERM from (default process). */
  signals?: NodeJS.EventEmitter;
  /** The run's session (the runner passes it); without one, a session of its own for this task, closed at its end. */
  session?: RunSession;
  /**
   * Called after main, before the output is finished, when this task ends the run (a run of one
   * task): the runner shows the run summary there, so it is part of the task's output and `--json`.
   */
  onEnd?: (o: { session: RunSession; reporter: UiReporter; code: number }) => Promise<void>;
}

const COMMON_OPTIONS: ParseArgsOptionsConfig = {
  project: { type: 'string', short: 'p' },
  env: { type: 'string', short: 'e' },
  json: { type: 'boolean', default: false },
  verbose: { type: 'boolean', short: 'v', default: false },
  'no-color': { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
};

const COMMON_HELP: Record<string, string> = {
  project: 'Nx project to act on (Nx passes it)',
  env: 'environment from ferry.json (default: its defaultEnvironment)',
  json: 'print one JSON document at the end instead of progress',
  verbose: 'show progress lines (build output, push layers)',
  'no-color': 'no colours',
  help: 'show this help',
};

/** Exit code of internal errors (EX_SOFTWARE). */
export const EXIT_INTERNAL = 70;
export const EXIT_USAGE = 2;
export const EXIT_INTERRUPTED = 130;

/** The usage text of a target. */
export function usage<T>(spec: Pick<TargetSpec<T>, 'target' | 'options' | 'summary' | 'describe'>): string {
  const all = { ...COMMON_OPTIONS, ...spec.options };
  const help = { ...COMMON_HELP, ...spec.describe };
  const rows = Object.entries(all).map(([name, o]) => {
    const flag = `${o.short ? `-${o.short}, ` : '    '}--${name}${o.type === 'string' ? ' <value>' : ''}`;
    return `  ${flag.padEnd(28)} ${help[name] ?? ''}`.trimEnd();
  });
  return [`Usage: nx run <project>:${spec.target} [flags]`, ...(spec.summary ? ['', spec.summary] : []), '', 'Flags:', ...rows].join('\n');
}

/** Runs a target; resolves with the exit code after calling `exit` with it (process.exit by default). */
export async function runTarget<T = Record<string, unknown>>(spec: TargetSpec<T>): Promise<number> {
  const out = spec.out ?? process.stdout;
  const err = spec.err ?? process.stderr;
  const exit = spec.exit ?? ((code: number) => process.exit(code));
  const argv = spec.argv ?? process.argv.slice(2);
  const allOptions = { ...COMMON_OPTIONS, ...spec.options };
  // The run this task belongs to: the runner's, else one of its own made when main starts.
  let session: RunSession | undefined = spec.session;
  // Everything this task prints (events, its error, a crash report) is masked with that session's secrets.
  const redactor: Redactor = { redact: (text) => redactorFor(session).redact(text) };

  let values: Record<string, unknown>;
  try {
    values = parseArgs({ args: argv, options: allOptions, strict: true, allowPositionals: false }).values;
  } catch (e) {
    const known = Object.keys(allOptions).map((k) => `--${k}`).join(', ');
    const why = (e as Error).message.split('\n')[0].replace(/\. To specify a positional argument.*$/, '');
    err.write(`${redactor.redact(`error: ${why}`)}\nValid flags: ${known}\n\n${usage(spec)}\n`);
    exit(EXIT_USAGE);
    return EXIT_USAGE;
  }
  if (values.help) {
    out.write(`${usage(spec)}\n`);
    exit(0);
    return 0;
  }
  values.project ??= process.env.NX_TASK_TARGET_PROJECT || undefined;
  const json = !!values.json;
  // In a batch the tasks share what the run's text output already said (narration.ts).
  const story = spec.session ? { memory: spec.session.use(narration), target: spec.target, app: String(values.project ?? '') } : undefined;
  const reporter: UiReporter = createReporter({ json, redactor, verbose: !!values.verbose, color: values['no-color'] ? false : undefined, out, err, narration: story });
  if (!values.project && !spec.projectOptional) {
    reporter.reportError({ code: 'USAGE', message: `--project is required. Example: nx run api:${spec.target}, or --project api.`, details: [], exitCode: EXIT_USAGE });
    reporter.finish();
    if (!json) err.write(`\n${usage(spec)}\n`);
    exit(EXIT_USAGE);
    return EXIT_USAGE;
  }

  const controller = new AbortController();
  const signals = spec.signals ?? process;
  let interrupted = false;
  let forceExit: ((code: number) => void) | undefined;
  let graceTimer: NodeJS.Timeout | undefined;
  const interruptedResult = new Promise<number>((resolveInterrupt) => {
    forceExit = resolveInterrupt;
  });
  const onSignal = (name: string) => {
    if (interrupted) {
      // Second Ctrl-C: stop waiting for cleanup.
      forceExit?.(EXIT_INTERRUPTED);
      return;
    }
    interrupted = true;
    controller.abort(new FerryError('INTERRUPTED', `interrupted (${name})`));
    graceTimer = setTimeout(() => forceExit?.(EXIT_INTERRUPTED), spec.interruptGraceMs ?? 10_000);
  };
  const onInt = () => onSignal('SIGINT');
  const onTerm = () => onSignal('SIGTERM');
  signals.on('SIGINT', onInt);
  signals.on('SIGTERM', onTerm);

  let code: number;
  let own: RunSession | undefined;
  let task: TaskRun | undefined;
  // What the task emits also goes into the run's record, for the summary at the end of the run.
  const recording: Reporter = {
    emit: (e) => {
      if (task) noteEvent(task, e);
      reporter.emit(e);
    },
  };
  try {
    const run = (async () => {
      const workspaceRoot = findWorkspaceRoot(spec.cwd ?? process.cwd());
      session = spec.session ?? (own = new RunSession({ workspaceRoot }));
      const env = (values.env as string | undefined) || session.env.FERRY_ENV || undefined;
      task = session.use(runRecord).begin({ app: String(values.project ?? ''), target: spec.target, env }, session.clock.now());
      return spec.main({ args: values as T & CommonArgs, reporter: recording, workspaceRoot, signal: controller.signal, session });
    })();
    run.catch(() => undefined);
    code = await Promise.race([run, interruptedResult]);
    if (interrupted) code = EXIT_INTERRUPTED;
  } catch (e) {
    code = interrupted ? EXIT_INTERRUPTED : reportFailure(e, reporter);
  } finally {
    clearTimeout(graceTimer);
    await own?.close();
  }
  if (interrupted) reporter.reportError({ code: 'INTERRUPTED', message: 'interrupted', details: [], exitCode: EXIT_INTERRUPTED });
  if (task && session) endTask(task, code, session.clock.now());
  if (spec.onEnd && session) {
    try {
      await spec.onEnd({ session, reporter, code });
    } catch (e) {
      reporter.emit({ kind: 'warn', message: `could not sum up the run: ${(e as Error).message}` });
    }
  }
  reporter.finish();
  // The handlers stay until here: a late second Ctrl-C while the result is printed must not kill
  // the process with the default action (exit by signal, no exit code for CI to read).
  signals.off('SIGINT', onInt);
  signals.off('SIGTERM', onTerm);
  exit(code);
  return code;
}

/** Shows an error from main and returns the exit code it maps to. */
function reportFailure(e: unknown, reporter: UiReporter): number {
  if (isFerryError(e)) {
    reporter.reportError({ code: e.code, message: e.message, details: e.details, exitCode: e.exitCode });
    return e.exitCode;
  }
  const error = e instanceof Error ? e : new Error(String(e));
  reporter.reportError({
    code: 'INTERNAL',
    message: `internal error: ${error.message}`,
    details: [
      ...(error.stack ?? '').split('\n').slice(1).map((l) => l.trim()),
      'This is a bug in ferry, not in your configuration. Please report it to the ferry maintainers (an issue in the ferry repository) with this output and the command you ran.',
    ],
    exitCode: EXIT_INTERNAL,
  });
  return EXIT_INTERNAL;
}
