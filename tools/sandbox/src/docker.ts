import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';

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

/** Runs a command from an argument array (never a shell string); `input` is piped to stdin. */
export function run(cmd: string, args: string[], opts: { input?: string | NodeJS.ReadableStream; env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: opts.env ?? process.env, cwd: opts.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
    if (typeof opts.input === 'string') child.stdin.end(opts.input);
    else if (opts.input) opts.input.pipe(child.stdin);
    else child.stdin.end();
  });
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
