/** In-memory ECS and ECR for unit tests (`@ferry/aws/testing`); never imported by ferry's own code. */
export * from './fake-ecs.ts';
export * from './fake-ecr.ts';
