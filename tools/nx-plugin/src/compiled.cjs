// Loads a TypeScript entry of this plugin as CommonJS compiled by esbuild, without Nx's TypeScript
// transpiler. Used by batch.cjs (the batch executor) and index.cjs (the plugin nx.json names).
//
// Why: Nx loads plugins and executors with require(), and for a .ts file it first registers its
// TypeScript transpiler, which reads the root tsconfig through the `typescript` package: ~0.4-0.5 s
// of CPU on 2 cores (docs/performance.md), in every Nx process that loads the file — each `nx`
// command (the plugin) and each batch worker (the executor). esbuild compiles the entry and the few
// files it imports in milliseconds; the result is kept in .ferry/cache/<name>/ with the size and
// mtime of every file it was built from, so a process whose sources did not change loads it without
// esbuild at all. The npm package ships both entries prebuilt (tools/package) and needs none of this.
'use strict';
const { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } = require('node:fs');
const { join, resolve } = require('node:path');
const Module = require('node:module');

const stamp = (file) => {
  const s = statSync(file);
  return `${s.size}:${s.mtimeMs}`;
};

/** The cached compile of `entry` when every input is as it was; undefined otherwise. */
function cached(entry, cacheDir) {
  try {
    const m = JSON.parse(readFileSync(join(cacheDir, 'manifest.json'), 'utf8'));
    if (m.entry !== entry || m.node !== process.versions.node) return undefined;
    for (const [file, s] of Object.entries(m.inputs)) if (stamp(file) !== s) return undefined;
    return readFileSync(join(cacheDir, m.output), 'utf8');
  } catch {
    return undefined;
  }
}

function build(entry, cacheDir, name, packagesExternal) {
  const r = require('esbuild').buildSync({
    entryPoints: [entry],
    bundle: true,
    ...(packagesExternal ? { packages: 'external' } : {}),
    write: false,
    metafile: true,
    platform: 'node',
    format: 'cjs',
    target: `node${process.versions.node.split('.')[0]}`,
    logLevel: 'silent',
  });
  const text = r.outputFiles[0].text;
  try {
    // Published by renaming the manifest last: a concurrent process reads the old or the new one.
    mkdirSync(cacheDir, { recursive: true });
    const output = `${name}-${process.pid}-${Date.now().toString(36)}.cjs`;
    writeFileSync(join(cacheDir, output), text);
    const inputs = Object.fromEntries(Object.keys(r.metafile.inputs).map((f) => [resolve(f), stamp(resolve(f))]));
    const manifestFile = join(cacheDir, 'manifest.json');
    const tmp = `${manifestFile}.${process.pid}`;
    writeFileSync(tmp, JSON.stringify({ entry, node: process.versions.node, inputs, output }));
    renameSync(tmp, manifestFile);
    // Earlier compiles: gone once no process can still be reading them.
    for (const f of readdirSync(cacheDir)) {
      if (f.startsWith(`${name}-`) && f !== output && Date.now() - statSync(join(cacheDir, f)).mtimeMs > 60_000) rmSync(join(cacheDir, f), { force: true });
    }
  } catch {
    // A read-only workspace compiles every time; nothing else changes.
  }
  return text;
}

/**
 * The exports of `entry` (a .ts file), compiled to CommonJS. `packagesExternal`: packages from
 * node_modules are required at run time, not bundled (the plugin must use the workspace's own Nx).
 */
function loadCompiled({ entry, cacheDir, name, parent, packagesExternal = false }) {
  const compiled = new Module(entry, parent);
  compiled.filename = entry;
  compiled.paths = parent.paths;
  compiled._compile(cached(entry, cacheDir) ?? build(entry, cacheDir, name, packagesExternal), entry);
  return compiled.exports;
}

module.exports = { loadCompiled };
