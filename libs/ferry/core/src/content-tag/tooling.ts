/**
 * Workspace configuration the tag reads: tsconfig.base.json (the part of it that shapes an app's
 * bundle) and nx.json's named inputs. Both are JSON with comments, parsed with the parser Nx uses.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
// The package's ESM build: its `main` is a UMD wrapper whose require() calls bundlers cannot follow.
import { parse as parseJsonc, type ParseError } from 'jsonc-parser/lib/esm/main.js';
import type { NxInput } from '../graph.ts';

/**
 * The part of tsconfig.base.json that shapes this app's bundle: compiler options, with `paths`
 * reduced to the aliases that point into the app's own projects, so adding an alias for another
 * project does not change this app's tag.
 */
export function tsconfigProjection(tsconfig: Record<string, unknown>, projectRoots: string[]): unknown {
  const co = { ...((tsconfig.compilerOptions as Record<string, unknown>) ?? {}) };
  const paths = (co.paths as Record<string, string[]>) ?? {};
  delete co.paths;
  const kept: Record<string, string[]> = {};
  for (const [alias, targets] of Object.entries(paths)) {
    if (targets.some((t) => projectRoots.some((r) => t.replace(/^\.\//, '').startsWith(`${r}/`)))) kept[alias] = targets;
  }
  return { compilerOptions: co, paths: kept, extends: tsconfig.extends ?? null };
}

/** Parses JSON with comments and trailing commas (tsconfig files); undefined when missing or unreadable. */
export function readJsonc(file: string): Record<string, unknown> | undefined {
  if (!existsSync(file)) return undefined;
  const errors: ParseError[] = [];
  const value = parseJsonc(readFileSync(file, 'utf8'), errors, { allowTrailingComma: true });
  return errors.length ? undefined : (value as Record<string, unknown>);
}

/** nx.json's `namedInputs` ({} when there are none). */
export function readNxNamedInputs(root: string): Record<string, NxInput[]> {
  const nx = readJsonc(join(root, 'nx.json'));
  return (nx?.namedInputs as Record<string, NxInput[]>) ?? {};
}
