export * from './clients.ts';
export * from './errors.ts';
export * from './ecr.ts';
export * from './ecs.ts';
export * from './live-ecs.ts';
export * from './logs.ts';
export * from './elbv2.ts';
