/**
 * ferry's Nx plugin: every project with a `deploy.json` gets the deploy targets, inferred.
 *
 * Inference only: each target runs a thin entry script (`scripts/<target>.ts --project=<name>`)
 * through the `script` executor in executor.ts; all behaviour lives in scripts/ and libs/.
 * Self-contained (node builtins and @nx/devkit only, relative `.ts` imports) because Nx loads it
 * through its own TS transpiler, before any workspace path alias is known.
 */
import { createNodesFromFiles, type CreateNodesV2 } from '@nx/devkit';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { deployTargets, type FerryPluginOptions } from './targets.ts';

export type { FerryPluginOptions } from './targets.ts';
export { deployTargets, DEPLOY_CHAIN, FERRY_TARGETS } from './targets.ts';

export const createNodesV2: CreateNodesV2<FerryPluginOptions> = [
  '**/deploy.json',
  async (configFiles, options, context) => {
    const environments = readEnvironmentNames(context.workspaceRoot);
    return createNodesFromFiles(
      (file, opts, ctx) => inferProject(file, opts ?? {}, ctx.workspaceRoot, environments),
      configFiles,
      options ?? {},
      context,
    );
  },
];

/** Nx 21+ name for the same hook; both point at one implementation. */
export const createNodes = createNodesV2;

function inferProject(file: string, options: FerryPluginOptions, workspaceRoot: string, environments: string[]) {
  const root = dirname(file);
  const abs = join(workspaceRoot, root);
  // A deploy.json outside a project (no project.json / package.json beside it) describes nothing
  // Nx can run; skip it instead of inventing a nameless project.
  if (!existsSync(join(abs, 'project.json')) && !existsSync(join(abs, 'package.json'))) return {};
  const deploy = readJsonObject(join(workspaceRoot, file), file);
  return {
    projects: {
      [root]: {
        root,
        targets: deployTargets({ environments, options }),
        metadata: {
          technologies: ['docker', 'aws-ecs'],
          ferry: {
            service: typeof deploy.service === 'string' ? deploy.service : undefined,
            repository: typeof deploy.repository === 'string' ? deploy.repository : undefined,
          },
        },
      },
    },
  };
}

/** Environment names from `ferry.json` at the workspace root; none when the file is missing. */
function readEnvironmentNames(workspaceRoot: string): string[] {
  const file = join(workspaceRoot, 'ferry.json');
  if (!existsSync(file)) return [];
  const envs = readJsonObject(file, 'ferry.json').environments;
  return envs && typeof envs === 'object' && !Array.isArray(envs) ? Object.keys(envs).sort() : [];
}

function readJsonObject(path: string, label: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new Error(`ferry: ${label} is not valid JSON (${(e as Error).message}). Fix the file and rerun.`);
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    throw new Error(`ferry: ${label} must contain a JSON object.`);
  }
  return value as Record<string, unknown>;
}
