/**
 * The `@ferry/nx-plugin:script` executor: runs `node --import tsx <scriptsDir>/<script>.ts
 * --project=<project> <flags>` in the workspace root and succeeds when the script exits 0.
 *
 * Why not nx:run-commands: its schema owns the option name `env` (environment variables, an object),
 * so `nx run api:deploy-app --env staging` fails validation before anything runs.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { scriptArgs, type ScriptExecutorOptions } from './script-args.ts';

interface ExecutorContextLike {
  root: string;
  projectName?: string;
}

export default async function runScript(
  options: ScriptExecutorOptions,
  context: ExecutorContextLike,
): Promise<{ success: boolean }> {
  const { file, args } = scriptArgs(options, context.projectName ?? '');
  const abs = join(context.root, file);
  if (!existsSync(abs)) {
    console.error(`ferry: ${file} does not exist; the ${options.script} target has no script to run.`);
    return { success: false };
  }
  const code = await new Promise<number>((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', abs, ...args], { cwd: context.root, stdio: 'inherit' });
    const forward = (signal: NodeJS.Signals) => child.kill(signal);
    process.once('SIGINT', forward);
    process.once('SIGTERM', forward);
    child.on('error', (e) => {
      console.error(`ferry: could not start ${file}: ${e.message}`);
      resolve(1);
    });
    child.on('close', (c, signal) => {
      process.off('SIGINT', forward);
      process.off('SIGTERM', forward);
      resolve(c ?? (signal ? 130 : 1));
    });
  });
  return { success: code === 0 };
}
