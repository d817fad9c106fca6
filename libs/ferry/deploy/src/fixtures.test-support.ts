/** Config and ECS shapes for the table tests (not a test file itself). */
import type { AppDeployConfig, EnvironmentConfig } from '@ferry/core';
import type { EcsDeployment, EcsService } from '@ferry/aws';

export function appConfig(over: Partial<AppDeployConfig> = {}): AppDeployConfig {
  return {
    file: '/w/apps/api/deploy.json',
    project: 'api',
    repository: 'ferry-sample/api',
    service: 'api',
    family: 'api',
    containerName: 'api',
    dockerfile: 'Dockerfile',
    context: '.',
    buildArgs: {},
    platform: 'linux/amd64',
    containerPort: 3000,
    desiredCount: 2,
    cpu: '256',
    memory: '512',
    environment: { LOG_LEVEL: 'info', CORS_ORIGIN: '*' },
    secrets: {},
    healthCheckPath: '/health',
    healthCheckStatus: 200,
    // Most tables are about other fields: they leave the container's log configuration alone.
    logs: false,
    smoke: { checks: [] },
    deployment: { minimumHealthyPercent: 100, maximumPercent: 200, timeoutSeconds: 600, circuitBreaker: { enable: true, rollback: true } },
    lifecycle: { keepTaggedImages: 30, untaggedExpireDays: 1 },
    keepRevisions: 10,
    rollbackOn: ['health', 'smoke'],
    environments: {},
    ...over,
  };
}

/** A sandbox environment as loadWorkspaceConfig returns it (with the sandbox defaults). */
export const sandboxEnv: EnvironmentConfig = {
  name: 'local',
  kind: 'sandbox',
  region: 'us-east-1',
  cluster: 'ferry-local',
  endpoint: 'http://127.0.0.1:4566',
  registry: '127.0.0.1:5000',
  accountId: '000000000000',
  executionRoleArn: 'arn:aws:iam::000000000000:role/ferry-sandbox-task-execution',
  network: { subnets: ['subnet-0000000000000000f'], securityGroups: ['sg-0000000000000000f'] },
};
export const awsEnv: EnvironmentConfig = {
  name: 'staging',
  kind: 'aws',
  region: 'eu-west-1',
  cluster: 'ferry-staging',
  executionRoleArn: 'arn:aws:iam::123456789012:role/ecsTaskExecutionRole',
  network: { subnets: ['subnet-1'], securityGroups: ['sg-1'], assignPublicIp: false },
};

export const tdArn = (rev: number, family = 'api') => `arn:aws:ecs:us-east-1:000000000000:task-definition/${family}:${rev}`;

export function deployment(over: Partial<EcsDeployment>): EcsDeployment {
  return { id: 'ecs-svc/1', status: 'PRIMARY', taskDefinition: tdArn(1), desiredCount: 2, runningCount: 2, pendingCount: 0, failedTasks: 0, rolloutState: 'COMPLETED', ...over };
}

export function service(deployments: EcsDeployment[], over: Partial<EcsService> = {}): EcsService {
  return {
    serviceName: 'api',
    status: 'ACTIVE',
    desiredCount: 2,
    runningCount: 2,
    taskDefinition: deployments.find((d) => d.status === 'PRIMARY')?.taskDefinition,
    deploymentConfiguration: { minimumHealthyPercent: 100, maximumPercent: 200, deploymentCircuitBreaker: { enable: true, rollback: true } },
    deployments,
    ...over,
  };
}
