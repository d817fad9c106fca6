import { existsSync } from 'node:fs';
// The process port itself, not @ferry/core's index: the sandbox needs nothing else of ferry's libraries.
import { exec } from '../../../libs/ferry/core/src/exec.ts';

/** Result of one docker CLI run. */
export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** The docker CLI to use: `FERRY_DOCKER`, else the one on PATH. */
export function dockerCli(): string {
  return process.env.FERRY_DOCKER ?? 'docker';
}

/** Runs a command through the process port (argument values, never a shell string); `input` is piped to stdin. */
export async function run(cmd: string, args: string[], opts: { input?: string; env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<RunResult> {
  const r = await exec(cmd, args, { input: opts.input, baseEnv: opts.env, cwd: opts.cwd, nothrow: true });
  return { code: r.exitCode, stdout: r.stdout, stderr: r.stderr };
}

export function docker(args: string[], opts: Parameters<typeof run>[2] = {}): Promise<RunResult> {
  return run(dockerCli(), args, opts);
}

/** Runs `tools/sandbox/engine.sh` (starts dockerd the allowed way when no engine answers). */
export async function ensureEngine(): Promise<void> {
  const script = new URL('../engine.sh', import.meta.url).pathname;
  if (!existsSync(script)) throw new Error(`engine script missing: ${script}`);
  const r = await run('bash', [script]);
  if (r.code !== 0) throw new Error(`Docker engine is not available: ${(r.stderr || r.stdout).trim()}`);
}
