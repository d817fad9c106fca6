// The batch implementation Nx loads (executors.json): batch.ts, compiled by esbuild when loaded.
//
// Why not point executors.json at batch.ts: Nx loads executors with require(), and for a .ts file
// it first registers its TypeScript transpiler in the batch worker. That costs ~0.5 s of the
// worker's start on 2 cores (measured in docs/performance.md), once per Nx run, which is most of
// what a no-op deploy of many apps costs beyond Nx itself. esbuild compiles batch.ts and the few
// files it imports in milliseconds; the result is kept in .ferry/cache/nx-batch/ with the size and
// mtime of every file it was built from, so a worker whose sources did not change starts without
// esbuild at all (~60 ms less: esbuild's own process). The npm package ships batch.ts prebuilt
// (tools/package).
'use strict';
const { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } = require('node:fs');
const { join, resolve } = require('node:path');
const Module = require('node:module');

const entry = join(__dirname, 'batch.ts');
const cacheDir = join(process.env.NX_WORKSPACE_ROOT || process.cwd(), '.ferry', 'cache', 'nx-batch');
const manifestFile = join(cacheDir, 'manifest.json');

const stamp = (file) => {
  const s = statSync(file);
  return `${s.size}:${s.mtimeMs}`;
};

/** The cached compile when every input is as it was; undefined otherwise. */
function cached() {
  try {
    const m = JSON.parse(readFileSync(manifestFile, 'utf8'));
    if (m.entry !== entry || m.node !== process.versions.node) return undefined;
    for (const [file, s] of Object.entries(m.inputs)) if (stamp(file) !== s) return undefined;
    return readFileSync(join(cacheDir, m.output), 'utf8');
  } catch {
    return undefined;
  }
}

function build() {
  const r = require('esbuild').buildSync({
    entryPoints: [entry],
    bundle: true,
    write: false,
    metafile: true,
    platform: 'node',
    format: 'cjs',
    target: `node${process.versions.node.split('.')[0]}`,
    logLevel: 'silent',
  });
  const text = r.outputFiles[0].text;
  try {
    // Published by renaming the manifest last: a concurrent worker reads the old or the new one.
    mkdirSync(cacheDir, { recursive: true });
    const output = `batch-${process.pid}-${Date.now().toString(36)}.cjs`;
    writeFileSync(join(cacheDir, output), text);
    const inputs = Object.fromEntries(Object.keys(r.metafile.inputs).map((f) => [resolve(f), stamp(resolve(f))]));
    const tmp = `${manifestFile}.${process.pid}`;
    writeFileSync(tmp, JSON.stringify({ entry, node: process.versions.node, inputs, output }));
    renameSync(tmp, manifestFile);
    // Earlier compiles: gone once no worker can still be reading them.
    for (const f of readdirSync(cacheDir)) {
      if (f.startsWith('batch-') && f !== output && Date.now() - statSync(join(cacheDir, f)).mtimeMs > 60_000) rmSync(join(cacheDir, f), { force: true });
    }
  } catch {
    // A read-only workspace compiles every time; nothing else changes.
  }
  return text;
}

const compiled = new Module(entry, module);
compiled.filename = entry;
compiled.paths = module.paths;
compiled._compile(cached() ?? build(), entry);
module.exports = compiled.exports;
