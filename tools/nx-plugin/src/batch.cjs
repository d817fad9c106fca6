// The batch implementation Nx loads (executors.json): batch.ts, compiled by esbuild when loaded.
//
// Why not point executors.json at batch.ts: Nx loads executors with require(), and for a .ts file
// it first registers its TypeScript transpiler in the batch worker. That costs ~0.5 s of the
// worker's start on 2 cores (measured in docs/performance.md), once per Nx run, which is most of
// what a no-op deploy of many apps costs beyond Nx itself. esbuild compiles batch.ts and the few
// files it imports in milliseconds. The npm package ships batch.ts prebuilt (tools/package).
'use strict';
const { join } = require('node:path');
const Module = require('node:module');

const entry = join(__dirname, 'batch.ts');
const { outputFiles } = require('esbuild').buildSync({
  entryPoints: [entry],
  bundle: true,
  write: false,
  platform: 'node',
  format: 'cjs',
  target: `node${process.versions.node.split('.')[0]}`,
  logLevel: 'silent',
});
const compiled = new Module(entry, module);
compiled.filename = entry;
compiled.paths = module.paths;
compiled._compile(outputFiles[0].text, entry);
module.exports = compiled.exports;
