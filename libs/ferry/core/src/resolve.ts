import { join, relative, resolve, isAbsolute } from 'node:path';
import type { ResolvedApp } from './config-types.ts';
import { applyAppDefaults, displayPath, loadWorkspaceConfig, mergeOverride, readAppConfigRaw } from './config.ts';
import { FerryError } from './errors.ts';
import { getProjectGraph } from './graph.ts';
import type { RunSession } from './session.ts';
import { suggest } from './names.ts';
import { loadTaskTemplate } from './task-template.ts';

/**
 * Everything a target needs about one app in one environment: finds the project root through the
 * project graph, loads its deploy.json, applies `environments.<env>` from deploy.json over the
 * base fields (see `mergeOverride`), then applies defaults, and puts the environment's buildArgs
 * (ferry.json) under the app's own. `envName` defaults to FERRY_ENV, then ferry.json's defaultEnvironment.
 */
export async function resolveApp(workspaceRoot: string, project: string, envName?: string, session?: RunSession): Promise<ResolvedApp> {
  const ws = loadWorkspaceConfig(workspaceRoot);
  const name = envName ?? process.env.FERRY_ENV ?? ws.defaultEnvironment;
  const env = ws.environments[name];
  const known = Object.keys(ws.environments);
  if (!env) {
    const guess = suggest(name, known);
    throw new FerryError(
      'ENV_UNKNOWN',
      `Unknown environment ${JSON.stringify(name)}.${guess ? ` Did you mean ${JSON.stringify(guess)}?` : ''} Known environments: ${known.join(', ')} (from ${displayPath(ws.file, workspaceRoot)}).`,
    );
  }
  const graph = await getProjectGraph(workspaceRoot, session);
  const node = graph.nodes[project];
  if (!node) {
    const guess = suggest(project, Object.keys(graph.nodes));
    throw new FerryError(
      'NOT_FOUND',
      `No Nx project named ${JSON.stringify(project)}.${guess ? ` Did you mean ${JSON.stringify(guess)}?` : ''} Run \`npx nx show projects\` to list them.`,
    );
  }
  const projectRoot = join(workspaceRoot, node.root);
  const file = join(projectRoot, 'deploy.json');
  const shown = displayPath(file, workspaceRoot);
  const raw = readAppConfigRaw(file, shown);
  const overrides = (raw.environments ?? {}) as Record<string, Record<string, unknown>>;
  // An override for an environment that does not exist is almost always a typo ("prd") that would
  // silently deploy prod without its settings.
  for (const key of Object.keys(overrides)) {
    if (ws.environments[key]) continue;
    const guess = suggest(key, known);
    throw new FerryError(
      'CONFIG_INVALID',
      `${shown}: environments.${key} overrides an environment that ${displayPath(ws.file, workspaceRoot)} does not define.${guess ? ` Did you mean ${JSON.stringify(guess)}?` : ''} Known environments: ${known.join(', ')}. Rename the key or add the environment to ferry.json.`,
    );
  }
  const { environments: _all, ...base } = raw;
  const merged = mergeOverride(base, overrides[name]);
  merged.environments = overrides;
  const app = applyAppDefaults(merged, file, project, shown);
  app.buildArgs = { ...(env.buildArgs ?? {}), ...app.buildArgs };
  for (const field of ['dockerfile', 'context'] as const) {
    const abs = resolve(projectRoot, app[field]);
    const rel = relative(workspaceRoot, abs);
    if (rel.startsWith('..') || isAbsolute(rel)) {
      throw new FerryError('CONFIG_INVALID', `${shown}: ${field} must stay inside the workspace (got ${JSON.stringify(app[field])}, which resolves to ${abs}). Example: "${field}": ${JSON.stringify(field === 'dockerfile' ? 'Dockerfile' : '.')}`);
    }
  }
  // Template mode: the template is read and checked now, so every target refuses a bad one first.
  if (app.taskDefinition !== undefined) return { app: loadTaskTemplate(app, env, workspaceRoot, session).app, env, projectRoot, workspaceRoot };
  return { app, env, projectRoot, workspaceRoot };
}
