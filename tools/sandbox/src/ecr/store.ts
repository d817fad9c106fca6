import type { SandboxContext, StateStore } from '../context.ts';
import { AwsError } from '../context.ts';

/** What the sandbox keeps about an ECR repository (the images themselves live in the registry). */
export interface RepositoryRecord {
  repositoryName: string;
  /** Epoch seconds. */
  createdAt: number;
  imageTagMutability: 'MUTABLE' | 'IMMUTABLE';
  imageScanningConfiguration: { scanOnPush: boolean };
  encryptionConfiguration: { encryptionType: string; kmsKey?: string };
  tags: Array<{ Key: string; Value: string }>;
  lifecyclePolicyText?: string;
  /** Epoch seconds of the last evaluation. */
  lifecycleEvaluatedAt?: number;
  /** digest -> push time, epoch milliseconds (first time the sandbox saw the manifest arrive). */
  pushedAt: Record<string, number>;
}

export interface EcrState {
  repositories: Record<string, RepositoryRecord>;
}

export function openEcrState(ctx: SandboxContext): StateStore<EcrState> {
  return ctx.state<EcrState>('ecr', { repositories: {} });
}

export function repositoryNotFound(ctx: SandboxContext, name: string): AwsError {
  return new AwsError('RepositoryNotFoundException', `The repository with name '${name}' does not exist in the registry with id '${ctx.accountId}'`);
}

export function getRepository(ctx: SandboxContext, store: StateStore<EcrState>, name: unknown): RepositoryRecord {
  if (typeof name !== 'string' || name === '') throw new AwsError('InvalidParameterException', 'repositoryName is required');
  const repo = store.get().repositories[name];
  if (!repo) throw repositoryNotFound(ctx, name);
  return repo;
}

export function repositoryArn(ctx: SandboxContext, name: string): string {
  return `arn:aws:ecr:${ctx.region}:${ctx.accountId}:repository/${name}`;
}

/** The Repository shape of the ECR API. */
export function repositoryOutput(ctx: SandboxContext, r: RepositoryRecord) {
  return {
    repositoryArn: repositoryArn(ctx, r.repositoryName),
    registryId: ctx.accountId,
    repositoryName: r.repositoryName,
    repositoryUri: `${ctx.registryHost}/${r.repositoryName}`,
    createdAt: r.createdAt,
    imageTagMutability: r.imageTagMutability,
    imageScanningConfiguration: r.imageScanningConfiguration,
    encryptionConfiguration: r.encryptionConfiguration,
  };
}
