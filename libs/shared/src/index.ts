export * from './routes.ts';
export * from './quote.ts';
export * from './validation.ts';
export * from './build-info.ts';
