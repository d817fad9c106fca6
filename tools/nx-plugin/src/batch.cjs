// The batch implementation Nx loads (executors.json): batch.ts, compiled by esbuild when loaded
// (compiled.cjs says why: no Nx TypeScript transpiler in the batch worker).
'use strict';
const { join } = require('node:path');
const { loadCompiled } = require('./compiled.cjs');

module.exports = loadCompiled({
  entry: join(__dirname, 'batch.ts'),
  cacheDir: join(process.env.NX_WORKSPACE_ROOT || process.cwd(), '.ferry', 'cache', 'nx-batch'),
  name: 'batch',
  parent: module,
});
