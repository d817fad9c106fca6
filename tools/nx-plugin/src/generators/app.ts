/**
 * `nx g @ferry/nx:app <project>`: writes `<projectRoot>/deploy.json` from what the project's files
 * show (infer-app.ts). An existing deploy.json keeps every value it has; only missing fields are
 * added, so re-running after a person edited the file changes nothing they wrote.
 */
import { getProjects, logger, type Tree } from '@nx/devkit';
import { posix } from 'node:path';
import { PACKAGE_NAME } from '../mode.ts';
import { buildOutputs, inferApp, type ProjectFile } from './infer-app.ts';
import { addMissing } from './merge.ts';

export interface AppOptions {
  project: string;
}

const SANDBOX_BASE_IMAGE = 'ferry-sandbox/node:20';

/** The project's root: by Nx project name, else a folder path holding project.json or package.json. */
export function projectRootOf(tree: Tree, project: string): string {
  const byName = getProjects(tree).get(project);
  if (byName) return byName.root;
  const dir = project.replace(/^\.\//, '').replace(/\/+$/, '');
  if (tree.exists(posix.join(dir, 'project.json')) || tree.exists(posix.join(dir, 'package.json'))) return dir;
  const known = [...getProjects(tree).keys()].sort();
  throw new Error(`ferry: no project "${project}" in this workspace${known.length ? ` (known: ${known.join(', ')})` : ''}. Pass an Nx project name or its folder.`);
}

function listFiles(tree: Tree, dir: string, prefix = ''): string[] {
  const out: string[] = [];
  for (const name of tree.children(dir)) {
    if (name === 'node_modules' || name === '.git' || name === 'dist' || name === '.nx') continue;
    const abs = posix.join(dir, name);
    const rel = prefix ? `${prefix}/${name}` : name;
    if (tree.isFile(abs)) out.push(rel);
    else out.push(...listFiles(tree, abs, rel));
  }
  return out;
}

interface SandboxEnv {
  name: string;
  buildArgs: Record<string, string>;
}

/** Sandbox environments of ferry.json (the built-in `local` when there is no ferry.json). */
function sandboxEnvironments(tree: Tree): SandboxEnv[] {
  if (!tree.exists('ferry.json')) return [{ name: 'local', buildArgs: { BASE_IMAGE: SANDBOX_BASE_IMAGE } }];
  let raw: { environments?: Record<string, { kind?: string; buildArgs?: Record<string, string> }> };
  try {
    raw = JSON.parse(tree.read('ferry.json', 'utf-8') ?? '{}');
  } catch {
    return [];
  }
  return Object.entries(raw.environments ?? {})
    .filter(([, env]) => env?.kind === 'sandbox')
    .map(([name, env]) => ({ name, buildArgs: env.buildArgs ?? {} }));
}

export default async function appGenerator(tree: Tree, options: AppOptions): Promise<void> {
  const root = projectRootOf(tree, options.project);
  const files: ProjectFile[] = listFiles(tree, root).map((path) => ({ path, read: () => tree.read(posix.join(root, path), 'utf-8') ?? '' }));
  const toWorkspace = posix.relative(root, '.') || '.';
  const build = getProjects(tree).get(options.project)?.targets?.build;
  const inferred = inferApp(files, {
    inProject: (p) => tree.exists(posix.join(root, p)),
    inWorkspace: (p) => tree.exists(p),
    projectToWorkspace: toWorkspace,
    projectRoot: root,
    buildOutputs: buildOutputs(build?.outputs, root, (build?.options ?? {}) as Record<string, unknown>),
  });

  const schema = PACKAGE_NAME ? `node_modules/${PACKAGE_NAME}/schema/deploy.schema.json` : 'libs/ferry/core/schema/deploy.schema.json';
  const proposed: Record<string, unknown> = { $schema: posix.join(toWorkspace, schema) };
  if (inferred.dockerfile && inferred.dockerfile !== 'Dockerfile') proposed.dockerfile = inferred.dockerfile;
  if (inferred.context && inferred.context !== '.') proposed.context = inferred.context;
  if (inferred.containerPort) proposed.containerPort = inferred.containerPort;
  if (inferred.healthCheckPath) proposed.healthCheckPath = inferred.healthCheckPath;
  if (inferred.healthCheckStatus) proposed.healthCheckStatus = inferred.healthCheckStatus;
  if (inferred.containerHealthCheck) proposed.containerHealthCheck = inferred.containerHealthCheck;
  if (inferred.initProcessEnabled) proposed.initProcessEnabled = true;
  // The sandbox can pull no public image: its environments supply a local base image. When the
  // Dockerfile names its base-image argument differently, map that name per sandbox environment.
  const arg = inferred.baseImageArg;
  if (arg) {
    const overrides: Record<string, unknown> = {};
    for (const env of sandboxEnvironments(tree)) {
      if (env.buildArgs[arg] !== undefined) continue;
      overrides[env.name] = { buildArgs: { [arg]: env.buildArgs.BASE_IMAGE ?? SANDBOX_BASE_IMAGE } };
    }
    if (Object.keys(overrides).length) proposed.environments = overrides;
  }

  const file = posix.join(root, 'deploy.json');
  let existing: Record<string, unknown> = {};
  if (tree.exists(file)) {
    try {
      existing = JSON.parse(tree.read(file, 'utf-8') ?? '{}');
    } catch (e) {
      throw new Error(`ferry: ${file} is not valid JSON (${(e as Error).message}); fix it and re-run.`);
    }
  }
  const { value, added } = addMissing(existing, proposed);
  for (const note of inferred.notes) logger.info(`ferry: ${options.project}: ${note}`);
  if (added.length === 0 && tree.exists(file)) {
    logger.info(`ferry: ${file} already has every inferred field; unchanged`);
    return;
  }
  tree.write(file, `${JSON.stringify(value, null, 2)}\n`);
  logger.info(`ferry: ${file}: ${tree.exists(file) && Object.keys(existing).length ? `added ${added.join(', ')}` : 'written'}`);
}
