export * from './config-types.ts';
export * from './errors.ts';
export * from './events.ts';
