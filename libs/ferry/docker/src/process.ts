/**
 * Running the docker CLI: always an argument array handed to spawn (no shell), so no config value is
 * ever interpreted by a shell. The runner is a port: tests of the planning code never need it, and
 * the executors take it as an argument.
 */
import { spawn } from 'node:child_process';

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

/** Runs `cmd` with `args` (no shell). Resolves with the exit code; rejects only when it cannot start. */
export type RunProcess = (cmd: string, args: readonly string[], opts?: RunOptions) => Promise<ProcessResult>;

export const runProcess: RunProcess = (cmd, args, opts = {}) =>
  new Promise((resolve, reject) => {
    const env = { ...(opts.baseEnv ?? process.env), ...opts.env };
    for (const k of Object.keys(env)) if (env[k] === undefined) delete env[k];
    const child = spawn(cmd, [...args], { cwd: opts.cwd, env, stdio: ['pipe', 'pipe', 'pipe'], signal: opts.signal });
    let stdout = '';
    let stderr = '';
    let output = '';
    const partial = { out: '', err: '' };
    const feed = (which: 'out' | 'err', chunk: string) => {
      if (!opts.onLine) return;
      const lines = (partial[which] + chunk).split(/\r?\n|\r/);
      partial[which] = lines.pop() ?? '';
      for (const line of lines) opts.onLine(line);
    };
    child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; output += d; feed('out', d); });
    child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; output += d; feed('err', d); });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (opts.onLine) for (const rest of [partial.out, partial.err]) if (rest) opts.onLine(rest);
      resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr, output });
    });
    // A child that exits before reading stdin must not crash us with EPIPE.
    child.stdin.on('error', () => {});
    child.stdin.end(opts.input ?? '');
  });

/** The last `n` non-empty lines of `text`. */
export function tailLines(text: string, n: number): string[] {
  return text.split(/\r?\n/).filter((l) => l.trim() !== '').slice(-n);
}
