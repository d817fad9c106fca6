/**
 * The process port: every process ferry, the sandbox and the tools start goes through here, on zx's
 * `$`. The command and each argument are interpolated values (zx quotes every element of an
 * interpolated array), so no configuration value is ever read by a shell as syntax, and no command
 * line is built by concatenation. zx never prints: verbose off, quiet, a silent logger.
 *
 *   const r = await exec('git', ['rev-parse', 'HEAD'], { cwd });           // throws ExecError on exit ≠ 0
 *   const r = await exec('docker', args, { nothrow: true, onLine });       // r.exitCode decides
 *   const p = startProcess(bin, ['serve', config], { stdio: ['ignore', fd, fd] }); // long-running: p.kill()
 *
 * Tests of planning code never need it: the ports that use it (docker, git) take a runner argument.
 */
import type { StdioOptions } from 'node:child_process';
import { StringDecoder } from 'node:string_decoder';
import { $, type ProcessOutput, type ProcessPromise } from 'zx/core';
import { quote } from 'zx/core';
import { FerryError } from './errors.ts';

export interface ExecOptions {
  cwd?: string;
  /** Additions over `baseEnv` (default `process.env`); `undefined` removes a variable. */
  env?: Record<string, string | undefined>;
  /** Replaces `process.env` as the base environment. */
  baseEnv?: NodeJS.ProcessEnv;
  /** Written to stdin, then stdin is closed. Without it the child's stdin is empty (closed). */
  input?: string | Buffer;
  /** Aborting kills the process (SIGTERM). */
  signal?: AbortSignal;
  /** Kills the process (SIGTERM) after this many milliseconds. */
  timeout?: number;
  /** Resolve with the result whatever the exit code (no ExecError). */
  nothrow?: boolean;
  /** Default true: output is captured only. False also copies it to this process's stdout/stderr as it arrives. */
  quiet?: boolean;
  /** Each complete line of stdout and stderr as it arrives (e.g. build progress); the last partial line at exit. */
  onLine?: (line: string, stream: 'stdout' | 'stderr') => void;
}

export interface ExecResult {
  /** The command as shown to people (quoted as the shell receives it). */
  command: string;
  stdout: string;
  stderr: string;
  /** stdout and stderr interleaved in arrival order. */
  output: string;
  /** The exit code; 128 + n when signal n ended it, 127 when the command was not found. */
  exitCode: number;
  /** The signal that ended the process, if one did. */
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  aborted: boolean;
}

/** A process that exited unsuccessfully (or could not start, timed out, was aborted). */
export class ExecError extends FerryError {
  readonly result: ExecResult;
  constructor(result: ExecResult) {
    const why = result.aborted
      ? 'was interrupted'
      : result.timedOut
        ? 'timed out'
        : result.exitCode === 127
          ? 'could not start (command not found: is it installed and on PATH?)'
          : `failed (exit ${result.exitCode}${result.signal ? `, ${result.signal}` : ''})`;
    const last = lastLines(result.stderr || result.stdout, 5);
    super(result.aborted ? 'INTERRUPTED' : 'EXEC_FAILED', `\`${result.command}\` ${why}${last.length ? `: ${last.join(' | ')}` : ''}`, { details: last });
    this.name = 'ExecError';
    this.result = result;
  }
}

export const isExecError = (e: unknown): e is ExecError => e instanceof ExecError;

/** A started process: its pid, its result, and a way to signal it. */
export interface ExecHandle {
  readonly pid: number | undefined;
  /** Settles when the process has exited and its output is closed (rejects as `exec` does). */
  readonly result: Promise<ExecResult>;
  /** Sends `signal` (default SIGTERM) to the process; false when it has already exited. */
  kill(signal?: NodeJS.Signals): boolean;
  /** Lets this process exit while the child still runs. */
  unref(): void;
}

export interface StartOptions extends ExecOptions {
  /** Node's stdio option; default pipes (captured). `inherit` shares this terminal; file descriptors write to files. */
  stdio?: StdioOptions;
  /** Run in its own process group, to outlive this process (with `unref`). */
  detached?: boolean;
}

/** Runs `cmd` with `args` and resolves when it exits; see ExecOptions. */
export function exec(cmd: string, args: readonly string[] = [], opts: ExecOptions = {}): Promise<ExecResult> {
  return startProcess(cmd, args, opts).result;
}

/** `cmd args…` as shown in messages (each value quoted as zx quotes it; for display only). */
export function showCommand(cmd: string, args: readonly string[]): string {
  const shown = [cmd, ...args].map((a) => quote(a)).join(' ');
  return shown.length > 300 ? `${shown.slice(0, 297)}...` : shown;
}

/** Starts `cmd` with `args`; for long-running processes and those whose terminal is inherited. */
export function startProcess(cmd: string, args: readonly string[] = [], opts: StartOptions = {}): ExecHandle {
  const env: NodeJS.ProcessEnv = { ...(opts.baseEnv ?? process.env), ...opts.env };
  for (const k of Object.keys(env)) if (env[k] === undefined) delete env[k];
  const command = showCommand(cmd, args);
  const timeout = opts.timeout ? AbortSignal.timeout(opts.timeout) : undefined;
  const signals = [opts.signal, timeout].filter((s): s is AbortSignal => s !== undefined);
  const hasInput = opts.input !== undefined;
  const stdio: StdioOptions = opts.stdio ?? [hasInput ? 'pipe' : 'ignore', 'pipe', 'pipe'];

  const settle = (out: ProcessOutput | undefined, error?: unknown): ExecResult => {
    const signal = (out?.signal ?? null) as NodeJS.Signals | null;
    const startError = (out?.cause ?? error) as NodeJS.ErrnoException | undefined;
    const aborted = opts.signal?.aborted ?? false;
    const result: ExecResult = {
      command,
      stdout: out?.stdout ?? '',
      stderr: out?.stderr ?? (startError && !aborted && !timeout?.aborted ? String(startError.message) : ''),
      output: out?.stdall ?? '',
      exitCode: out?.exitCode ?? (signal ? 128 + signalNumber(signal) : startError?.code === 'ENOENT' ? 127 : 1),
      signal,
      timedOut: !aborted && (timeout?.aborted ?? false),
      aborted,
    };
    if (result.exitCode !== 0 || result.aborted || result.timedOut) {
      if (!opts.nothrow) throw new ExecError(result);
    }
    return result;
  };

  if (signals.some((s) => s.aborted)) {
    const result = Promise.resolve().then(() => settle(undefined, new Error('aborted before start')));
    return { pid: undefined, result, kill: () => false, unref: () => {} };
  }

  const p: ProcessPromise = $({
    // zx's own default is the directory at its import; ours is the current one.
    cwd: opts.cwd ?? process.cwd(),
    env,
    // A Buffer even when empty: zx ignores a falsy input (then stdin would stay open).
    input: hasInput ? Buffer.from(opts.input!) : undefined,
    signal: signals.length > 1 ? AbortSignal.any(signals) : signals[0],
    stdio,
    detached: opts.detached ?? false,
    nothrow: true,
    quiet: true,
    verbose: false,
    log: () => {},
    // One command, never a script: the shell replaces itself with it, so signals reach the command.
    prefix: 'exec ',
    postfix: '',
  })`${cmd} ${[...args]}`;

  const child = p.child;
  if (opts.onLine || opts.quiet === false) {
    for (const which of ['stdout', 'stderr'] as const) {
      const stream = child?.[which];
      if (!stream) continue;
      const decoder = new StringDecoder('utf8');
      let partial = '';
      const echo = opts.quiet === false ? process[which] : undefined;
      stream.on('data', (d: Buffer) => {
        echo?.write(d);
        if (!opts.onLine) return;
        const lines = (partial + decoder.write(d)).split(/\r?\n|\r/);
        partial = lines.pop() ?? '';
        for (const line of lines) opts.onLine(line, which);
      });
      stream.on('end', () => {
        const rest = partial + decoder.end();
        partial = '';
        if (rest && opts.onLine) opts.onLine(rest, which);
      });
    }
  }
  // A child that exits before reading stdin must not crash us with EPIPE.
  child?.stdin?.on('error', () => {});

  const result = (p as Promise<ProcessOutput>).then(
    (out) => settle(out),
    (e) => settle(undefined, e),
  );
  return {
    pid: child?.pid,
    result,
    kill: (signal = 'SIGTERM') => (child && child.exitCode === null && child.signalCode === null ? child.kill(signal) : false),
    unref: () => child?.unref(),
  };
}

function signalNumber(signal: NodeJS.Signals): number {
  return ({ SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGKILL: 9, SIGTERM: 15 } as Record<string, number>)[signal] ?? 0;
}

/** The last `n` non-empty lines of `text`. */
export function lastLines(text: string, n: number): string[] {
  return text.split(/\r?\n/).filter((l) => l.trim() !== '').slice(-n);
}
