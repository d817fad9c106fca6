/**
 * Running the docker CLI through the process port (`exec` in @ferry/core, on zx): the command and
 * each argument are interpolated values, never a shell string. The runner is a port: tests of the
 * planning code never need it, and the executors take it as an argument.
 */
import { exec } from '@ferry/core';

/** The outcome of one process run. `output` interleaves stdout and stderr in arrival order. */
export interface ProcessResult {
  code: number;
  stdout: string;
  stderr: string;
  output: string;
}

export interface RunOptions {
  /** Environment additions (merged over `process.env`, or over `baseEnv`). */
  env?: Record<string, string | undefined>;
  /** Replace `process.env` as the base environment. */
  baseEnv?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Written to stdin, then stdin is closed (used for `--password-stdin`). */
  input?: string;
  /** Called with each complete output line (stdout and stderr), e.g. to stream build progress. */
  onLine?: (line: string) => void;
  signal?: AbortSignal;
}

/** Runs `cmd` with `args`. Resolves with the exit code (127 when it cannot start, non-zero when aborted). */
export type RunProcess = (cmd: string, args: readonly string[], opts?: RunOptions) => Promise<ProcessResult>;

export const runProcess: RunProcess = async (cmd, args, opts = {}) => {
  const r = await exec(cmd, args, {
    cwd: opts.cwd,
    env: opts.env,
    baseEnv: opts.baseEnv,
    input: opts.input,
    signal: opts.signal,
    onLine: opts.onLine ? (line) => opts.onLine!(line) : undefined,
    nothrow: true,
  });
  return { code: r.exitCode, stdout: r.stdout, stderr: r.stderr, output: r.output };
};

/** The last `n` non-empty lines of `text`. */
export function tailLines(text: string, n: number): string[] {
  return text.split(/\r?\n/).filter((l) => l.trim() !== '').slice(-n);
}
