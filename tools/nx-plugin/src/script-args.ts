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
