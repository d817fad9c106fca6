/**
 * The `ferry` command of the npm package (`npx ferry …` in an adopting workspace).
 *
 *   ferry sandbox up|down|status [--port N] [--registry-port N] [--data-dir DIR]
 *   ferry <target> --project <name> [flags]      (every target the plugin infers: deploy, diff, …)
 *
 * The sandbox keeps its data in `<workspace root>/.ferry/sandbox` unless `--data-dir` or
 * FERRY_SANDBOX_DIR says otherwise. Targets run the same bundled scripts as the Nx executor, for CI
 * steps that need the scripts' own exit codes (Nx reduces them to 0/1/130).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startProcess } from '../../../libs/ferry/core/src/exec.ts';

const here = dirname(fileURLToPath(import.meta.url));
/** The bundled target scripts beside this file (`deploy.mjs` …), not the bin, the sandbox or shared chunks. */
const TARGETS = readdirSync(here)
  .filter((f) => f.endsWith('.mjs') && !f.startsWith('chunk-') && f !== 'ferry.mjs' && f !== 'sandbox.mjs')
  .map((f) => f.slice(0, -4))
  .sort();

const USAGE = `usage:
  ferry sandbox <up|down|status> [--port N] [--registry-port N] [--data-dir DIR]
  ferry <${TARGETS.join('|')}> --project <name> [--env <env>] [flags]
  ferry --version`;

/** The nearest directory with nx.json, else the current one. */
function workspaceRoot(cwd: string): string {
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'nx.json'))) return dir;
    if (dirname(dir) === dir) return resolve(cwd);
  }
}

async function run(file: string, args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const child = startProcess(process.execPath, [file, ...args], { stdio: 'inherit', baseEnv: env, nothrow: true });
  const forward = (signal: NodeJS.Signals) => child.kill(signal);
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  const r = await child.result;
  // With the terminal inherited, stderr holds only a failure to start the process at all.
  if (r.stderr) {
    console.error(`ferry: could not start ${file}: ${r.stderr.trim()}`);
    return 1;
  }
  return r.signal ? 130 : r.exitCode;
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === '--version' || command === '-v') {
    console.log((JSON.parse(readFileSync(join(here, '..', 'package.json'), 'utf8')) as { version: string }).version);
    return 0;
  }
  if (command === 'sandbox') {
    const [sub, ...flags] = rest;
    if (!sub || !['up', 'down', 'status', 'serve'].includes(sub)) {
      console.error(`ferry: unknown sandbox command '${sub ?? ''}'\n${USAGE}`);
      return 2;
    }
    const env = { ...process.env };
    const explicit = flags.some((f) => f === '--data-dir' || f.startsWith('--data-dir='));
    if (!explicit && !env.FERRY_SANDBOX_DIR) env.FERRY_SANDBOX_DIR = join(workspaceRoot(process.cwd()), '.ferry', 'sandbox');
    return run(join(here, 'sandbox.mjs'), [sub, ...flags], env);
  }
  if (command && TARGETS.includes(command)) return run(join(here, `${command}.mjs`), rest, process.env);
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
    console.log(USAGE);
    return command === undefined ? 2 : 0;
  }
  console.error(`ferry: unknown command '${command}'\n${USAGE}`);
  return 2;
}

process.exitCode = await main(process.argv.slice(2));
