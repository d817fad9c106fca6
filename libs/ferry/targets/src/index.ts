/**
 * @ferry/targets: what each target does, as a `TargetSpec` runTarget can run. The entry scripts
 * (`scripts/<target>.ts`) run one spec per process; the Nx batch executor runs many specs in one
 * process (batch.ts). Both go through the same `runTarget`, so flags, output and exit codes match.
 */
export * from './specs.ts';
export * from './batch.ts';
export * from './batch-entry.ts';
export { envFlag, prefetchServices } from './prefetch.ts';
