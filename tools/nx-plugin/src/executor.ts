/**
 * The `script` executor (`./tools/nx-plugin:script` in this repository, `@ferry/nx:script` from the
 * npm package): runs the target's entry script with `--project=<project> <flags>` in the workspace
 * root and succeeds when the script exits 0. From the package the script is the bundled
 * `<script>.mjs` beside this file; in the repository `scripts/<script>.ts` through tsx.
 *
 * Why not nx:run-commands: its schema owns the option name `env` (environment variables, an object),
 * so `nx run api:deploy-app --env staging` fails validation before anything runs.
 */
import { existsSync } from 'node:fs';
import { canRunInProcess, launchArgs, runInProcess, runNode, type Launch } from './launch.ts';
import { PACKAGE_NAME } from './mode.ts';
import { scriptCommand, type ScriptExecutorOptions } from './script-args.ts';

interface ExecutorContextLike {
  root: string;
  projectName?: string;
}

export default async function runScript(
  options: ScriptExecutorOptions,
  context: ExecutorContextLike,
): Promise<{ success: boolean }> {
  // The package bundles this file as CommonJS next to the scripts, so __dirname is their folder.
  const bundledDir = PACKAGE_NAME && typeof __dirname === 'string' ? __dirname : undefined;
  const { file, shown, nodeArgs } = scriptCommand(options, context.projectName ?? '', { workspaceRoot: context.root, bundledDir });
  if (!existsSync(file)) {
    console.error(`ferry: ${shown} does not exist (${file}); the ${options.script} target has no script to run.`);
    return { success: false };
  }
  // Repository mode: a fresh esbuild bundle of the same script when there is one (launch.ts). The
  // npm package's scripts are such bundles already.
  const launch: Launch = bundledDir && nodeArgs[0] === file ? { args: nodeArgs, mode: 'bundle' } : await launchArgs(context.root, nodeArgs);
  if (canRunInProcess(launch)) return runInProcess(context.root, launch.args);
  const code = await runNode(context.root, launch.args, shown);
  return { success: code === 0 };
}
