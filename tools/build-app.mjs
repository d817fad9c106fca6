#!/usr/bin/env node
// Bundle one sample app for its container image:
//   node tools/build-app.mjs <projectRoot> --entry src/main.ts [--entry src/healthcheck.ts] [--static public]
// Writes <projectRoot>/dist/: one ESM file per entry (workspace libs such as @sample/shared bundled in
// through the tsconfig path aliases), a package.json marking the folder as ESM, and the static folder
// copied to dist/<name>. Output is deterministic (no timestamps), so the content tag only moves when
// the code does.
import { build } from 'esbuild';
import { cpSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';

const root = resolve(new URL('..', import.meta.url).pathname);
const [projectRoot, ...rest] = process.argv.slice(2);
const entries = [];
const statics = [];
for (let i = 0; i < rest.length; i++) {
  if (rest[i] === '--entry') entries.push(rest[++i]);
  else if (rest[i] === '--static') statics.push(rest[++i]);
}
if (!projectRoot || entries.length === 0) {
  console.error('usage: node tools/build-app.mjs <projectRoot> --entry <file> [--entry <file>] [--static <dir>]');
  process.exit(2);
}

const abs = resolve(root, projectRoot);
const dist = join(abs, 'dist');
rmSync(dist, { recursive: true, force: true });
mkdirSync(dist, { recursive: true });

for (const entry of entries) {
  const file = join(abs, entry);
  if (!existsSync(file)) {
    console.error(`build-app: entry ${entry} not found in ${projectRoot}`);
    process.exit(1);
  }
}

try {
  await build({
    absWorkingDir: root,
    entryPoints: entries.map((e) => join(abs, e)),
    outdir: dist,
    entryNames: '[name]',
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    tsconfig: join(root, 'tsconfig.base.json'),
    legalComments: 'none',
    logLevel: 'warning',
  });
} catch {
  // esbuild has already printed the errors with file and line.
  process.exit(1);
}
writeFileSync(join(dist, 'package.json'), JSON.stringify({ type: 'module' }) + '\n');
for (const dir of statics) cpSync(join(abs, dir), join(dist, basename(dir)), { recursive: true });
console.log(`built ${projectRoot}/dist: ${entries.map((e) => basename(e).replace(/\.ts$/, '.js')).join(', ')}`);
