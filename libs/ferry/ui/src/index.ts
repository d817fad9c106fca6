export * from './format.ts';
export * from './reporter.ts';
export * from './run-target.ts';
