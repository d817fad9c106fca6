// batch: not a target. The module the Nx batch executor (tools/nx-plugin/src/batch.ts) imports,
// from its esbuild bundle, to run many targets' tasks in one process. Nothing runs when executed.
export { runTasksInProcess } from '@ferry/targets';
