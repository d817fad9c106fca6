/**
 * ferry's Nx plugin: every project with a `deploy.json` gets the deploy targets, inferred.
 *
 * Inference only: each target runs a thin entry script (`scripts/<target>.ts --project=<name>`)
 * through the `script` executor in executor.ts; all behaviour lives in scripts/ and libs/.
 * Self-contained (node builtins, @nx/devkit and jsonc-parser — a dependency of nx itself — and
 * relative `.ts` imports) because Nx loads it
 * through its own TS transpiler, before any workspace path alias is known.
 */
import { createNodesFromFiles, logger, type CreateNodesV2 } from '@nx/devkit';
import { parse, printParseErrorCode, type ParseError } from 'jsonc-parser';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { deployTargets, type FerryPluginOptions } from './targets.ts';
// One parser for the plugin and deploy-app: a relative import (no path alias is known when Nx loads
// the plugin; the package bundles it).
import { deployJsonAppRefs, deployJsonTemplates, documentAppRefs } from '../../../libs/ferry/core/src/app-refs.ts';

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
  // One broken deploy.json must not stop every other project's `nx` commands: warn and leave
  // this project without ferry's targets (the file's own targets then say it is not deployable).
  const read = parseJsonObject(readFileSync(join(workspaceRoot, file), 'utf8'), file);
  if ('error' in read) {
    logger.warn(`${read.error} Until then ${root} has no ferry targets.`);
    return {};
  }
  const deploy = read.value;
  return {
    projects: {
      [root]: {
        root,
        targets: deployTargets({ environments, options, deployAfter: [...new Set([...deployJsonAppRefs(deploy), ...templateAppRefs(abs, deploy)])].sort() }),
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

/**
 * Other apps a project's task definition templates reference (`${app:<project>.url}`): deployed first,
 * like references in deploy.json's environment. A template that is missing or not JSON adds none
 * (every ferry target reports it with the fix).
 */
function templateAppRefs(projectAbs: string, deploy: Record<string, unknown>): string[] {
  return deployJsonTemplates(deploy).flatMap((f) => {
    const path = join(projectAbs, f);
    if (!existsSync(path)) return [];
    const read = parseJsonObject(readFileSync(path, 'utf8'), f);
    return 'error' in read ? [] : documentAppRefs(read.value);
  });
}

/** Environment names from `ferry.json` at the workspace root; none when the file is missing. */
function readEnvironmentNames(workspaceRoot: string): string[] {
  const file = join(workspaceRoot, 'ferry.json');
  if (!existsSync(file)) return [];
  const envs = readJsonObject(file, 'ferry.json').environments;
  return envs && typeof envs === 'object' && !Array.isArray(envs) ? Object.keys(envs).sort() : [];
}

function readJsonObject(path: string, label: string): Record<string, unknown> {
  const read = parseJsonObject(readFileSync(path, 'utf8'), label);
  if ('error' in read) throw new Error(read.error);
  return read.value;
}

/**
 * Parses a JSON object strictly (no comments, no trailing commas: what JSON.parse accepts) and, when
 * it is not one, says where: line and column of the first problem (1-based), as configuration.md shows. Pure.
 */
export function parseJsonObject(text: string, label: string): { value: Record<string, unknown> } | { error: string } {
  const errors: ParseError[] = [];
  const value: unknown = parse(text, errors, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false });
  if (errors.length) {
    const { error, offset } = errors[0];
    const before = text.slice(0, offset).split(/\r\n|\r|\n/);
    const line = before.length;
    const column = before[before.length - 1].length + 1;
    return { error: `ferry: ${label}: invalid JSON at line ${line}, column ${column} (${printParseErrorCode(error)}). Check for a missing comma, a trailing comma or an unquoted key, and rerun.` };
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) return { error: `ferry: ${label} must contain a JSON object.` };
  return { value: value as Record<string, unknown> };
}
