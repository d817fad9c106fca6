export * from './clients.ts';
export * from './errors.ts';
export * from './ecr.ts';
export * from './ecs.ts';
export * from './live-ecs.ts';
// Types only: these ports load their SDK client on first use (clients.ts), so a run that never
// calls CloudWatch Logs, Application Auto Scaling, STS or ELBv2 never loads those modules.
export type * from './logs.ts';
export type * from './scaling.ts';
export type * from './identity.ts';
export type * from './elbv2.ts';
export * from './scaling-ids.ts';
export * from './account.ts';
export * from './registry-copy.ts';
