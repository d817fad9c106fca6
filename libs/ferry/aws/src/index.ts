export * from './clients.ts';
export * from './errors.ts';
