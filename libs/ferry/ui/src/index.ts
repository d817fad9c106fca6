export * from './format.ts';
export * from './reporter.ts';
export * from './run-target.ts';
export * from './summary.ts';
export * from './notify.ts';
export * from './run-end.ts';
export * from './node-warning.ts';
export * from './narration.ts';
