import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { FerryError } from './errors.ts';

/** The nearest directory holding nx.json, walking up from `cwd` (default: the process's cwd). */
export function findWorkspaceRoot(cwd: string = process.cwd()): string {
  let dir = resolve(cwd);
  for (;;) {
    if (existsSync(join(dir, 'nx.json'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) {
      throw new FerryError('CONFIG_MISSING', `No nx.json found in ${resolve(cwd)} or any parent directory. Run ferry inside an Nx workspace.`);
    }
    dir = parent;
  }
}
