/** Options of the `script` executor as Nx hands them over (schema plus any forwarded flags). */
export interface ScriptExecutorOptions {
  script: string;
  scriptsDir?: string;
  env?: string;
  [flag: string]: unknown;
}

// Nx adds __unparsed__ only when the schema asks for it (ours does not); skip it regardless.
const INTERNAL = new Set(['script', 'scriptsDir', '__unparsed__', 'project']);

/**
 * The script file (relative to the workspace root) and its argv. Pure, so the flag mapping is
 * unit-tested: `{ env: 'staging', dryRun: true }` -> `--env=staging --dry-run`.
 * Nx's parser turns `--no-rollback` into `rollback: false`; a false boolean therefore goes back out
 * as `--no-rollback`, which is the flag the scripts declare (dropping it would silently roll back).
 */
export function scriptArgs(options: ScriptExecutorOptions, project: string): { file: string; args: string[] } {
  const dir = (options.scriptsDir ?? 'scripts').replace(/\/+$/, '');
  const args = [`--project=${project}`];
  const seen = new Set<string>();
  for (const [key, value] of Object.entries(options)) {
    if (INTERNAL.has(key) || value === undefined || value === null) continue;
    const flag = kebab(key);
    if (seen.has(flag)) continue;
    seen.add(flag);
    if (value === true) args.push(`--${flag}`);
    else if (value === false) args.push(`--no-${flag}`);
    else if (Array.isArray(value)) for (const v of value) args.push(`--${flag}=${String(v)}`);
    else if (typeof value === 'object') args.push(`--${flag}=${JSON.stringify(value)}`);
    else args.push(`--${flag}=${String(value)}`);
  }
  return { file: `${dir}/${options.script}.ts`, args };
}

function kebab(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/** Where the script runs from: the workspace, and the package's bundled scripts when installed. */
export interface ScriptLocation {
  workspaceRoot: string;
  /** Folder of the bundled `<script>.mjs` files (the npm package's `dist/`); undefined in the repository. */
  bundledDir?: string;
}

/**
 * The node argv for one target run. Pure. A bundled script runs with plain node (the adopting
 * workspace needs no tsx); a `scriptsDir` set in nx.json, or the repository's `scripts/`, runs
 * `<dir>/<script>.ts` through tsx.
 */
export function scriptCommand(
  options: ScriptExecutorOptions,
  project: string,
  where: ScriptLocation,
): { file: string; shown: string; nodeArgs: string[] } {
  const { file, args } = scriptArgs(options, project);
  if (where.bundledDir && !options.scriptsDir) {
    const bundled = joinPath(where.bundledDir, `${options.script}.mjs`);
    return { file: bundled, shown: `${options.script}.mjs`, nodeArgs: [bundled, ...args] };
  }
  const abs = joinPath(where.workspaceRoot, file);
  return { file: abs, shown: file, nodeArgs: ['--import', 'tsx', abs, ...args] };
}

function joinPath(dir: string, name: string): string {
  return `${dir.replace(/\/+$/, '')}/${name}`;
}
