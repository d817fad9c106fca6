// The plugin nx.json names in this repository: index.ts, compiled by esbuild when loaded
// (compiled.cjs says why: without Nx's TypeScript transpiler every `nx` command starts ~0.4 s
// sooner on 2 cores). Packages stay external: the plugin runs on the workspace's own Nx.
'use strict';
const { join, resolve } = require('node:path');
const { loadCompiled } = require('./compiled.cjs');

module.exports = loadCompiled({
  entry: join(__dirname, 'index.ts'),
  // This file lives in <workspace>/tools/nx-plugin/src: the cache is the workspace's, whatever
  // directory `nx` was started from.
  cacheDir: join(resolve(__dirname, '..', '..', '..'), '.ferry', 'cache', 'nx-plugin'),
  name: 'plugin',
  parent: module,
  packagesExternal: true,
});
